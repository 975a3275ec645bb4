// The token of a mailed link (`…/verify#token=…`, `…/documents#token=…`):
// 64 hex digits in the fragment, which never reaches a server or a Referer.

/** The token of `#token=…`, or null. */
export function tokenFromHash(hash) {
  const params = new URLSearchParams((hash || '').replace(/^#/, ''));
  const token = (params.get('token') || '').trim();
  return /^[0-9a-fA-F]{64}$/.test(token) ? token : null;
}

/** Takes the fragment out of the address bar (and so of bookmarks and shared screens). */
export function clearHash() {
  history.replaceState(null, '', location.pathname + location.search);
}
