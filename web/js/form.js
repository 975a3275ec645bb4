// パートナー登録お申し込みフォーム: three steps (入力 → 確認 → 完了) on one page.
//
// One source of truth for the rules: every check and every message comes from the
// server. A field is checked when it loses focus by POSTing the whole form to
// /api/validate (debounced) and showing the errors of the fields the applicant
// has touched; moving to step 2 asks /api/validate again, and that answer decides.
// Only normalisation as you type is mirrored here (see kana.js).
//
// No markup is ever parsed from a string: every text the applicant or the server supplies is set
// with textContent, so the page runs under a strict CSP.

import * as api from './api.js';
import { autoFurigana, normaliseAsYouType, toHalfwidthDigits, toKatakana } from './kana.js';

/** The contract's keys, in the form's order. */
const FIELDS = [
  'email', 'emailConfirmation', 'contractType', 'corporateName', 'corporateNameKana',
  'lastName', 'firstName', 'lastNameKana', 'firstNameKana', 'postalCode',
  'addressRegion', 'addressStreet', 'addressBuilding', 'phone', 'invoiceNumber',
  'employeeCount', 'annualReferralCount', 'agreedToTerms',
];
const TEXT_FIELDS = FIELDS.filter((key) => key !== 'contractType' && key !== 'agreedToTerms');
const CORPORATE_FIELDS = ['corporateName', 'corporateNameKana'];
const STEP_HASH = { 1: '#input', 2: '#confirm', 3: '#complete' };
const STEP_HEADING = { 1: 'step-input-title', 2: 'step-confirm-title', 3: 'step-complete-title' };
const STEP_TITLE = { 1: '登録内容の入力', 2: '入力内容の確認', 3: 'お申し込み完了' };
const SITE_TITLE = 'パートナー登録お申し込みフォーム';
const DRAFT_KEY = 'partner-registration:draft';
const RECEIPT_KEY = 'partner-registration:receipt';
const BLUR_DELAY_MS = 250;
const RECHECK_DELAY_MS = 500;

const MESSAGES = {
  network: '通信エラーが発生しました。通信環境をご確認のうえ、もう一度お試しください。',
  submitNetwork: '通信エラーのため、お申し込みが完了したか確認できませんでした。通信環境をご確認のうえ、もう一度「申し込む」を押してください。同じお申し込みが二重に登録されることはありません。',
  submitRetry: 'もう一度「申し込む」を押してください。同じお申し込みが二重に登録されることはありません。',
  duplicateHint: '別のメールアドレスでお申し込みになる場合は、「修正する」からメールアドレスを変更してください。',
  keyReusedHint: '入力内容を確認のうえ、もう一度「申し込む」を押してください。',
  unexpected: '予期しないエラーが発生しました。しばらくしてから再度お試しください。',
  postalEmpty: '郵便番号を入力してから「郵便番号から住所入力」を押してください。',
  postalInvalid: '郵便番号は7桁の数字で入力してください(例:530-0011)。',
  postalNotFound: '該当する住所が見つかりませんでした。郵便番号をご確認いただくか、住所を直接入力してください。',
  postalNetwork: '住所を取得できませんでした。もう一度お試しいただくか、住所を直接入力してください。',
  postalFilled: '住所を入力しました。続けて丁目・番地などを入力してください。',
  postalFilledWithStreet: '住所を入力しました。内容をご確認ください。',
  termsFailed: 'を読み込めませんでした。こちらからご覧ください:',
  sending: '送信中…',
  notEntered: '(未入力)',
  agreed: '同意する',
};

const $ = (id) => document.getElementById(id);
const form = $('application-form');

const state = {
  step: 1,
  /** Fields whose errors are shown: left once, or all after a step-2 attempt. */
  touched: new Set(),
  /** What step 2 shows and submits: {payload, application, warnings}. */
  confirmed: null,
  idempotencyKey: null,
  /** The payload the key was made for: an unchanged application keeps its key. */
  keyFingerprint: null,
  sending: false,
  checking: false,
  /** The receipt once the application is stored. */
  completed: null,
  validateSeq: 0,
  validateTimer: 0,
  draftTimer: 0,
  furigana: [],
};

// ---------------------------------------------------------------------------
// Reading and writing the form

