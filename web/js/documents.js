// The documents page (/documents#token=…): the link of the 資料提出のお願い
// mail (contract v3, *Documents*). It shows the reception number, the
// operator's message and the deadline; the applicant adds files (input or
// drag-and-drop), each checked against the request's limits before it is
// sent, each uploaded at once straight to storage with its progress shown;
// removes one; and submits them all. The token lives in the fragment and in
// memory only, taken out of the address bar at once, as the verification
// page's. Nothing of the files is kept after the tab closes.

import * as api from './api.js';
import { setBusy } from './busy.js';
import { DOCUMENT_TYPES, ERROR_CODES, STATUSES } from './fields.js';
import { contentTypeOf, formatSize, typeLabel } from './files.js';
import { newIdempotencyKey } from './idempotency.js';
import { clearHash, tokenFromHash } from './link-token.js';
import { formatTime } from './review.js';
import * as uploads from './uploads.js';

const SECTIONS = ['docs-loading', 'docs-form', 'docs-done', 'docs-submitted', 'docs-closed', 'docs-failed'];
const REQUESTED = 'documents_requested';
const SUBMITTED = 'documents_submitted';
/** The contract's rule for `fileName`. */
const MAX_NAME_CHARS = 200;

const MESSAGES = {
  malformed: 'このリンクの形式が正しくありません。メールに記載されたリンクを、途中で切れないようにそのまま開いてください。',
  network: '通信エラーが発生しました。通信環境をご確認のうえ、もう一度お試しください。',
  unexpected: '予期しないエラーが発生しました。しばらくしてから再度お試しください。',
  noFiles: '提出するファイルを追加してください。',
  stillUploading: 'アップロード中のファイルがあります。すべてのファイルのアップロードが終わってから、もう一度押してください。',
  notUploaded: 'アップロードできていないファイルがあります。そのファイルの「再試行」を押すか、取り除いてから提出してください。',
  submitNetwork: '通信エラーのため、提出できたかどうか確認できませんでした。「もう一度送信する」を押してください(二重に提出されることはありません)。',
  sending: '提出しています…',
};

const $ = (id) => document.getElementById(id);

/** The page's state: the token, the request's limits, and the files in the list. */
const page = {
  token: null,
  limits: null,
  files: [], // {id, file, name, size, contentType, state, progress, documentId, upload, message, element}
  nextId: 1,
  submission: null, // {key, ids}: one Idempotency-Key per set of files, reused on retry
  submitting: false,
  closed: false, // submitted, expired or superseded: no more uploads
};

// ---------------------------------------------------------------- elements

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function show(id) {
  for (const section of SECTIONS) $(section).hidden = section !== id;
  const title = $(id).querySelector('h2[tabindex]');
  if (title) title.focus({ preventScroll: false });
}

/** The link cannot be used; `retry` when only the network failed (the token is still in memory). */
function fail(message, { retry = false } = {}) {
  page.closed = true;
  for (const entry of page.files) if (entry.upload) entry.upload.abort();
  $('docs-failed-message').textContent = message;
  $('docs-failed-title').textContent = retry ? 'リンクを確認できませんでした' : 'このリンクはご利用いただけません';
  $('docs-reload').hidden = !retry;
  show('docs-failed');
}

/** Says something to screen readers (the list itself shows it already). */
function announce(text) {
  const status = $('docs-status');
  status.textContent = '';
  setTimeout(() => {
    status.textContent = text;
  }, 30);
}

/** Shows `messages` (one or a list) in the notice `id`, or hides it when none. */
function notice(id, messages, { focus = false } = {}) {
  const box = $(id);
  const list = (Array.isArray(messages) ? messages : [messages]).filter(Boolean);
  if (list.length === 0) {
    box.replaceChildren();
    box.hidden = true;
    return;
  }
  box.replaceChildren(list.length === 1 ? h('p', {}, list[0]) : h('ul', { class: 'notice__list' }, list.map((m) => h('li', {}, m))));
  box.hidden = false;
  if (focus) box.focus();
}

// ---------------------------------------------------------------- limits

const typesAccepted = () => (page.limits.types || []).filter((type) => DOCUMENT_TYPES.some((t) => t.contentType === type));

function limitsText(limits) {
  const types = typesAccepted().map((type) => DOCUMENT_TYPES.find((t) => t.contentType === type).label.replace('画像', ''));
  return (
    `提出できるファイル: ${types.join('・')}(1ファイル${formatSize(limits.maxFileBytes)}まで、` +
    `${limits.maxFiles}ファイル・合計${formatSize(limits.maxTotalBytes)}まで)`
  );
}

