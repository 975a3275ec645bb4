// Erasure of an application's personal data: a required reason, then a
// second confirmation that says it cannot be undone. The reason is one of the
// codes of fields.js (it is kept in the history for good, so never free text).

import { setBusy } from '../../js/busy.js';
import * as api from './client.js';
import * as dialogs from './dialogs.js';
import { ERASURE_REASONS } from '../../js/fields.js';
import { $, focusOn, h, notice } from './dom.js';
import { erasureReasonLabel } from './format.js';

let current = null; // {detail, onDone}

function step(confirming) {
  $('erasure-step-reason').hidden = confirming;
  $('erasure-step-confirm').hidden = !confirming;
  $('erasure-next').hidden = confirming;
  $('erasure-submit').hidden = !confirming;
}

export function openFor(detail, { onDone }) {
  current = { detail, onDone };
  $('erasure-subject').textContent = `受付番号 ${detail.receptionNumber}`;
  step(false);
  notice($('erasure-error'), '');
  notice($('erasure-reason-error'), '');
  $('erasure-reason').value = '';
  $('erasure-reason').removeAttribute('aria-invalid');
  setBusy($('erasure-submit'), false);
  dialogs.open($('erasure-dialog'), $('erasure-reason'));
}

function next() {
  const reason = $('erasure-reason').value;
  const problem = reason ? '' : '消去の理由を選んでください。';
  notice($('erasure-reason-error'), problem);
  if (problem) {
    $('erasure-reason').setAttribute('aria-invalid', 'true');
    $('erasure-reason').focus();
    return;
  }
  $('erasure-reason').removeAttribute('aria-invalid');
  $('erasure-reason-echo').textContent = erasureReasonLabel(reason);
  step(true);
  focusOn($('erasure-confirm-text'));
}

async function submit(event) {
  event.preventDefault();
  if (!current || $('erasure-submit').hidden) return next();
  const button = $('erasure-submit');
  if (button.disabled) return;
  setBusy(button, true, '消去しています…');
  notice($('erasure-error'), '');
  const answer = await api.erase(current.detail.applicationId, $('erasure-reason').value);
  setBusy(button, false);
  if (!answer.ok) {
    notice($('erasure-error'), api.messageOf(answer, '消去できませんでした。もう一度お試しください。'));
    return;
  }
  const done = current;
  current = null;
  $('erasure-reason').value = '';
  dialogs.close($('erasure-dialog'));
  done.onDone();
}

function cancel() {
  current = null;
  dialogs.close($('erasure-dialog'));
}

export function wire() {
  $('erasure-reason').append(...ERASURE_REASONS.map((reason) => h('option', { value: reason.value }, reason.label)));
  $('erasure-form').addEventListener('submit', submit);
  $('erasure-next').addEventListener('click', next);
  $('erasure-cancel').addEventListener('click', cancel);
  dialogs.onCancel($('erasure-dialog'), cancel);
}