function inputsOf(key) {
  const element = form.elements.namedItem(key);
  if (!element) return [];
  return element instanceof RadioNodeList ? Array.from(element) : [element];
}

function isSoleProprietor() {
  return form.elements.namedItem('contractType').value === 'sole_proprietor';
}

/** The application as the contract wants it. Blank means not entered. */
function collect() {
  const application = {};
  for (const key of TEXT_FIELDS) {
    const input = form.elements.namedItem(key);
    if (!input.disabled) application[key] = input.value;
  }
  application.contractType = form.elements.namedItem('contractType').value || null;
  // Unticked is "not entered", which the server answers with 「…に同意してください。」.
  application.agreedToTerms = $('agreedToTerms').checked ? true : null;
  application.website = $('website').value;
  return application;
}

/** Every value, including the corporate ones kept while 個人事業主 is chosen. */
function snapshot() {
  const values = {};
  for (const key of TEXT_FIELDS) values[key] = form.elements.namedItem(key).value;
  values.contractType = form.elements.namedItem('contractType').value;
  values.agreedToTerms = $('agreedToTerms').checked;
  return values;
}

function restore(values) {
  for (const key of TEXT_FIELDS) {
    if (typeof values[key] === 'string') form.elements.namedItem(key).value = values[key];
  }
  for (const radio of inputsOf('contractType')) radio.checked = radio.value === values.contractType;
  $('agreedToTerms').checked = values.agreedToTerms === true;
}

function hasInput() {
  const values = snapshot();
  return Object.values(values).some((value) => value !== '' && value !== false);
}

// ---------------------------------------------------------------------------
// 契約者種別: corporate fields are inactive for 個人事業主

function updateContractType() {
  const inactive = isSoleProprietor();
  for (const key of CORPORATE_FIELDS) {
    const input = $(key);
    input.disabled = inactive;
    input.required = !inactive;
    input.closest('.field').classList.toggle('is-inactive', inactive);
    $(`${key}-inactive`).hidden = !inactive;
    if (inactive) setFieldIssues(key, [], []);
  }
}

// ---------------------------------------------------------------------------
// Errors beside fields and in the summary

