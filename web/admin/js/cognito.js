// Cognito's managed login for operators on AWS: the authorization code grant
// with PKCE (RFC 7636), a public client without a secret. The verifier and
// state live in sessionStorage only across the redirect; the tokens are the
// session's (see session.js). Endpoints: the user pool domain's /oauth2/*.

const PKCE_KEY = 'partner-console:pkce';

function base64url(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** The S256 challenge of a verifier. */
export async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Goes to the managed login; `returnTo` (a console URL, no personal data) is where to land after. */
export async function beginSignIn(config, returnTo) {
  const verifier = randomString(32);
  const state = randomString(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL('/oauth2/authorize', config.domain);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: config.scope,
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

async function tokenRequest(config, parameters) {
  let response;
  try {
    response = await fetch(new URL('/oauth2/token', config.domain), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: config.clientId, ...parameters }).toString(),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    return { ok: false, error: 'network' };
  }
  const body = await response.json().catch(() => null);
  if (!response.ok || !body || !body.access_token) return { ok: false, error: (body && body.error) || 'refused' };
  return { ok: true, tokens: body };
}

/**
 * Back from the managed login (`?code=…&state=…`): exchanges the code for
 * tokens and takes the code out of the address bar. `null` when the URL is
 * not a return; `{ok: false}` when the state does not match or the code is refused.
 */
export async function completeSignIn(config) {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const returnedError = params.get('error');
  if (!code && !returnedError) return null;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || 'null');
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, '', (saved && saved.returnTo) || config.redirectUri);
  if (returnedError || !saved || params.get('state') !== saved.state) return { ok: false, error: returnedError || 'state' };
  return tokenRequest(config, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: config.redirectUri,
    code_verifier: saved.verifier,
  });
}

/** New access and id tokens from the refresh token, without leaving the page. */
export function refresh(config, refreshToken) {
  return tokenRequest(config, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** Revokes the refresh token (and the tokens issued from it); best effort. */
export async function revoke(config, refreshToken) {
  try {
    await fetch(new URL('/oauth2/revoke', config.domain), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: config.clientId, token: refreshToken }).toString(),
      credentials: 'omit',
    });
  } catch {
    // Signing out goes on: the tokens are dropped from this tab regardless.
  }
}

/** The managed login's sign-out, which ends its own session cookie too. */
export function logoutUrl(config) {
  const url = new URL('/logout', config.domain);
  url.search = new URLSearchParams({ client_id: config.clientId, logout_uri: config.logoutUri }).toString();
  return url.toString();
}

/** The claims of a JWT, read for display only (the API checks the signature). */
export function claimsOf(jwt) {
  try {
    const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}
