// How values read in the console: Japan time, the statuses', actions' and
// mails' Japanese names (declared once in Rust, generated into fields.js).

import {
  AUDIT_ACTIONS,
  CONTRACT_TYPES,
  CORRECTION_REASONS,
  DELIVERY_STATUSES,
  ERASURE_REASONS,
  FIELDS,
  HISTORY_ACTIONS,
  MAIL_KINDS,
  STATUSES,
} from '../../js/fields.js';

const DATE_TIME = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});

/** `2026/12/01 09:30` in Japan time, or `—` for none. */
export function dateTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : DATE_TIME.format(date);
}

function labelOf(table, value) {
  const entry = table.find((e) => e.value === value);
  return entry ? entry.label : value || '—';
}

export const statusLabel = (status) => labelOf(STATUSES, status);
export const contractTypeLabel = (type) => labelOf(CONTRACT_TYPES, type);
export const historyLabel = (action) => labelOf(HISTORY_ACTIONS, action);
export const auditLabel = (action) => labelOf(AUDIT_ACTIONS, action);
export const erasureReasonLabel = (reason) => labelOf(ERASURE_REASONS, reason);
export const correctionReasonLabel = (reason) => labelOf(CORRECTION_REASONS, reason);
export const mailKindLabel = (kind) => labelOf(MAIL_KINDS, kind);
export const deliveryStatusLabel = (status) => labelOf(DELIVERY_STATUSES, status);

/** A field's label in the form (a key the table does not know reads as itself). */
export function fieldLabel(key) {
  const field = FIELDS.find((f) => f.key === key);
  return field ? field.label : key;
}

/** Who acted: an operator's sign-in name, 申込者 or 不明. */
export function actorLabel(actor) {
  if (actor === 'applicant') return '申込者';
  if (actor === 'unknown') return '不明';
  if (actor === 'retention') return '保存期間による自動消去';
  return actor || '—';
}

/** A status badge's class: one colour per status. */
export function statusClass(status) {
  return `status-badge status-badge--${String(status).replace(/_/g, '-')}`;
}