function setFieldIssues(key, errors, warnings) {
  const errorElement = $(`${key}-error`);
  const warningElement = $(`${key}-warning`);
  errorElement.textContent = errors.map((issue) => issue.message).join(' ');
  errorElement.hidden = errors.length === 0;
  warningElement.textContent = warnings.map((issue) => issue.message).join(' ');
  warningElement.hidden = warnings.length === 0;
  for (const input of inputsOf(key)) {
    if (errors.length > 0) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

function issuesFor(list, key) {
  return Array.isArray(list) ? list.filter((issue) => issue && issue.field === key) : [];
}

/** Shows the issues of the touched fields; returns the errors shown, in form order. */
function showIssues(errors, warnings) {
  const shown = [];
  for (const key of FIELDS) {
    const visible = state.touched.has(key) && !(CORPORATE_FIELDS.includes(key) && isSoleProprietor());
    const fieldErrors = visible ? issuesFor(errors, key) : [];
    const fieldWarnings = visible ? issuesFor(warnings, key) : [];
    setFieldIssues(key, fieldErrors, fieldWarnings);
    shown.push(...fieldErrors);
  }
  return shown;
}

function focusField(key) {
  const inputs = inputsOf(key);
  const target = inputs.find((input) => input.checked) || inputs[0];
  if (!target) return;
  const field = target.closest('.field') || target;
  field.scrollIntoView({ block: 'start' });
  target.focus({ preventScroll: true });
}

function renderSummary(errors, message) {
  const summary = $('error-summary');
  const list = $('error-summary-list');
  list.replaceChildren();
  for (const issue of errors) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = `#${issue.field}`;
    link.textContent = issue.message;
    link.addEventListener('click', (event) => {
      event.preventDefault();
      focusField(issue.field);
    });
    item.append(link);
    list.append(item);
  }
  const messageElement = $('error-summary-message');
  messageElement.textContent = message || '';
  messageElement.hidden = !message;
  summary.hidden = errors.length === 0 && !message;
  updateTitle();
}

function hideSummary() {
  renderSummary([], '');
}

function updateTitle() {
  const hasErrors = state.step === 1 && !$('error-summary').hidden;
  document.title = `${hasErrors ? 'エラー: ' : ''}${STEP_TITLE[state.step]} | ${SITE_TITLE}`;
}

// ---------------------------------------------------------------------------
// Checking on blur, with the server's rules

function scheduleCheck(delay) {
  clearTimeout(state.validateTimer);
  state.validateTimer = setTimeout(checkTouched, delay);
}

async function checkTouched() {
  if (state.step !== 1 || state.touched.size === 0) return;
  const seq = ++state.validateSeq;
  let response;
  try {
    response = await api.validate(collect());
  } catch {
    return; // Offline while typing: step 2 asks again and says so.
  }
  if (seq !== state.validateSeq || state.step !== 1) return; // A newer check is on its way.
  const { status, body } = response;
  if (status === 200 && body) {
    showIssues([], body.warnings);
  } else if (status === 422 && body && Array.isArray(body.errors)) {
    const shown = showIssues(body.errors, body.warnings);
    // The summary, once shown, follows the corrections.
    if (!$('error-summary').hidden) renderSummary(shown, '');
  }
}

function keyOfEvent(event) {
  const name = event.target && event.target.name;
  return FIELDS.includes(name) ? name : null;
}

// ---------------------------------------------------------------------------
// Steps and history

function stepFromHash(hash) {
  const found = Object.entries(STEP_HASH).find(([, value]) => value === hash);
  return found ? Number(found[0]) : 1;
}

/** history: 'push' adds an entry, 'replace' rewrites the current one, 'none' leaves it. */
function focusStepHeading(step) {
  $(STEP_HEADING[step]).focus({ preventScroll: true });
}

function showStep(step, history, { focus = true } = {}) {
  state.step = step;
  for (const panel of document.querySelectorAll('[data-step-panel]')) {
    panel.hidden = Number(panel.dataset.stepPanel) !== step;
  }
  for (const item of document.querySelectorAll('.steps__item')) {
    const itemStep = Number(item.dataset.step);
    if (itemStep === step) item.setAttribute('aria-current', 'step');
    else item.removeAttribute('aria-current');
    item.classList.toggle('is-done', itemStep < step);
  }
  const url = `${location.pathname}${location.search}${STEP_HASH[step]}`;
  if (history === 'push') window.history.pushState({ step }, '', url);
  else if (history === 'replace') window.history.replaceState({ step }, '', url);
  updateTitle();
  if (focus) {
    window.scrollTo(0, 0);
    focusStepHeading(step);
  }
}

function onPopState(event) {
  const isStepHash = Object.values(STEP_HASH).includes(location.hash);
  const step = (event.state && event.state.step) || (isStepHash ? stepFromHash(location.hash) : null);
  if (step === null) return; // An in-page link (#main), not a step.
  if (step === 3) {
    if (state.completed) showStep(3, 'none');
    else showStep(1, 'replace');
  } else if (step === 2) {
    if (state.completed) showStep(1, 'replace');
    else if (state.confirmed && fingerprint(collect()) === state.keyFingerprint) showStep(2, 'none');
    else openConfirm('none');
  } else {
    showStep(1, 'none');
  }
}

// ---------------------------------------------------------------------------
// Step 1 → 2: /api/validate decides

function fingerprint(application) {
  return JSON.stringify(application);
}

function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Plain http on another host is not a secure context: build a v4 UUID by hand.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function setBusy(button, busy, busyLabel) {
  if (busy) {
    button.dataset.label = button.textContent;
    if (busyLabel) button.textContent = busyLabel;
  } else if (button.dataset.label) {
    button.textContent = button.dataset.label;
  }
  button.disabled = busy;
  button.classList.toggle('is-busy', busy);
}

async function openConfirm(history) {
  if (state.checking) return;
  state.checking = true;
  const button = $('to-confirm');
  setBusy(button, true);
  clearTimeout(state.validateTimer);
  state.validateSeq += 1; // Drop any blur check still in flight.
  try {
    const payload = collect();
    for (const key of FIELDS) state.touched.add(key);
    let response;
    try {
      response = await api.validate(payload);
    } catch {
      return failConfirm([], MESSAGES.network, history);
    }
    const { status, body } = response;
    if (status === 422 && body && Array.isArray(body.errors)) {
      return failConfirm(showIssues(body.errors, body.warnings), '', history);
    }
    if (status !== 200 || !body || !body.application) {
      return failConfirm([], api.envelopeMessage(body, MESSAGES.unexpected), history);
    }
    showIssues([], body.warnings);
    hideSummary();
    const print = fingerprint(payload);
    if (!state.idempotencyKey || state.keyFingerprint !== print) {
      state.idempotencyKey = newIdempotencyKey();
      state.keyFingerprint = print;
    }
    state.confirmed = { payload, application: body.application, warnings: body.warnings || [] };
    saveDraft();
    renderReview();
    $('submit-error').hidden = true;
    showStep(2, history);
  } finally {
    state.checking = false;
    setBusy(button, false);
  }
}

function failConfirm(errors, message, history) {
  // After a reload or a history move onto step 2, the entry becomes step 1's again.
  if (history !== 'push') showStep(1, 'replace', { focus: false });
  renderSummary(errors, message);
  if (errors.length > 0) {
    focusField(errors[0].field);
  } else {
    const summary = $('error-summary');
    summary.scrollIntoView({ block: 'start' });
    summary.focus({ preventScroll: true });
  }
}

// ---------------------------------------------------------------------------
// Step 2: review and submit

function labelOf(key) {
  const labels = {
    email: 'メールアドレス',
    contractType: '契約者種別',
    corporateName: '契約法人名',
    corporateNameKana: '契約法人名(フリガナ)',
    name: '名前(法人の場合は担当者)',
    nameKana: '名前(フリガナ)',
    postalCode: '郵便番号',
    addressRegion: '住所(都道府県、市区町村)',
    addressStreet: '住所(町域、丁目・番地)',
    addressBuilding: '住所(建物名)',
    phone: '電話番号',
    invoiceNumber: '適格請求書発行事業者登録番号',
    employeeCount: '従業員数',
    annualReferralCount: '年間ホスティングサービス紹介数',
    agreedToTerms: '利用規約と個人情報の取り扱いについて',
  };
  return labels[key];
}

function reviewRows(application) {
  const value = (key) => {
    const v = application[key];
    return v === undefined || v === null || v === '' ? '' : String(v);
  };
  const contractLabel = { corporation: '法人', sole_proprietor: '個人事業主' }[value('contractType')] || value('contractType');
  const rows = [
    ['email', value('email')],
    ['contractType', contractLabel],
  ];
  if (value('contractType') === 'corporation') {
    rows.push(['corporateName', value('corporateName')], ['corporateNameKana', value('corporateNameKana')]);
  }
  rows.push(
    ['name', `${value('lastName')} ${value('firstName')}`.trim()],
    ['nameKana', `${value('lastNameKana')} ${value('firstNameKana')}`.trim()],
    ['postalCode', value('postalCode')],
    ['addressRegion', value('addressRegion')],
    ['addressStreet', value('addressStreet')],
    ['addressBuilding', value('addressBuilding')],
    ['phone', value('phone')],
    ['invoiceNumber', value('invoiceNumber')],
    ['employeeCount', value('employeeCount')],
    ['annualReferralCount', value('annualReferralCount')],
    ['agreedToTerms', application.agreedToTerms === true ? MESSAGES.agreed : ''],
  );
  return rows;
}

function renderReview() {
  const review = $('review');
  review.replaceChildren();
  for (const [key, text] of reviewRows(state.confirmed.application)) {
    const row = document.createElement('div');
    row.className = 'review__row';
    row.dataset.review = key;
    const term = document.createElement('dt');
    term.textContent = labelOf(key);
    const detail = document.createElement('dd');
    detail.textContent = text || MESSAGES.notEntered;
    detail.classList.toggle('is-empty', !text);
    row.append(term, detail);
    review.append(row);
  }
  const warnings = $('review-warnings');
  warnings.replaceChildren();
  for (const warning of state.confirmed.warnings) {
    const item = document.createElement('li');
    item.textContent = warning.message;
    warnings.append(item);
  }
  warnings.hidden = state.confirmed.warnings.length === 0;
}

function showSubmitError(message, hint) {
  const box = $('submit-error');
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

async function submit() {
  // The flag stops a second click that lands before the button is disabled.
  if (state.sending || !state.confirmed) return;
  state.sending = true;
  const button = $('submit-application');
  const back = $('back-to-input');
  setBusy(button, true, MESSAGES.sending);
  back.disabled = true;
  $('submit-error').hidden = true;
  try {
    let response;
    try {
      response = await api.submitApplication(state.confirmed.payload, state.idempotencyKey);
    } catch {
      // The application may or may not be stored: retrying with the same key is safe.
      showSubmitError(MESSAGES.submitNetwork);
      return;
    }
    handleSubmitResponse(response);
  } finally {
    state.sending = false;
    if (!state.completed) {
      setBusy(button, false);
      back.disabled = false;
      if (state.step === 2) button.focus({ preventScroll: true });
    }
  }
}

function handleSubmitResponse({ status, body }) {
  if ((status === 201 || status === 200) && body && body.receptionNumber) {
    complete(body);
    return;
  }
  const code = api.envelopeCode(body);
  if (status === 409) {
    showSubmitError(api.envelopeMessage(body, MESSAGES.unexpected), MESSAGES.duplicateHint);
  } else if (status === 422 && body && Array.isArray(body.errors)) {
    // The server found errors after all: back to step 1, beside their fields.
    for (const key of FIELDS) state.touched.add(key);
    showStep(1, 'push', { focus: false });
    const shown = showIssues(body.errors, body.warnings);
    renderSummary(shown, '');
    if (shown.length > 0) focusField(shown[0].field);
  } else if (status === 422 && code === 'idempotency_key_reused') {
    state.idempotencyKey = newIdempotencyKey();
    state.keyFingerprint = fingerprint(state.confirmed.payload);
    saveDraft();
    showSubmitError(api.envelopeMessage(body, MESSAGES.unexpected), MESSAGES.keyReusedHint);
  } else if (status === 503 || status === 429 || status >= 500) {
    showSubmitError(api.envelopeMessage(body, MESSAGES.unexpected), MESSAGES.submitRetry);
  } else {
    showSubmitError(api.envelopeMessage(body, MESSAGES.unexpected));
  }
}

function formatReceivedAt(value) {
  // Shown as the server wrote it (JST), without the browser's time zone.
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || '');
  if (!match) return value || '';
  const [, y, m, d, hh, mm] = match;
  return `${y}年${Number(m)}月${Number(d)}日 ${hh}:${mm}`;
}

function showReceipt(receipt) {
  $('reception-number').textContent = receipt.receptionNumber;
  $('received-at').textContent = formatReceivedAt(receipt.receivedAt);
}

function complete(receipt) {
  state.completed = {
    receptionNumber: String(receipt.receptionNumber),
    receivedAt: String(receipt.receivedAt || ''),
  };
  try {
    sessionStorage.setItem(RECEIPT_KEY, JSON.stringify(state.completed));
  } catch {
    // Storage full or disabled: the receipt is still on screen.
  }
  clearDraft();
  resetForm();
  showReceipt(state.completed);
  // Replacing step 2's entry: back from here never returns to 「申し込む」.
  showStep(3, 'replace');
}

function resetForm() {
  form.reset();
  updateContractType();
  state.touched.clear();
  state.confirmed = null;
  state.idempotencyKey = null;
  state.keyFingerprint = null;
  for (const key of FIELDS) setFieldIssues(key, [], []);
  hideSummary();
  for (const tracker of state.furigana) tracker.reset();
  clearPostalChoices();
  setPostalStatus('', false);
}

// ---------------------------------------------------------------------------
// Postal code → address

function setPostalStatus(message, isError) {
  const status = $('postal-status');
  status.textContent = message;
  status.classList.toggle('is-error', isError);
}

function clearPostalChoices() {
  $('postal-choice-list').replaceChildren();
  $('postal-choices').hidden = true;
}

function addressLines(address) {
  const line1 = typeof address.line1 === 'string' ? address.line1
    : `${address.prefecture || ''}${address.city || ''}`;
  const line2 = typeof address.line2 === 'string' ? address.line2
    : `${address.town || ''}${address.street || ''}`;
  return { line1, line2 };
}

function fillAddress(address) {
  const { line1, line2 } = addressLines(address);
  $('addressRegion').value = line1;
  $('addressStreet').value = line2;
  clearPostalChoices();
  setPostalStatus(address.street ? MESSAGES.postalFilledWithStreet : MESSAGES.postalFilled, false);
  changed();
  scheduleCheck(0); // Clears errors shown on the address before it was filled.
  const street = $('addressStreet');
  street.focus();
  street.setSelectionRange(street.value.length, street.value.length);
}

function showPostalChoices(addresses) {
  const list = $('postal-choice-list');
  list.replaceChildren();
  for (const address of addresses) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'postal__choice';
    const { line1, line2 } = addressLines(address);
    const office = address.office && address.office.name ? `(${address.office.name})` : '';
    button.textContent = `${line1}${line2}${office}`;
    button.addEventListener('click', () => fillAddress(address));
    item.append(button);
    list.append(item);
  }
  $('postal-choices').hidden = false;
  setPostalStatus('', false);
  list.querySelector('button').focus();
}

