// Files as people read them: sizes in KB/MB and the accepted types' names
// (DOCUMENT_TYPES: Rust's `DocumentType`, generated into fields.js),
// the same on the documents page (web/documents/) and in the console.

import { DOCUMENT_TYPES } from './fields.js';

const KB = 1024;
const MB = 1024 * 1024;

/**
 * `350KB`, `1.2MB`, `10MB`: binary units (the limits are MiB), whole KB
 * rounded up so that a small file never reads as 0KB, MB to one decimal
 * place unless whole.
 */
export function formatSize(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return '';
  const kb = Math.ceil(n / KB);
  if (kb < 1024) return `${kb.toLocaleString('ja-JP')}KB`;
  const mb = Math.round((n / MB) * 10) / 10;
  return `${mb.toLocaleString('ja-JP', { maximumFractionDigits: 1 })}MB`;
}

/** `PDF`, `JPEG画像`, `PNG画像`, or the type itself. */
export function typeLabel(contentType) {
  const type = DOCUMENT_TYPES.find((t) => t.contentType === contentType);
  return type ? type.label : contentType || '—';
}

/**
 * The content type to declare for a chosen file: the browser's, or (when it
 * gives none) the one its name's ending stands for; '' when neither is known.
 */
export function contentTypeOf(file) {
  if (file.type) return file.type;
  const ending = (/\.([^.]+)$/.exec(file.name || '') || [])[1];
  const type = ending && DOCUMENT_TYPES.find((t) => t.extensions.includes(ending.toLowerCase()));
  return type ? type.contentType : '';
}
