// The detail's メール送信履歴 (contract v3, *Mail delivery status*): every mail
// sent about the application, oldest first, with whom it went to, when, and
// whether it arrived as far as the provider has told (locally a mail is
// 送信済み once it is in the outbox). Every label is fields.js's (MAIL_KINDS,
// DELIVERY_STATUSES, generated from Rust); only the badge's tone is chosen here.

import { DELIVERY_STATUSES } from '../../js/fields.js';
import { $, fill, h } from './dom.js';
import { dateTime, deliveryStatusLabel, mailKindLabel } from './format.js';

/** The recipient roles of the API (`to`) as the console names them. */
const RECIPIENTS = { applicant: '申込者', operators: '担当者' };

/**
 * A status's tone, with the scan states' colours: a failure (fields.js's
 * `problem`) is danger, a delay a warning, a delivery ok; 送信済み (and a
 * status this console does not know) is information only.
 */
export function deliveryTone(status) {
  const entry = DELIVERY_STATUSES.find((s) => s.value === status);
  if (entry && entry.problem) return 'danger';
  if (status === 'delayed') return 'warn';
  if (status === 'delivered') return 'ok';
  return 'info';
}

/** Whether a mail to the applicant failed: the list flags such a row (`mailProblem`). */
export function applicantMailFailed(mails) {
  return mails.some(
    (mail) => mail.to === 'applicant' && DELIVERY_STATUSES.some((s) => s.value === mail.status && s.problem),
  );
}

function row(mail) {
  const tone = deliveryTone(mail.status);
  return h(
    'tr',
    { dataset: { mailId: mail.mailId, status: mail.status } },
    h('td', {}, mailKindLabel(mail.kind)),
    // The status second: at 375 px it is in view before the table scrolls.
    h(
      'td',
      {},
      h('span', { class: `delivery delivery--${tone}` }, deliveryStatusLabel(mail.status)),
      mail.detail ? h('span', { class: 'delivery__note' }, mail.detail) : null,
      mail.statusAt ? h('span', { class: 'delivery__at' }, `${dateTime(mail.statusAt)} に更新`) : null,
    ),
    h('td', { class: 'nowrap' }, RECIPIENTS[mail.to] || mail.to || '—'),
    h('td', { class: 'nowrap' }, dateTime(mail.sentAt)),
  );
}

/** Draws the detail's mails; an erased application (no mails, no personal data) shows no section. */
export function render(detail) {
  const live = Boolean(detail.application);
  $('mails-panel').hidden = !live;
  const mails = live && Array.isArray(detail.mails) ? detail.mails : [];
  fill($('detail-mails'), mails.map(row));
  $('mails-table-wrap').hidden = mails.length === 0;
  $('mails-empty').hidden = mails.length > 0;
}