async function lookupPostal() {
  const input = $('postalCode');
  const code = toHalfwidthDigits(input.value).trim();
  clearPostalChoices();
  if (code === '') {
    setPostalStatus(MESSAGES.postalEmpty, true);
    input.focus();
    return;
  }
  const button = $('postal-lookup');
  setBusy(button, true);
  setPostalStatus('', false);
  let response;
  try {
    response = await api.lookupPostal(code);
  } catch {
    setPostalStatus(MESSAGES.postalNetwork, true);
    return;
  } finally {
    setBusy(button, false);
  }
  const { status, body } = response;
  const addresses = status === 200 && body && Array.isArray(body.addresses) ? body.addresses : null;
  if (addresses && addresses.length === 1) {
    fillAddress(addresses[0]);
  } else if (addresses && addresses.length > 1) {
    showPostalChoices(addresses);
  } else if (status === 400) {
    setPostalStatus(api.envelopeMessage(body, MESSAGES.postalInvalid), true);
    input.focus();
  } else if (status === 404 || (addresses && addresses.length === 0)) {
    setPostalStatus(api.envelopeMessage(body, MESSAGES.postalNotFound), true);
    input.focus();
  } else {
    setPostalStatus(api.envelopeMessage(body, MESSAGES.postalNetwork), true);
  }
}

