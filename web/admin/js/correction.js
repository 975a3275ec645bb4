// A correction (訂正, privacy notice (8)): the detail's fields become inputs in
// place, under the form's own labels; the changes are shown before anything is
// sent; one Idempotency-Key per confirmation, so a double click or a retry
// corrects once; the form's own rules answer (422 with field errors, shown
// beside each input), and a version conflict reloads as a decision's does,
// keeping what was typed.

import { CORRECTION_REASONS, ERROR_CODES, FIELDS, STATUSES } from '../../js/fields.js';
import { reviewRows } from '../../js/field-table.js';
import { setBusy } from '../../js/busy.js';
import * as api from './client.js';
import * as dialogs from './dialogs.js';
import { $, fill, h, notice } from './dom.js';

let editing = null; // {detail, onDone, onConflict}
let pendingKey = null; // the confirmation's Idempotency-Key
// What was typed per application, kept while the tab lives: a conflict or a
// cancelled confirmation does not lose it.
const drafts = new Map();

const fieldOf = (key) => FIELDS.find((field) => field.key === key);
const inputId = (key) => `correct-${key}`;

/** Whether `detail` may be corrected: alive and its address proven. */
export function allowed(detail) {
  const status = STATUSES.find((s) => s.value === detail.status);
  return Boolean(detail.application && status && status.verified);
}

/** The value an input starts with: the stored one as text ('' for nothing). */
function stored(application, key) {
  const value = application[key];
  return value === undefined || value === null ? '' : String(value);
}

/** The detail's rows as inputs: correctable fields editable, the others shown as they are. */
function editRows(detail) {
  const application = detail.application;
  const draft = drafts.get(detail.applicationId) || {};
  return reviewRows(application, { grouped: false }).map(([key, label, text]) => {
    const field = fieldOf(key);
    if (!field || !field.correctable) {
      return h(
        'div',
        { class: 'review__row', dataset: { field: key } },
        h('dt', {}, label),
        h('dd', {}, text || '(未入力)', h('span', { class: 'field__note' }, '(訂正できません)')),
      );
    }
    const id = inputId(key);
    const input = h('input', {
      class: 'input',
      id,
      name: key,
      type: 'text',
      inputmode: field.kind === 'count' ? 'numeric' : undefined,
      autocomplete: 'off',
      maxlength: field.maxChars ? String(field.maxChars * 2) : undefined,
      'aria-describedby': `${id}-error`,
    });
    input.value = key in draft ? draft[key] : stored(application, key);
    input.addEventListener('input', () => {
      const kept = drafts.get(detail.applicationId) || {};
      kept[key] = input.value;
      drafts.set(detail.applicationId, kept);
    });
    return h(
      'div',
      { class: 'review__row review__row--edit', dataset: { field: key } },
      h('dt', {}, h('label', { for: id }, label), field.required ? h('span', { class: 'badge badge--required' }, '必須') : null),
      h('dd', {}, input, h('p', { class: 'field__error', id: `${id}-error`, hidden: true })),
    );
  });
}

/** Turns the detail's fields into inputs. */
export function start(detail, { onDone, onConflict }) {
  editing = { detail, onDone, onConflict };
  fill($('detail-fields'), editRows(detail));
  const reason = $('correction-reason');
  if (!reason.options.length) {
    reason.append(...CORRECTION_REASONS.map((r) => h('option', { value: r.value }, r.label)));
  }
  notice($('correction-error'), '');
  $('correction-actions').hidden = false;
  $('correct-open').hidden = true;
  const first = $('detail-fields').querySelector('input');
  if (first) first.focus();
}

/** Leaves editing (the caller draws the fields again). */
export function stop() {
  editing = null;
  pendingKey = null;
  $('correction-actions').hidden = true;
}

export const active = () => editing;

/** The changed fields: [{key, label, before, after}] in the form's order. */
function changes() {
  const { detail } = editing;
  const found = [];
  for (const input of $('detail-fields').querySelectorAll('input[name]')) {
    const key = input.name;
    const before = stored(detail.application, key);
    const after = input.value.trim();
    if (after !== before) found.push({ key, label: fieldOf(key).label, before, after });
  }
  return found;
}

