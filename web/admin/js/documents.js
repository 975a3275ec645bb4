// The documents an applicant submitted (contract v3, *Documents*): each
// file's name, type, size, time and malware scan state, and its download
// through a short-lived link (audited `view_document`). A file found to carry
// a threat has no download. The scan states' Japanese, declared here once.

import { ERROR_CODES } from '../../js/fields.js';
import { formatSize, typeLabel } from '../../js/files.js';
import { setBusy } from '../../js/busy.js';
import * as api from './client.js';
import { $, announce, fill, h, notice } from './dom.js';
import { dateTime } from './format.js';

/**
 * The scan states (`scan` of each document): their label, what the operator
 * should do, whether the file may be downloaded, and the badge's tone.
 */
export const SCAN_STATES = [
  { value: 'not_scanned', label: '未検査', note: 'ウイルス検査は行われていません(この環境では検査しない設定です)。', download: true, tone: 'info' },
  { value: 'pending', label: '検査中', note: 'ウイルス検査が終わっていません。急ぎでなければ、検査の結果を待ってから開いてください。', download: true, tone: 'info' },
  { value: 'no_threats_found', label: '問題なし', note: '', download: true, tone: 'ok' },
  { value: 'threats_found', label: '脅威を検出(ダウンロード不可)', note: 'このファイルは開けません。申込者に別のファイルの提出を依頼してください。', download: false, tone: 'danger' },
  {
    value: 'unsupported',
    label: '検査できない形式(パスワード付きPDFなど)',
    note: 'ダウンロード前に送付元へ確認してください(申込者が送ったファイルか、パスワードが付いているか)。',
    download: true,
    tone: 'warn',
  },
  { value: 'failed', label: '検査に失敗', note: 'ウイルス検査に失敗しました。開く前に、送付元へ確認してください。', download: true, tone: 'warn' },
];

/** A scan state's entry; an unknown state is treated as not checked, and downloadable only after a warning. */
export function scanState(value) {
  return SCAN_STATES.find((s) => s.value === value) || { value, label: value || '—', note: '', download: true, tone: 'info' };
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
