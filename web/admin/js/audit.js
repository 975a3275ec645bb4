// The audit view: every operator action, newest first, never changed. It
// names applications by id only; a link opens the application.

import { setBusy } from '../../js/busy.js';
import * as api from './client.js';
import { $, fill, focusOn, h, notice } from './dom.js';
import { actorLabel, auditLabel, dateTime } from './format.js';
import * as router from './router.js';

let nextCursor = null;

function row(entry) {
  return h(
    'tr',
    {},
    h('td', { class: 'nowrap' }, dateTime(entry.at)),
    h('td', { class: 'break' }, actorLabel(entry.actor)),
    h('td', {}, auditLabel(entry.action)),
    h('td', {}, entry.applicationId ? h('a', router.linkAttributes({ view: 'detail', id: entry.applicationId }), entry.applicationId) : '—'),
  );
}

const page = (cursor) => api.audit(cursor);

export async function show() {
  notice($('audit-error'), '');
  fill($('audit-rows'));
  const answer = await page();
  if (!answer.ok) {
    notice($('audit-error'), api.messageOf(answer, '監査ログを読み込めませんでした。もう一度お試しください。'));
    return;
  }
  fill($('audit-rows'), answer.body.entries.map(row));
  nextCursor = answer.body.nextCursor;
  $('audit-more').hidden = !nextCursor;
}

async function more() {
  const button = $('audit-more');
  setBusy(button, true, '読み込んでいます…');
  const answer = await page(nextCursor);
  setBusy(button, false);
  if (!answer.ok) {
    notice($('audit-error'), api.messageOf(answer, '続きを読み込めませんでした。もう一度お試しください。'));
    return;
  }
  const rows = answer.body.entries.map(row);
  $('audit-rows').append(...rows);
  nextCursor = answer.body.nextCursor;
  button.hidden = !nextCursor;
  focusOn(rows[0] ? rows[0].cells[0] : $('audit-title'));
}

export function wire() {
  $('audit-more').addEventListener('click', more);
}