/** The input's `accept`: the types and their endings (a browser may know a file by either). */
function acceptOf() {
  const accepted = typesAccepted();
  const endings = DOCUMENT_TYPES.filter((t) => accepted.includes(t.contentType)).flatMap((t) => t.extensions.map((e) => `.${e}`));
  return [...accepted, ...endings].join(',');
}

/** Files that count against the limits: all in the list but those refused. */
const counted = () => page.files.filter((entry) => entry.state !== 'refused');

/** Why `file` cannot be added now, or '' when it can. */
function problemOf(file, contentType, adding) {
  const limits = page.limits;
  const name = `「${file.name}」`;
  const typeNames = typesAccepted().map(typeLabel).join('・');
  if (!typesAccepted().includes(contentType)) {
    return `${name}は提出できない形式のファイルです。${typeNames}のファイルを選んでください。`;
  }
  if (file.size === 0) return `${name}は空のファイルです。内容のあるファイルを選んでください。`;
  if (file.size > limits.maxFileBytes) {
    return `${name}は${formatSize(file.size)}あり、大きすぎます。1ファイル${formatSize(limits.maxFileBytes)}までにしてください(画像は解像度を下げる、PDFは分けるなど)。`;
  }
  if ([...file.name].length > MAX_NAME_CHARS) {
    return `「${[...file.name].slice(0, 40).join('')}…」はファイル名が長すぎます。${MAX_NAME_CHARS}文字以内の名前に変えてから選んでください。`;
  }
  // Control, invisible and path characters (the contract's rule for fileName).
  if (/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff/\\]/.test(file.name)) {
    return `${name}は、ファイル名に使えない文字が含まれています。名前を変えてから選んでください。`;
  }
  if (counted().length + adding.length >= limits.maxFiles) {
    return `ファイルは${limits.maxFiles}個までです。${name}は追加できませんでした。`;
  }
  const total = [...counted(), ...adding].reduce((sum, entry) => sum + entry.size, 0);
  if (total + file.size > limits.maxTotalBytes) {
    return `合計が${formatSize(limits.maxTotalBytes)}を超えるため、${name}は追加できませんでした。`;
  }
  return '';
}

// ---------------------------------------------------------------- the list

const STATE_TEXT = {
  queued: () => 'アップロード待ち',
  uploading: (entry) => `アップロード中 ${Math.floor(entry.progress * 100)}%`,
  uploaded: () => 'アップロード完了',
  failed: () => 'アップロードできませんでした',
  refused: () => '提出できません',
};

function renderEntry(entry) {
  const remove = h('button', { type: 'button', class: 'button button--link file__remove' }, h('span', { class: 'visually-hidden' }, `${entry.name} を`), '取り除く');
  remove.addEventListener('click', () => removeEntry(entry));
  const retry = h('button', { type: 'button', class: 'button button--secondary button--small file__retry' }, h('span', { class: 'visually-hidden' }, `${entry.name} の`), '再試行');
  retry.addEventListener('click', () => retryEntry(entry));
  const progress = h('progress', { class: 'file__progress', max: '100', value: '0', 'aria-label': `${entry.name} のアップロード状況` });
  const element = h(
    'li',
    { class: 'file', 'data-file-id': entry.id },
    h('div', { class: 'file__head' }, h('span', { class: 'file__name' }, entry.name), h('span', { class: 'file__meta' }, `${typeLabel(entry.contentType)}・${formatSize(entry.size)}`)),
    progress,
    h('p', { class: 'file__state' }),
    h('p', { class: 'file__error' }),
    h('div', { class: 'file__actions' }, retry, remove),
  );
  entry.element = element;
  updateEntry(entry);
  return element;
}

function updateEntry(entry) {
  const element = entry.element;
  if (!element) return;
  element.dataset.state = entry.state;
  if (entry.documentId) element.dataset.documentId = entry.documentId;
  else delete element.dataset.documentId;
  const progress = element.querySelector('.file__progress');
  progress.value = Math.round(entry.progress * 100);
  progress.hidden = entry.state === 'refused' || entry.state === 'failed';
  element.querySelector('.file__state').textContent = STATE_TEXT[entry.state](entry);
  const error = element.querySelector('.file__error');
  error.textContent = entry.message || '';
  error.hidden = !entry.message;
  element.querySelector('.file__retry').hidden = entry.state !== 'failed';
}