/** The request's `changes`: '' clears, a count is a number when it is digits. */
function body(found) {
  const values = {};
  for (const { key, after } of found) {
    if (after === '') values[key] = null;
    else if (fieldOf(key).kind === 'count' && /^[0-9]+$/.test(after)) values[key] = Number(after);
    else values[key] = after;
  }
  return values;
}

function clearErrors() {
  for (const error of $('detail-fields').querySelectorAll('.field__error')) notice(error, '');
  for (const input of $('detail-fields').querySelectorAll('input[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** Shows validation's errors beside their inputs; true if any had one. */
function showErrors(errors) {
  let first = null;
  for (const issue of errors) {
    const input = $(inputId(issue.field));
    const error = $(`${inputId(issue.field)}-error`);
    if (!input || !error) continue;
    notice(error, issue.message);
    input.setAttribute('aria-invalid', 'true');
    first = first || input;
  }
  if (first) first.focus();
  return Boolean(first);
}

/** Shows the changes before anything is sent. */
function review() {
  if (!editing) return;
  clearErrors();
  const found = changes();
  if (!found.length) {
    notice($('correction-error'), '変更された項目がありません。訂正する値を入力してください。');
    return;
  }
  notice($('correction-error'), '');
  pendingKey = api.newIdempotencyKey();
  $('correction-subject').textContent = `受付番号 ${editing.detail.receptionNumber}`;
  const reason = CORRECTION_REASONS.find((r) => r.value === $('correction-reason').value);
  $('correction-reason-echo').textContent = reason ? reason.label : '';
  fill(
    $('correction-changes'),
    found.map(({ label, before, after }) =>
      h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'break' }, before || '(未入力)'), h('td', { class: 'break' }, after || '(未入力)')),
    ),
  );
  notice($('correction-dialog-error'), '');
  setBusy($('correction-submit'), false);
  dialogs.open($('correction-dialog'), $('correction-cancel'));
}

async function submit(event) {
  event.preventDefault();
  if (!editing || !pendingKey) return;
  const button = $('correction-submit');
  if (button.disabled) return;
  const { detail } = editing;
  const found = changes();
  setBusy(button, true, '送信しています…');
  const answer = await api.correct(
    detail.applicationId,
    { expectedVersion: detail.version, reason: $('correction-reason').value, changes: body(found) },
    pendingKey,
  );
  setBusy(button, false);
  if (answer.network) {
    notice($('correction-dialog-error'), '通信できませんでした。もう一度押すと、同じ操作として送り直します(二重には処理されません)。');
    return;
  }
  const done = editing;
  if (answer.ok) {
    drafts.delete(detail.applicationId);
    dialogs.close($('correction-dialog'));
    stop();
    done.onDone(answer.body, found);
    return;
  }
  const code = api.codeOf(answer);
  if (code === ERROR_CODES.versionConflict || code === ERROR_CODES.notCorrectable) {
    dialogs.close($('correction-dialog'));
    stop();
    done.onConflict(code);
    return;
  }
  if (answer.status === 422 && answer.body && Array.isArray(answer.body.errors)) {
    // The form's own rules refused a value: beside its input, as the form shows it.
    dialogs.close($('correction-dialog'));
    pendingKey = null;
    if (!showErrors(answer.body.errors)) notice($('correction-error'), '入力内容に誤りがあります。');
    return;
  }
  if (answer.status === 401) {
    notice($('correction-dialog-error'), 'サインインしていないため送信できませんでした。入力内容は残っています。もう一度押してください。');
    return;
  }
  notice($('correction-dialog-error'), api.messageOf(answer, '送信できませんでした。もう一度お試しください。'));
}

export function wire({ onCancel }) {
  $('correction-review').addEventListener('click', review);
  $('correction-abandon').addEventListener('click', () => {
    if (editing) drafts.delete(editing.detail.applicationId);
    stop();
    onCancel();
  });
  $('correction-form').addEventListener('submit', submit);
  const close = () => {
    pendingKey = null;
    dialogs.close($('correction-dialog'));
  };
  $('correction-cancel').addEventListener('click', close);
  dialogs.onCancel($('correction-dialog'), close);
}