// ---------------------------------------------------------------------------
// Drafts (sessionStorage) and the unsaved-input warning

function saveDraft() {
  clearTimeout(state.draftTimer);
  if (!hasInput() && !state.idempotencyKey) {
    clearDraft();
    return;
  }
  const draft = {
    values: snapshot(),
    touched: Array.from(state.touched),
    idempotencyKey: state.idempotencyKey,
    keyFingerprint: state.keyFingerprint,
  };
  try {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
  } catch {
    // Private mode or full storage: the form still works, only without a draft.
  }
}

function loadDraft() {
  try {
    const draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || 'null');
    return draft && typeof draft === 'object' && draft.values ? draft : null;
  } catch {
    return null;
  }
}

function clearDraft() {
  clearTimeout(state.draftTimer);
  try {
    sessionStorage.removeItem(DRAFT_KEY);
  } catch {
    // Nothing stored.
  }
}

function changed() {
  clearTimeout(state.draftTimer);
  state.draftTimer = setTimeout(saveDraft, 300);
}

function onBeforeUnload(event) {
  if (!hasInput()) return;
  saveDraft();
  event.preventDefault();
  event.returnValue = '';
}

// ---------------------------------------------------------------------------
// Terms: plain text files an operator can replace

async function loadTerms() {
  for (const box of document.querySelectorAll('[data-content]')) {
    const url = box.dataset.content;
    try {
      const response = await fetch(url, { cache: 'no-cache' });
      if (!response.ok) throw new Error(String(response.status));
      box.textContent = (await response.text()).trim();
    } catch {
      const title = $(box.getAttribute('aria-labelledby')).textContent;
      const message = document.createElement('p');
      message.className = 'terms__fallback';
      message.append(`「${title}」${MESSAGES.termsFailed}`);
      const link = document.createElement('a');
      link.href = url;
      link.target = '_blank';
      link.rel = 'noopener';
      link.textContent = title;
      message.append(link);
      box.replaceChildren(message);
    }
  }
}

