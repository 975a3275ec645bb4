// The operator API (shared/api-contract.md, "The operator API") as the console
// calls it: the routes of shared/src/routes.rs (generated into routes.js), a
// bearer token on each request, and one more try after signing in again when
// the session has ended (401), so that nothing in progress is lost. Every call
// resolves, to the answer or to NO_ANSWER: callers handle one shape.

import { ROUTES } from '../../js/routes.js';
import * as session from './session.js';

export { newIdempotencyKey } from '../../js/idempotency.js';

/** No HTTP answer at all (`network: true`): the request may be retried. */
const NO_ANSWER = Object.freeze({ status: 0, ok: false, body: null, network: true });

function pathOf(route, params = {}) {
  return route.path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(params[name]));
}

function withQuery(path, query = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

async function send(route, { params, query, body, headers = {}, as = 'json', timeoutMs = 30000 } = {}) {
  const url = withQuery(pathOf(route, params), query);
  for (let attempt = 0; ; attempt += 1) {
    const token = await session.accessToken();
    const init = {
      method: route.method,
      headers: { Accept: as === 'json' ? 'application/json' : 'text/csv', ...headers },
      credentials: 'omit',
      cache: 'no-store',
      signal: AbortSignal.timeout(timeoutMs),
    };
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch {
      return NO_ANSWER;
    }
    if (response.status === 401 && attempt === 0 && (await session.reauthenticate())) continue;
    const ok = response.ok;
    if (as === 'blob' && ok) return { status: response.status, ok, blob: await response.blob(), headers: response.headers };
    const json = await response.json().catch(() => null);
    return { status: response.status, ok, body: json, headers: response.headers, network: false };
  }
}

export const list = ({ status, q, assignee, cursor, limit }) =>
  send(ROUTES.ADMIN_LIST, { query: { status, q, assignee, cursor, limit } });
export const counts = () => send(ROUTES.ADMIN_COUNTS);
export const me = () => send(ROUTES.ADMIN_ME);
export const detail = (applicationId) => send(ROUTES.ADMIN_DETAIL, { params: { applicationId } });
export const audit = (cursor) => send(ROUTES.ADMIN_AUDIT, { query: { cursor } });
/**
 * The CSV export. Locally the answer is the CSV itself; on AWS it is 303 See
 * Other to a presigned S3 link (5 minutes), which fetch follows (its default,
 * `redirect: 'follow'`): the browser drops the Authorization header on the
 * cross-origin redirect and sends the console's Origin, which the bucket's
 * CORS allows for GET. Either way the blob is the CSV.
 */
export const exportCsv = ({ status }) => send(ROUTES.ADMIN_EXPORT, { query: { status }, as: 'blob', timeoutMs: 120000 });

export function decide(applicationId, { decision, expectedVersion, message }, idempotencyKey) {
  const body = { decision, expectedVersion };
  if (message) body.message = message;
  return send(ROUTES.ADMIN_DECISIONS, { params: { applicationId }, body, headers: { 'Idempotency-Key': idempotencyKey } });
}

/** A download link for one submitted document, valid for a few minutes: `{url, expiresAt}`. */
export const documentLink = (applicationId, documentId) => send(ROUTES.ADMIN_DOCUMENT, { params: { applicationId, documentId } });
export const addNote = (applicationId, text) => send(ROUTES.ADMIN_NOTES, { params: { applicationId }, body: { text } });
/** `assignee`: an operator's address, or null to unassign. */
export const assign = (applicationId, assignee) =>
  send(ROUTES.ADMIN_ASSIGNEE, { params: { applicationId }, body: { assignee } });
export function correct(applicationId, { expectedVersion, reason, changes }, idempotencyKey) {
  return send(ROUTES.ADMIN_CORRECTIONS, {
    params: { applicationId },
    body: { expectedVersion, reason, changes },
    headers: { 'Idempotency-Key': idempotencyKey },
  });
}

export const erase = (applicationId, reason) => send(ROUTES.ADMIN_ERASURE, { params: { applicationId }, body: { reason } });

/** A public route: the postal code's addresses (for the reviewer's check). */
export async function postal(code) {
  try {
    const response = await fetch(pathOf(ROUTES.POSTAL, { code }), { credentials: 'omit', headers: { Accept: 'application/json' } });
    return { status: response.status, ok: response.ok, body: await response.json().catch(() => null), network: false };
  } catch {
    return NO_ANSWER;
  }
}

/** The envelope's Japanese message, or `fallback`. */
export function messageOf(answer, fallback) {
  const error = answer && answer.body && answer.body.error;
  return (error && typeof error.message === 'string' && error.message) || fallback;
}

export function codeOf(answer) {
  return (answer && answer.body && answer.body.error && answer.body.error.code) || null;
}
