// パートナー登録お申し込みフォーム: three steps (入力 → 確認 → 完了) on one page.
//
// One source of truth for the rules: every check and every message comes from the
// server. A field is checked when it loses focus by POSTing the whole form to
// /api/validate (debounced) and showing the errors of the fields the applicant
// has touched; moving to step 2 asks /api/validate again, and that answer decides.
// Only normalisation as you type is mirrored here (see kana.js). The fields, their
// order, kinds and labels come from the generated table (fields.js).
//
// No markup is ever parsed from a string: every text the applicant or the server supplies is set
// with textContent, so the page runs under a strict CSP.
//
// This entry module only wires the others:
//   steps.js    steps, hash, history, headings, title
//   display.js  reading and writing the form, errors and warnings, the summary
//   checks.js   the debounced /api/validate on blur
//   review.js   step 1 → 2, step 2's review, submission, the receipt
//   postal.js   postal code → address
//   draft.js    the sessionStorage draft and receipt
//   terms.js    the terms and privacy texts
//
// State: there is no shared state object. Each module is made by a create…()
// function whose closure owns its own state (steps: the current step; display:
// the touched fields; checks: its timer and sequence; review: the confirmed
// application, its Idempotency-Key, in-flight flags and the receipt; draft: its
// timer), and the modules reach one another only through the small interfaces
// handed over here. Ownership is then visible at a glance, and nothing can
// change another module's state behind its back. The modules depend on each
// other in two cycles (the summary ↔ the title; history ↔ the confirmed
// application), closed with arrow functions below that are only called once
// start() has made every module.

import { createChecks } from './checks.js';
import { createDisplay } from './display.js';
import { createDraft, loadReceipt } from './draft.js';
import { CHOICE_FIELDS, CONSENT_FIELDS, KANA_FIELDS, READINGS } from './field-table.js';
import { autoFurigana, normaliseAsYouType, toHalfwidthDigits, toKatakana } from './kana.js';
import { createPostal } from './postal.js';
import { createReview } from './review.js';
import { createSteps, stepFromHash } from './steps.js';
import { loadTerms } from './terms.js';

const FORM = 'application-form';
const BLUR_DELAY_MS = 250;
const RECHECK_DELAY_MS = 500;

function start() {
  const form = document.getElementById(FORM);
  const input = (key) => form.elements.namedItem(key);

  const steps = createSteps({
    hasErrors: () => display.summaryShown(),
    onNavigate: (step) => review.navigate(step),
  });
  const display = createDisplay(form, { onSummaryChange: () => steps.updateTitle() });
  const checks = createChecks(display, () => steps.current() === 1);
  const draft = createDraft({
    hasInput: () => display.hasInput(),
    values: () => display.snapshot(),
    touched: () => display.touchedKeys(),
    key: () => review.key(),
  });
  const postal = createPostal({
    onFill() {
      draft.changed();
      checks.schedule(0); // Clears errors shown on the address before it was filled.
    },
  });
  const furigana = [];
  const review = createReview({
    display,
    steps,
    checks,
    draft,
    onReset() {
      for (const tracker of furigana) tracker.reset();
      postal.reset();
    },
  });

  display.addWarningElements();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    review.openConfirm('push');
  });
  form.addEventListener('focusout', (event) => {
    const key = display.keyOfEvent(event);
    if (!key) return;
    display.touch(key);
    checks.schedule(BLUR_DELAY_MS);
  });
  form.addEventListener('change', (event) => {
    const key = display.keyOfEvent(event);
    if (!key) return;
    if (CHOICE_FIELDS.includes(key)) display.updateContractType();
    if (CHOICE_FIELDS.includes(key) || CONSENT_FIELDS.includes(key)) {
      display.touch(key);
      checks.schedule(0);
    }
    draft.changed();
  });
  form.addEventListener('input', (event) => {
    const key = display.keyOfEvent(event);
    if (!key) return;
    draft.changed();
    // A field in error is checked again as it is corrected.
    if (event.target.getAttribute('aria-invalid') === 'true' && !event.isComposing) {
      checks.schedule(RECHECK_DELAY_MS);
    }
  });

  for (const key of KANA_FIELDS) normaliseAsYouType(input(key), toKatakana, draft.changed);
  for (const element of form.querySelectorAll('[data-digits]')) {
    normaliseAsYouType(element, toHalfwidthDigits, draft.changed);
  }
  const onFurigana = () => {
    draft.changed();
    if (KANA_FIELDS.some(display.isInvalid)) checks.schedule(RECHECK_DELAY_MS);
  };
  for (const { name, reading } of READINGS) {
    furigana.push(autoFurigana(input(name), input(reading), onFurigana));
  }

  postal.listen();
  steps.listen();
  review.listen();
  draft.listen();
  loadTerms();

  const saved = draft.load();
  if (saved) {
    display.restore(saved.values);
    for (const key of saved.touched || []) display.touch(key);
    review.restoreKey(saved);
  }
  display.updateContractType();
  for (const tracker of furigana) tracker.reset();

  const receipt = loadReceipt();
  const wanted = stepFromHash(location.hash);
  if (wanted === 3 && receipt && receipt.expiresAt) {
    review.showCompleted(receipt);
  } else if (wanted === 2 && saved) {
    steps.show(1, 'replace', { focus: false });
    review.openConfirm('replace');
  } else {
    steps.showFirst();
    if (display.touchedKeys().length > 0) checks.schedule(0);
  }
  document.documentElement.dataset.ready = 'true';
}

start();
