// The documents an applicant submitted (contract v3, *Documents*): each
// file's name, type, size, time and malware scan state, and its download
// through a short-lived link (audited `view_document`). A file found to carry
// a threat has no download. The scan states' words, guidance and whether a
// file may be downloaded come from Rust (`ScanState`, generated into
// fields.js as SCAN_STATES); only each badge's tone is chosen here.

import { ERROR_CODES, SCAN_STATES } from '../../js/fields.js';
import { formatSize, typeLabel } from '../../js/files.js';
import { setBusy } from '../../js/busy.js';
import * as api from './client.js';
import { $, announce, fill, h, notice } from './dom.js';
import { dateTime } from './format.js';

/** Each scan state's badge tone. */
const TONES = {
  not_scanned: 'info',
  pending: 'info',
  no_threats_found: 'ok',
  threats_found: 'danger',
  unsupported: 'warn',
  failed: 'warn',
};

/** A scan state's entry with its tone; an unknown state is treated as not checked, and downloadable only after a warning. */
export function scanState(value) {
  const state = SCAN_STATES.find((s) => s.value === value) || { value, label: value || '—', note: '', download: true };
  return { ...state, tone: TONES[state.value] || 'info' };
}

let application = null; // the application whose documents are shown

function downloadButton(doc) {
  const button = h(
    'button',
    { type: 'button', class: 'button button--secondary button--small', dataset: { documentId: doc.documentId } },
    'ダウンロード',
    h('span', { class: 'visually-hidden' }, `(${doc.fileName})`),
  );
  button.addEventListener('click', () => download(doc, button));
  return button;
}

function row(doc) {
  const scan = scanState(doc.scan);
  return h(
    'tr',
    { dataset: { documentId: doc.documentId, scan: doc.scan } },
    h('td', { class: 'break document__name' }, doc.fileName),
    h('td', { class: 'nowrap' }, typeLabel(doc.contentType)),
    h('td', { class: 'nowrap numeric' }, formatSize(doc.size)),
    h('td', { class: 'nowrap' }, dateTime(doc.uploadedAt)),
    h('td', {}, h('span', { class: `scan scan--${scan.tone}` }, scan.label), scan.note ? h('span', { class: 'scan__note' }, scan.note) : null),
    h('td', { class: 'nowrap' }, scan.download ? downloadButton(doc) : h('span', { class: 'scan__none' }, '—')),
  );
}

/** Draws the detail's documents (none: says so). */
export function render(detail) {
  // An answer without the documents (a decision's) leaves those on screen.
  if (!Array.isArray(detail.documents) && application === detail.applicationId) return;
  application = detail.applicationId;
  const documents = Array.isArray(detail.documents) ? detail.documents : [];
  notice($('documents-error'), '');
  fill($('documents-rows'), documents.map(row));
  $('documents-table-wrap').hidden = documents.length === 0;
  $('documents-empty').hidden = documents.length > 0;
}

/** Asks for a short-lived link and goes to it: the file downloads (Content-Disposition: attachment). */
async function download(doc, button) {
  if (button.disabled) return;
  const applicationId = application;
  notice($('documents-error'), '');
  setBusy(button, true);
  const answer = await api.documentLink(applicationId, doc.documentId);
  setBusy(button, false);
  if (applicationId !== application) return; // another application opened meanwhile
  if (answer.ok && answer.body && answer.body.url) {
    announce(`${doc.fileName} をダウンロードします。`);
    window.location.assign(answer.body.url);
    return;
  }
  const code = api.codeOf(answer);
  const message =
    code === ERROR_CODES.documentUnsafe
      ? `「${doc.fileName}」からは脅威が検出されたため、ダウンロードできません。`
      : answer.network
        ? '通信できませんでした。もう一度お試しください。'
        : api.messageOf(answer, 'ダウンロードできませんでした。もう一度お試しください。');
  notice($('documents-error'), message);
}