function renderSummary() {
  const files = counted();
  const total = files.reduce((sum, entry) => sum + entry.size, 0);
  $('docs-files-summary').textContent = page.files.length ? `(${files.length}ファイル・合計${formatSize(total)})` : '';
  $('docs-files-empty').hidden = page.files.length > 0;
}

// ---------------------------------------------------------------- uploads

/** Adds the chosen or dropped files: those within the limits go into the list and upload. */
function addFiles(fileList) {
  if (page.closed || page.submitting) return;
  const problems = [];
  const adding = [];
  for (const file of fileList) {
    const contentType = contentTypeOf(file);
    const problem = problemOf(file, contentType, adding);
    if (problem) {
      problems.push(problem);
      continue;
    }
    adding.push({ id: page.nextId++, file, name: file.name, size: file.size, contentType, state: 'queued', progress: 0, documentId: null, upload: null, message: '' });
  }
  notice('docs-error', problems);
  notice('docs-submit-error', '');
  $('docs-retry').hidden = true;
  for (const entry of adding) {
    page.files.push(entry);
    $('docs-files').append(renderEntry(entry));
  }
  renderSummary();
  if (adding.length) announce(`${adding.length}個のファイルを追加しました。アップロードしています。`);
  pump();
}

/** Starts the next queued upload, one at a time (a slow line is not split among them). */
function pump() {
  if (page.closed || page.files.some((entry) => entry.state === 'uploading')) return;
  const next = page.files.find((entry) => entry.state === 'queued');
  if (next) upload(next);
}

const isCurrent = (entry) => page.files.includes(entry);

async function upload(entry) {
  entry.state = 'uploading';
  entry.progress = 0;
  entry.message = '';
  entry.documentId = null;
  updateEntry(entry);
  let answer;
  try {
    answer = await api.requestUpload(page.token, { fileName: entry.name, contentType: entry.contentType, size: entry.size });
  } catch {
    return uploadFailed(entry, MESSAGES.network);
  }
  if (!isCurrent(entry)) return pump();
  const { status, body } = answer;
  if (status !== 201 || !body || !body.documentId || !body.upload) {
    return uploadAnswered(entry, answer);
  }
  entry.documentId = body.documentId;
  const sending = uploads.send(entry.file, body.upload, (fraction) => {
    entry.progress = fraction;
    updateEntry(entry);
  });
  entry.upload = sending;
  try {
    await sending.promise;
    entry.state = 'uploaded';
    entry.progress = 1;
    entry.upload = null;
    updateEntry(entry);
    announce(`${entry.name} のアップロードが完了しました。`);
  } catch (error) {
    entry.upload = null;
    if (error instanceof uploads.UploadAborted || !isCurrent(entry)) return pump();
    uploadFailed(
      entry,
      error instanceof uploads.UploadNetworkError
        ? MESSAGES.network
        : 'ファイルを送信できませんでした。「再試行」を押して、もう一度お試しください。',
    );
    return;
  }
  pump();
}

function uploadFailed(entry, message) {
  if (!isCurrent(entry)) return pump();
  entry.state = 'failed';
  entry.message = message;
  entry.documentId = null;
  updateEntry(entry);
  announce(`${entry.name} をアップロードできませんでした。`);
  pump();
}

/** The API refused an upload target: the link's end, or this file's limits. */
function uploadAnswered(entry, { status, body }) {
  const code = api.envelopeCode(body);
  if (code === ERROR_CODES.documentsAlreadySubmitted) return reopen();
  if (code === ERROR_CODES.documentRequestNotFound || code === ERROR_CODES.documentRequestExpired) {
    return fail(api.envelopeMessage(body, MESSAGES.unexpected));
  }
  if (status === 422 || (status === 400 && code !== ERROR_CODES.badRequest)) {
    // unsupported_type, file_too_large, too_many_files: this file cannot go.
    entry.state = 'refused';
    entry.message = api.envelopeMessage(body, MESSAGES.unexpected);
    entry.documentId = null;
    updateEntry(entry);
    renderSummary();
    announce(`${entry.name} は提出できません。${entry.message}`);
    return pump();
  }
  const retry = status === 429 || status >= 500 ? 'しばらくしてから「再試行」を押してください。' : '';
  return uploadFailed(entry, `${api.envelopeMessage(body, MESSAGES.unexpected)}${retry}`);
}

function retryEntry(entry) {
  if (page.closed || entry.state !== 'failed') return;
  entry.state = 'queued';
  entry.message = '';
  updateEntry(entry);
  // Focus stays in the row: the remove button is the next control.
  entry.element.querySelector('.file__remove').focus();
  pump();
}