// ---------------------------------------------------------------------------
// Wiring

function addWarningElements() {
  for (const key of FIELDS) {
    const error = $(`${key}-error`);
    const warning = document.createElement('p');
    warning.className = 'field__warning';
    warning.id = `${key}-warning`;
    warning.hidden = true;
    error.after(warning);
    for (const input of inputsOf(key)) {
      const described = input.getAttribute('aria-describedby') || '';
      input.setAttribute('aria-describedby', `${described} ${warning.id}`.trim());
    }
  }
}

function wire() {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    openConfirm('push');
  });
  form.addEventListener('focusout', (event) => {
    const key = keyOfEvent(event);
    if (!key || key === 'website') return;
    state.touched.add(key);
    scheduleCheck(BLUR_DELAY_MS);
  });
  form.addEventListener('change', (event) => {
    const key = keyOfEvent(event);
    if (!key) return;
    if (key === 'contractType') updateContractType();
    if (key === 'contractType' || key === 'agreedToTerms') {
      state.touched.add(key);
      scheduleCheck(0);
    }
    changed();
  });
  form.addEventListener('input', (event) => {
    const key = keyOfEvent(event);
    if (!key) return;
    changed();
    // A field in error is checked again as it is corrected.
    if (event.target.getAttribute('aria-invalid') === 'true' && !event.isComposing) {
      scheduleCheck(RECHECK_DELAY_MS);
    }
  });

  for (const input of form.querySelectorAll('[data-reading]')) {
    normaliseAsYouType(input, toKatakana, changed);
  }
  for (const input of form.querySelectorAll('[data-digits]')) {
    normaliseAsYouType(input, toHalfwidthDigits, changed);
  }
  const onFurigana = () => {
    changed();
    if (form.querySelector('[data-reading][aria-invalid="true"]')) scheduleCheck(RECHECK_DELAY_MS);
  };
  state.furigana = [
    autoFurigana($('corporateName'), $('corporateNameKana'), onFurigana),
    autoFurigana($('lastName'), $('lastNameKana'), onFurigana),
    autoFurigana($('firstName'), $('firstNameKana'), onFurigana),
  ];

  $('postal-lookup').addEventListener('click', lookupPostal);
  $('postalCode').addEventListener('keydown', (event) => {
    // Enter in the postal code looks the address up instead of leaving the step.
    if (event.key === 'Enter' && !event.isComposing) {
      event.preventDefault();
      lookupPostal();
    }
  });

  $('skip-link').addEventListener('click', (event) => {
    // The step's own heading, without touching the URL (it names the step).
    event.preventDefault();
    $(STEP_HEADING[state.step]).scrollIntoView({ block: 'start' });
    focusStepHeading(state.step);
  });
  $('back-to-input').addEventListener('click', () => {
    showStep(1, 'push');
  });
  $('submit-application').addEventListener('click', submit);
  window.addEventListener('popstate', onPopState);
  window.addEventListener('beforeunload', onBeforeUnload);
  window.addEventListener('pagehide', saveDraft);
}

