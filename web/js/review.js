// Step 1 → 2 (/api/validate decides), step 2's review rows (field-table.js's
// reviewRows, shared with the verification page and the console), and the submission
// that leads to step 3.
//
// It owns the application on its way: what step 2 shows and submits, its
// Idempotency-Key (kept while the application is unchanged, so a retry never
// stores it twice), whether a request is in flight, and the receipt.

import * as api from './api.js';
import { setBusy } from './busy.js';
import { newIdempotencyKey } from './idempotency.js';
import { saveReceipt } from './draft.js';
import { ERROR_CODES } from './fields.js';
import { reviewRows } from './field-table.js';

const ID = {
  toConfirm: 'to-confirm',
  review: 'review',
  warnings: 'review-warnings',
  submit: 'submit-application',
  back: 'back-to-input',
  submitError: 'submit-error',
  expiresAt: 'expires-at',
  sentTo: 'sent-to',
  sentToLine: 'sent-to-line',
};

const MESSAGES = {
  network: '通信エラーが発生しました。通信環境をご確認のうえ、もう一度お試しください。',
  submitNetwork: '通信エラーのため、お申し込みが完了したか確認できませんでした。通信環境をご確認のうえ、もう一度「申し込む」を押してください。同じお申し込みが二重に登録されることはありません。',
  submitRetry: 'もう一度「申し込む」を押してください。同じお申し込みが二重に登録されることはありません。',
  keyReusedHint: '入力内容を確認のうえ、もう一度「申し込む」を押してください。',
  unexpected: '予期しないエラーが発生しました。しばらくしてから再度お試しください。',
  sending: '送信中…',
  notEntered: '(未入力)',
};

const $ = (id) => document.getElementById(id);

function fingerprint(application) {
  return JSON.stringify(application);
}

/** Fills the definition list `list` with the review rows of `application`. */
export function renderRows(list, application) {
  list.replaceChildren();
  for (const [key, label, text] of reviewRows(application)) {
    const row = document.createElement('div');
    row.className = 'review__row';
    row.dataset.review = key;
    const term = document.createElement('dt');
    term.textContent = label;
    const detail = document.createElement('dd');
    detail.textContent = text || MESSAGES.notEntered;
    detail.classList.toggle('is-empty', !text);
    row.append(term, detail);
    list.append(row);
  }
}

export function formatTime(value) {
  // Shown as the server wrote it (JST), without the browser's time zone.
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || '');
  if (!match) return value || '';
  const [, y, m, d, hh, mm] = match;
  return `${y}年${Number(m)}月${Number(d)}日 ${hh}:${mm}`;
}

/** Step 3: when the link expires, and (only right after sending) where it went. */
function showSent(sent, email) {
  $(ID.expiresAt).textContent = formatTime(sent.expiresAt);
  $(ID.sentTo).textContent = email || '';
  $(ID.sentToLine).hidden = !email;
}

function showSubmitError(message, hint) {
  const box = $(ID.submitError);
  const main = document.createElement('p');
  main.textContent = message;
  box.replaceChildren(main);
  if (hint) {
    const detail = document.createElement('p');
    detail.textContent = hint;
    box.append(detail);
  }
  box.hidden = false;
  box.scrollIntoView({ block: 'center' });
}

/**
 * display: the field display; steps: steps and history; checks: the blur
 * checks; draft: the draft store; onReset(): empties what the other modules
 * show once the application is complete (furigana, postal lookup).
 */
