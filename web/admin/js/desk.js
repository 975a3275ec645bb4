// The detail's desk: the operators' notes (internal, never mailed; newest
// first, beside the history) with the form that adds one, and the 担当
// (assignee) control. Neither changes the application's version, so neither
// interferes with a decision in progress.

import * as api from './client.js';
import { $, announce, fill, h, notice } from './dom.js';
import { actorLabel, dateTime } from './format.js';
import * as roles from './roles.js';
import { setBusy } from '../../js/busy.js';

let shown = null; // the detail whose notes and assignee are on screen
let onAssigned = () => {};

function noteRows(notes) {
  if (!notes.length) return [h('li', { class: 'notes__empty' }, 'メモはまだありません。')];
  return notes.map((note) =>
    h(
      'li',
      { class: 'notes__item', dataset: { noteId: note.noteId } },
      h('p', { class: 'notes__meta' }, `${dateTime(note.at)} ${actorLabel(note.actor)}`),
      h('p', { class: 'notes__text message' }, note.text),
    ),
  );
}

function renderAssignee(detail) {
  const assignee = detail.assignee || null;
  const mine = assignee && assignee === roles.myEmail();
  $('assignee-current').textContent = assignee ? `${assignee}${mine ? '(自分)' : ''}` : '未割当';
  $('assign-me').hidden = !detail.application || mine;
  $('assign-none').hidden = !detail.application || !assignee;
}

/** Draws the notes and the assignee of `detail` (the API's answer). */
export function render(detail) {
  shown = detail;
  const live = Boolean(detail.application);
  $('desk-panel').hidden = !live;
  $('notes-form').hidden = !live;
  fill($('detail-notes'), noteRows(detail.notes || []));
  renderAssignee(detail);
}

async function addNote(event) {
  event.preventDefault();
  if (!shown) return;
  const field = $('note-text');
  const button = $('note-add');
  notice($('note-error'), '');
  setBusy(button, true, '追加しています…');
  const answer = await api.addNote(shown.applicationId, field.value);
  setBusy(button, false);
  if (!answer.ok) {
    notice($('note-error'), api.messageOf(answer, 'メモを追加できませんでした。もう一度お試しください。'));
    field.setAttribute('aria-invalid', 'true');
    field.focus();
    return;
  }
  field.value = '';
  field.removeAttribute('aria-invalid');
  shown.notes = [answer.body, ...(shown.notes || [])];
  fill($('detail-notes'), noteRows(shown.notes));
  announce('メモを追加しました。');
}

async function assign(assignee) {
  if (!shown) return;
  notice($('assignee-error'), '');
  const answer = await api.assign(shown.applicationId, assignee);
  if (!answer.ok) {
    notice($('assignee-error'), api.messageOf(answer, '担当を変更できませんでした。もう一度お試しください。'));
    return;
  }
  shown.assignee = answer.body.assignee;
  renderAssignee(shown);
  onAssigned();
  announce(answer.body.assignee ? `担当を${answer.body.assignee}にしました。` : '担当の割り当てを解除しました。');
}

/** Wires the controls once; `assigned` runs after each change of assignee (the list is read again). */
export function wire({ assigned } = {}) {
  if (assigned) onAssigned = assigned;
  $('notes-form').addEventListener('submit', addNote);
  $('assign-me').addEventListener('click', () => assign(roles.myEmail()));
  $('assign-none').addEventListener('click', () => assign(null));
}
