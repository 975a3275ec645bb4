// The HTTP contract (shared/api-contract.md) as seen from the browser.
// Methods and paths come from routes.js, generated from shared/src/routes.rs:
// none is written here, and a browser test checks that none is.

import { ROUTES } from './routes.js';

/** A route's path with its `{name}` parameters filled in, percent-encoded. */
export function routePath(route, params = {}) {
  return route.path.replace(/\{(\w+)\}/g, (_, name) => {
    if (params[name] === undefined || params[name] === null) throw new Error(`${route.path}: no ${name}`);
    return encodeURIComponent(String(params[name]));
  });
}

/** The API's origin: <meta name="api-base" content="…">, or this page's origin when empty. */
function apiBase() {
  const meta = document.querySelector('meta[name="api-base"]');
  const configured = (meta && meta.content.trim()) || document.documentElement.dataset.apiBase || '';
  return configured.replace(/\/+$/, '');
}

/** A network failure (no HTTP answer at all): the request may be retried. */
export class NetworkError extends Error {}

/**
 * Sends a request to `route` (its method, its path with `params`) and reads
 * its JSON answer. Resolves to {status, body, headers} for every HTTP answer;
 * rejects with NetworkError when none arrived.
 */
async function request(route, { params, body, headers = {}, timeoutMs = 20000, cache = 'no-store' } = {}) {
  const init = {
    method: route.method,
    headers: { Accept: 'application/json', ...headers },
    credentials: 'omit',
    cache,
    signal: AbortSignal.timeout(timeoutMs),
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiBase() + routePath(route, params), init);
  } catch (error) {
    throw new NetworkError(error && error.message ? error.message : String(error));
  }
  let json = null;
  try {
    json = await response.json();
  } catch {
    // A proxy's HTML error page: the status still tells what happened.
  }
  return { status: response.status, body: json, headers: response.headers };
}

export function validate(application) {
  return request(ROUTES.VALIDATE, { body: application, timeoutMs: 10000 });
}

export function submitApplication(application, idempotencyKey) {
  return request(ROUTES.SUBMIT, {
    body: application,
    headers: { 'Idempotency-Key': idempotencyKey },
    timeoutMs: 30000,
  });
}

/** What the link's token would confirm (changes nothing). */
export function previewVerification(token) {
  return request(ROUTES.PREVIEW, { body: { token }, timeoutMs: 15000 });
}

/** Confirms the link's application; the same answer when repeated. */
export function confirmVerification(token) {
  return request(ROUTES.CONFIRM, { body: { token }, timeoutMs: 30000 });
}

/** What a documents link asks for, and what was sent with it (changes nothing). */
export function previewDocuments(token) {
  return request(ROUTES.DOCUMENTS_PREVIEW, { body: { token }, timeoutMs: 15000 });
}

/** An upload target for one file: `{documentId, upload: {method, url, headers | fields}}`. */
export function requestUpload(token, { fileName, contentType, size }) {
  return request(ROUTES.DOCUMENTS_UPLOAD, { body: { token, fileName, contentType, size }, timeoutMs: 15000 });
}

/** Submits the uploaded files; the same key and body replay the answer. */
export function submitDocuments(token, documentIds, idempotencyKey) {
  return request(ROUTES.DOCUMENTS_SUBMISSION, {
    body: { token, documentIds },
    headers: { 'Idempotency-Key': idempotencyKey },
    timeoutMs: 30000,
  });
}

export function lookupPostal(code) {
  // Addresses are public and cacheable (Cache-Control, ETag), unlike applications.
  return request(ROUTES.POSTAL, { params: { code }, timeoutMs: 10000, cache: 'default' });
}

/** The Japanese message of an error envelope, or `fallback`. */
export function envelopeMessage(body, fallback) {
  return (body && body.error && typeof body.error.message === 'string' && body.error.message) || fallback;
}

export function envelopeCode(body) {
  return (body && body.error && body.error.code) || null;
}