function start() {
  addWarningElements();
  wire();
  loadTerms();

  const draft = loadDraft();
  if (draft) {
    restore(draft.values);
    for (const key of draft.touched || []) if (FIELDS.includes(key)) state.touched.add(key);
    state.idempotencyKey = typeof draft.idempotencyKey === 'string' ? draft.idempotencyKey : null;
    state.keyFingerprint = typeof draft.keyFingerprint === 'string' ? draft.keyFingerprint : null;
  }
  updateContractType();
  for (const tracker of state.furigana) tracker.reset();

  let receipt = null;
  try {
    receipt = JSON.parse(sessionStorage.getItem(RECEIPT_KEY) || 'null');
  } catch {
    receipt = null;
  }
  const wanted = stepFromHash(location.hash);
  if (wanted === 3 && receipt && receipt.receptionNumber) {
    state.completed = receipt;
    showReceipt(receipt);
    showStep(3, 'replace', { focus: false });
  } else if (wanted === 2 && draft) {
    showStep(1, 'replace', { focus: false });
    openConfirm('replace');
  } else {
    // A plain first visit keeps its URL; the step is recorded without a hash.
    state.step = 1;
    window.history.replaceState({ step: 1 }, '', location.href.split('#')[0] + (location.hash ? STEP_HASH[1] : ''));
    showStep(1, 'none', { focus: false });
    if (state.touched.size > 0) scheduleCheck(0);
  }
  document.documentElement.dataset.ready = 'true';
}

start();