export function createReview({ display, steps, checks, draft, onReset }) {
  /** What step 2 shows and submits: {payload, application, warnings}. */
  let confirmed = null;
  let idempotencyKey = null;
  /** The payload the key was made for: an unchanged application keeps its key. */
  let keyFingerprint = null;
  let checking = false;
  let sending = false;
  /** {expiresAt} once the application is stored and its link mailed. */
  let completed = null;

  function renderReview() {
    renderRows($(ID.review), confirmed.application);
    const warnings = $(ID.warnings);
    warnings.replaceChildren();
    for (const warning of confirmed.warnings) {
      const item = document.createElement('li');
      item.textContent = warning.message;
      warnings.append(item);
    }
    warnings.hidden = confirmed.warnings.length === 0;
  }

  async function openConfirm(history) {
    if (checking) return;
    checking = true;
    const button = $(ID.toConfirm);
    setBusy(button, true);
    checks.cancel(); // Drop any blur check still waiting or in flight.
    try {
      const payload = display.collect();
      display.touchAll();
      let response;
      try {
        response = await api.validate(payload);
      } catch {
        return failConfirm([], MESSAGES.network, history);
      }
      const { status, body } = response;
      if (status === 422 && body && Array.isArray(body.errors)) {
        return failConfirm(display.showIssues(body.errors, body.warnings), '', history);
      }
      if (status !== 200 || !body || !body.application) {
        return failConfirm([], api.envelopeMessage(body, MESSAGES.unexpected), history);
      }
      display.showIssues([], body.warnings);
      display.hideSummary();
      const print = fingerprint(payload);
      if (!idempotencyKey || keyFingerprint !== print) {
        idempotencyKey = newIdempotencyKey();
        keyFingerprint = print;
      }
      confirmed = { payload, application: body.application, warnings: body.warnings || [] };
      draft.save();
      renderReview();
      $(ID.submitError).hidden = true;
      steps.show(2, history);
    } finally {
      checking = false;
      setBusy(button, false);
    }
  }

  function failConfirm(errors, message, history) {
    // After a reload or a history move onto step 2, the entry becomes step 1's again.
    if (history !== 'push') steps.show(1, 'replace', { focus: false });
    display.renderSummary(errors, message);
    if (errors.length > 0) display.focusField(errors[0].field);
    else display.focusSummary();
  }

  async function submit() {
    // The flag stops a second click that lands before the button is disabled.
    if (sending || !confirmed) return;
    sending = true;
    const button = $(ID.submit);
    const back = $(ID.back);
    setBusy(button, true, MESSAGES.sending);
    back.disabled = true;
    $(ID.submitError).hidden = true;
    try {
      let response;
      try {
        response = await api.submitApplication(confirmed.payload, idempotencyKey);
      } catch {
        // The application may or may not be stored: retrying with the same key is safe.
        showSubmitError(MESSAGES.submitNetwork);
        return;
      }
      handleSubmitResponse(response);
    } finally {
      sending = false;
      if (!completed) {
        setBusy(button, false);
        back.disabled = false;
        if (steps.current() === 2) button.focus({ preventScroll: true });
      }
    }
  }

  function handleSubmitResponse({ status, body }) {
    if (status === 202 && body && body.status === 'verification_sent') {
      complete(body, confirmed.application.email);
      return;
    }
    const code = api.envelopeCode(body);
    if (status === 422 && body && Array.isArray(body.errors)) {
      // The server found errors after all: back to step 1, beside their fields.
      display.touchAll();
      steps.show(1, 'push', { focus: false });
      const shown = display.showIssues(body.errors, body.warnings);
      display.renderSummary(shown, '');
      if (shown.length > 0) display.focusField(shown[0].field);
    } else if (status === 422 && code === ERROR_CODES.idempotencyKeyReused) {
      idempotencyKey = newIdempotencyKey();
      keyFingerprint = fingerprint(confirmed.payload);
      draft.save();
      showSubmitError(api.envelopeMessage(body, MESSAGES.unexpected), MESSAGES.keyReusedHint);
    } else if (status === 503 || status === 429 || status >= 500) {
      showSubmitError(api.envelopeMessage(body, MESSAGES.unexpected), MESSAGES.submitRetry);
    } else {
      showSubmitError(api.envelopeMessage(body, MESSAGES.unexpected));
    }
  }

  function complete(sent, email) {
    // Kept for a reload of step 3, in this tab only, and without the address.
    completed = { expiresAt: String(sent.expiresAt || '') };
    saveReceipt(completed);
    draft.clear();
    display.reset();
    confirmed = null;
    idempotencyKey = null;
    keyFingerprint = null;
    onReset();
    showSent(completed, email);
    // Replacing step 2's entry: back from here never returns to 「申し込む」.
    steps.show(3, 'replace');
  }

  /** A history move (back, forward) to `step`: shown only when it still holds. */
  function navigate(step) {
    if (step === 3) {
      if (completed) steps.show(3, 'none');
      else steps.show(1, 'replace');
    } else if (step === 2) {
      if (completed) steps.show(1, 'replace');
      else if (confirmed && fingerprint(display.collect()) === keyFingerprint) steps.show(2, 'none');
      else openConfirm('none');
    } else {
      steps.show(1, 'none');
    }
  }

  function listen() {
    $(ID.back).addEventListener('click', () => {
      steps.show(1, 'push');
    });
    $(ID.submit).addEventListener('click', submit);
  }

  return {
    openConfirm,
    navigate,
    listen,
    /** For the draft: the key and what it was made for. */
    key: () => ({ idempotencyKey, keyFingerprint }),
    /** From a draft: the key survives a reload while the application is unchanged. */
    restoreKey(saved) {
      idempotencyKey = typeof saved.idempotencyKey === 'string' ? saved.idempotencyKey : null;
      keyFingerprint = typeof saved.keyFingerprint === 'string' ? saved.keyFingerprint : null;
    },
    /** A reload of step 3: what was kept in this tab. */
    showCompleted(sent) {
      completed = sent;
      showSent(sent, null);
      steps.show(3, 'replace', { focus: false });
    },
  };
}
