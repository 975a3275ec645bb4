// The verification page (/verify#token=…): the link from the verification
// mail. It shows what the token would confirm (preview changes nothing, so a
// mail scanner that opens the link confirms nothing), confirms on the button,
// and then shows the reception number. A link used before shows only the
// status and the reception number, which is all its preview answers then: a
// mail read later by someone else does not show the application again. The
// token lives in the fragment and in memory only; it is taken out of the
// address bar at once.

import * as api from './api.js';
import { setBusy } from './busy.js';
import { ERROR_CODES, STATUSES } from './fields.js';
import { clearHash, tokenFromHash } from './link-token.js';
import { formatTime, renderRows } from './review.js';

const MESSAGES = {
  malformed: 'このリンクの形式が正しくありません。メールに記載されたリンクを、途中で切れないようにそのまま開いてください。',
  network: '通信エラーが発生しました。通信環境をご確認のうえ、もう一度お試しください。',
  retry: 'もう一度お試しください。',
  unexpected: '予期しないエラーが発生しました。しばらくしてから再度お試しください。',
  sending: '確定しています…',
};

const SECTIONS = ['verify-loading', 'verify-preview', 'verify-done', 'verify-used', 'verify-failed'];
const AWAITING_VERIFICATION = 'awaiting_verification';
const $ = (id) => document.getElementById(id);

function show(id) {
  for (const section of SECTIONS) $(section).hidden = section !== id;
  const title = $(id).querySelector('h2[tabindex]');
  if (title) title.focus({ preventScroll: false });
}

function fail(message) {
  $('verify-failed-message').textContent = message;
  show('verify-failed');
}

function renderPreview(body) {
  renderRows($('verify-review'), body.application);
  $('verify-expires-at').textContent = formatTime(body.expiresAt);
  show('verify-preview');
}

/** A link confirmed before: where the application stands, nothing of it. */
function renderUsed(body) {
  const status = STATUSES.find((s) => s.value === body.status);
  $('used-reception-number').textContent = String(body.receptionNumber);
  $('used-status').textContent = status ? status.label : '';
  show('verify-used');
}

function renderDone(body) {
  $('reception-number').textContent = String(body.receptionNumber);
  $('received-at').textContent = formatTime(body.receivedAt);
  show('verify-done');
}

/** An error answer: the page to show, or a retryable message beside the button. */
function handleError({ status, body }, retryable) {
  const code = api.envelopeCode(body);
  const message = api.envelopeMessage(body, MESSAGES.unexpected);
  if (code === ERROR_CODES.verificationNotFound || code === ERROR_CODES.verificationExpired) {
    fail(message);
  } else if (status === 400) {
    fail(MESSAGES.malformed);
  } else if (retryable) {
    const box = $('verify-error');
    box.textContent = `${message} ${status === 429 || status >= 500 ? MESSAGES.retry : ''}`.trim();
    box.hidden = false;
  } else {
    fail(message);
  }
}

async function confirm(token) {
  const button = $('verify-confirm');
  if (button.disabled) return;
  setBusy(button, true, MESSAGES.sending);
  $('verify-error').hidden = true;
  try {
    const response = await api.confirmVerification(token);
    if (response.status === 200 && response.body && response.body.receptionNumber) {
      renderDone(response.body);
      return;
    }
    handleError(response, true);
  } catch {
    handleError({ status: 0, body: { error: { message: MESSAGES.network } } }, true);
  } finally {
    setBusy(button, false);
  }
}

async function start() {
  const token = tokenFromHash(location.hash);
  clearHash();
  if (!token) {
    fail(MESSAGES.malformed);
    return;
  }
  let response;
  try {
    response = await api.previewVerification(token);
  } catch {
    fail(MESSAGES.network);
    return;
  }
  const { status, body } = response;
  if (status === 200 && body && body.status && body.status !== AWAITING_VERIFICATION && body.receptionNumber) {
    // Confirmed before (a reload, a second click on the link).
    renderUsed(body);
    return;
  }
  if (status !== 200 || !body || !body.application) {
    handleError(response, false);
    return;
  }
  renderPreview(body);
  $('verify-confirm').addEventListener('click', () => confirm(token));
}

// The page has settled (shown what it can): tests and the form wait for this.
start().finally(() => {
  document.documentElement.dataset.ready = 'true';
});