function removeEntry(entry) {
  if (page.submitting) return;
  const index = page.files.indexOf(entry);
  if (index < 0) return;
  if (entry.upload) entry.upload.abort();
  page.files.splice(index, 1);
  entry.element.remove();
  renderSummary();
  // The problem named this file: it is gone with it.
  if (!page.files.some((e) => e.state === 'refused')) notice('docs-submit-error', '');
  announce(`${entry.name} を取り除きました。`);
  // The keyboard goes on at the next file, or back to the file chooser.
  const next = page.files[index] || page.files[index - 1];
  if (next) next.element.querySelector('.file__remove').focus();
  else $('docs-input').focus();
  pump();
}

// ---------------------------------------------------------------- submission

/** The key for these files: the same on a retry, a new one for another set. */
function keyFor(ids) {
  const same = page.submission && page.submission.ids.length === ids.length && page.submission.ids.every((id, i) => id === ids[i]);
  if (!same) page.submission = { key: newIdempotencyKey(), ids };
  return page.submission.key;
}

async function submit() {
  if (page.submitting || page.closed) return;
  notice('docs-error', '');
  const files = page.files;
  let problem = '';
  if (files.length === 0) problem = MESSAGES.noFiles;
  else if (files.some((e) => e.state === 'queued' || e.state === 'uploading')) problem = MESSAGES.stillUploading;
  else if (files.some((e) => e.state !== 'uploaded')) problem = MESSAGES.notUploaded;
  if (problem) {
    notice('docs-submit-error', problem, { focus: true });
    return;
  }
  const ids = files.map((e) => e.documentId);
  const key = keyFor(ids);
  const button = $('docs-submit');
  page.submitting = true;
  setBusy(button, true, MESSAGES.sending);
  $('docs-retry').hidden = true;
  notice('docs-submit-error', '');
  let answer;
  try {
    answer = await api.submitDocuments(page.token, ids, key);
  } catch {
    answer = null;
  } finally {
    page.submitting = false;
    setBusy(button, false);
  }
  if (!answer) {
    notice('docs-submit-error', MESSAGES.submitNetwork, { focus: true });
    $('docs-retry').hidden = false;
    return;
  }
  submitAnswered(answer);
}

function submitAnswered({ status, body }) {
  if (status === 200 && body && body.receptionNumber) {
    renderDone(body);
    return;
  }
  const code = api.envelopeCode(body);
  const entry = body && body.error && body.error.documentId ? page.files.find((e) => e.documentId === body.error.documentId) : null;
  if (code === ERROR_CODES.documentsAlreadySubmitted) return reopen();
  if (code === ERROR_CODES.documentRequestNotFound || code === ERROR_CODES.documentRequestExpired) {
    return fail(api.envelopeMessage(body, MESSAGES.unexpected));
  }
  if (entry && code === ERROR_CODES.documentContentMismatch) {
    // The server deleted it: it can only be taken out of the list.
    entry.state = 'refused';
    entry.documentId = null;
    entry.message = `ファイルの中身が${typeLabel(entry.contentType)}ではありません。名前だけを変えたファイルや壊れたファイルは提出できません。このファイルを取り除いてから、もう一度提出してください。`;
    updateEntry(entry);
    renderSummary();
    notice('docs-submit-error', `「${entry.name}」は提出できませんでした。${entry.message}`, { focus: true });
    return;
  }
  if (entry && code === ERROR_CODES.documentMissing) {
    entry.state = 'failed';
    entry.documentId = null;
    entry.message = 'アップロードが届いていませんでした。「再試行」を押して、もう一度アップロードしてください。';
    updateEntry(entry);
    notice('docs-submit-error', `「${entry.name}」のアップロードが確認できませんでした。「再試行」を押してから、もう一度提出してください。`, { focus: true });
    return;
  }
  const message = api.envelopeMessage(body, MESSAGES.unexpected);
  const retryable = status === 429 || status >= 500 || status === 0;
  notice('docs-submit-error', retryable ? `${message} 「もう一度送信する」を押してください。` : message, { focus: true });
  $('docs-retry').hidden = !retryable;
}

// ---------------------------------------------------------------- views

function sentList(id, documents) {
  $(id).replaceChildren(
    ...documents.map((d) =>
      h('li', { class: 'file file--sent' }, h('div', { class: 'file__head' }, h('span', { class: 'file__name' }, d.fileName), h('span', { class: 'file__meta' }, `${typeLabel(d.contentType)}・${formatSize(d.size)}`))),
    ),
  );
}

function renderDone(body) {
  page.closed = true;
  $('docs-done-number').textContent = String(body.receptionNumber);
  const documents = Array.isArray(body.documents) && body.documents.length
    ? body.documents
    : page.files.map((e) => ({ fileName: e.name, contentType: e.contentType, size: e.size }));
  sentList('docs-done-files', documents);
  show('docs-done');
}

function renderSubmitted(body) {
  page.closed = true;
  $('docs-submitted-number').textContent = String(body.receptionNumber);
  sentList('docs-submitted-files', Array.isArray(body.documents) ? body.documents : []);
  show('docs-submitted');
}

function renderClosed(body) {
  page.closed = true;
  const status = STATUSES.find((s) => s.value === body.status);
  $('docs-closed-number').textContent = String(body.receptionNumber);
  $('docs-closed-status').textContent = status ? status.label : '';
  show('docs-closed');
}

function renderForm(body) {
  page.limits = body.limits;
  // Shown again after a failed read: the list starts over (its uploads were stopped).
  page.files = [];
  page.submission = null;
  $('docs-files').replaceChildren();
  $('docs-reception-number').textContent = String(body.receptionNumber);
  $('docs-expires-at').textContent = `${formatTime(body.expiresAt)}まで`;
  $('docs-message').textContent = body.message || '';
  $('docs-limits').textContent = limitsText(body.limits);
  $('docs-input').setAttribute('accept', acceptOf());
  renderSummary();
  show('docs-form');
}

/** What the preview answered: the form, what was sent, or why the link is done. */
function renderPreview(response) {
  const { status, body } = response;
  if (status === 200 && body && body.receptionNumber) {
    if (body.status === REQUESTED && body.limits) return renderForm(body);
    if (body.status === SUBMITTED) return renderSubmitted(body);
    return renderClosed(body);
  }
  const code = api.envelopeCode(body);
  if (status === 400 && (!code || code === ERROR_CODES.badRequest)) return fail(MESSAGES.malformed);
  return fail(api.envelopeMessage(body, MESSAGES.unexpected));
}

/** The link was used meanwhile (another tab submitted): what it says now. */
async function reopen() {
  for (const entry of page.files) if (entry.upload) entry.upload.abort();
  page.closed = true;
  try {
    renderPreview(await api.previewDocuments(page.token));
  } catch {
    fail(MESSAGES.network, { retry: true });
  }
}

// ---------------------------------------------------------------- wiring

function wire() {
  const input = $('docs-input');
  input.addEventListener('change', () => {
    addFiles([...input.files]);
    input.value = '';
  });
  const zone = $('docs-dropzone');
  const hasFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes('Files');
  zone.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    zone.classList.add('is-dragover');
  });
  zone.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    zone.classList.add('is-dragover');
  });
  zone.addEventListener('dragleave', (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove('is-dragover');
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('is-dragover');
    if (event.dataTransfer) addFiles([...event.dataTransfer.files]);
  });
  // A file dropped beside the zone is not opened in place of the page (and its list).
  for (const type of ['dragover', 'drop']) {
    window.addEventListener(type, (event) => {
      if (hasFiles(event) && !zone.contains(event.target)) {
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = 'none';
      }
    });
  }
  $('docs-submit').addEventListener('click', submit);
  // Another link pasted into this tab changes only the fragment: read it as a new page.
  window.addEventListener('hashchange', () => {
    if (tokenFromHash(location.hash)) location.reload();
  });
  $('docs-reload').addEventListener('click', async () => {
    const button = $('docs-reload');
    setBusy(button, true, '確認しています…');
    await load();
    setBusy(button, false);
  });
  $('docs-retry').addEventListener('click', submit);
}

async function start() {
  const token = tokenFromHash(location.hash);
  clearHash();
  if (!token) {
    fail(MESSAGES.malformed);
    return;
  }
  page.token = token;
  wire();
  await load();
}

/** Reads the link's request (again, after a network failure: the address bar no longer has the token). */
async function load() {
  let response;
  try {
    response = await api.previewDocuments(page.token);
  } catch {
    fail(MESSAGES.network, { retry: true });
    return;
  }
  page.closed = false;
  renderPreview(response);
}

// The page has settled (shown what it can): tests wait for this.
start().finally(() => {
  document.documentElement.dataset.ready = 'true';
});
