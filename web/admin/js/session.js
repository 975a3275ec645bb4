// The operator's session in this tab: which sign-in the deployment uses
// (/admin/config.json), the bearer token for the API, and signing in again
// when it ends. Kept in sessionStorage (this tab only, gone when it closes):
// the token and its expiry, the operator's own address, nothing of applicants.
//
// - "password": the local server's accounts (POST /api/admin/sessions);
// - "cognito": the managed login (cognito.js), refreshed silently before expiry.

import { LOCAL_SESSIONS } from '../../js/routes.js';
import * as cognito from './cognito.js';

const SESSION_KEY = 'partner-console:session';
const CONFIG_PATH = './config.json';


/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60 * 1000;

let config = { signIn: 'unavailable' };
let session = null;
let reauthenticator = null;

function save() {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

function load() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    return stored && stored.mode === config.signIn && stored.token ? stored : null;
  } catch {
    return null;
  }
}

function fromTokens(tokens) {
  const claims = cognito.claimsOf(tokens.id_token || '');
  return {
    mode: 'cognito',
    token: tokens.access_token,
    refreshToken: tokens.refresh_token || (session && session.refreshToken) || null,
    expiresAt: new Date(Date.now() + (tokens.expires_in || 3600) * 1000).toISOString(),
    operator: claims.email || claims['cognito:username'] || '',
  };
}

/** Reads the configuration and any session of this tab (or a return from the managed login). */
export async function start() {
  try {
    const response = await fetch(CONFIG_PATH, { cache: 'no-store', credentials: 'omit' });
    config = response.ok ? await response.json() : { signIn: 'unavailable' };
  } catch {
    config = { signIn: 'unavailable', offline: true };
  }
  session = load();
  if (config.signIn === 'cognito') {
    const returned = await cognito.completeSignIn(config);
    if (returned && returned.ok) {
      session = fromTokens(returned.tokens);
      save();
    } else if (returned) {
      return { config, signedIn: false, error: 'サインインを完了できませんでした。もう一度お試しください。' };
    }
  }
  return { config, signedIn: Boolean(session) };
}

export const mode = () => config.signIn;
export const operatorName = () => (session && session.operator) || '';

/** Registers who asks the operator to sign in again (the re-sign-in dialog). */
export function onReauthenticate(handler) {
  reauthenticator = handler;
}

/** The bearer token, refreshed first when it is about to expire (Cognito). */
export async function accessToken() {
  if (!session) return null;
  if (session.mode === 'cognito' && session.refreshToken && Date.parse(session.expiresAt) - Date.now() < REFRESH_MARGIN_MS) {
    await refreshSilently();
  }
  return session ? session.token : null;
}

async function refreshSilently() {
  if (!session || !session.refreshToken) return false;
  const refreshed = await cognito.refresh(config, session.refreshToken);
  if (!refreshed.ok) return false;
  session = fromTokens(refreshed.tokens);
  save();
  return true;
}

/**
 * The API said 401: the session is over. Cognito tries the refresh token
 * first; otherwise the operator is asked to sign in again, over the work in
 * progress. Resolves true once signed in, false if the operator declined.
 */
export async function reauthenticate() {
  if (session && session.mode === 'cognito' && (await refreshSilently())) return true;
  if (!reauthenticator) return false;
  return reauthenticator();
}

/** Local accounts: `{ok: true}` or `{ok: false, message}` in Japanese. */
export async function signInWithPassword(email, password) {
  let response;
  try {
    response = await fetch(LOCAL_SESSIONS.SIGN_IN, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ email, password }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    return { ok: false, message: 'サーバーに接続できませんでした。通信環境を確認して、もう一度お試しください。' };
  }
  const body = await response.json().catch(() => null);
  if (response.status === 201 && body && body.token) {
    session = { mode: 'password', token: body.token, expiresAt: body.expiresAt, operator: email.trim() };
    save();
    return { ok: true };
  }
  const message = body && body.error && body.error.message;
  if (response.status === 401) {
    return { ok: false, message: 'メールアドレスまたはパスワードが正しくありません。' };
  }
  return { ok: false, message: message || 'サインインできませんでした。しばらくしてから、もう一度お試しください。' };
}

/** Cognito: to the managed login, back to `returnTo` afterwards. */
export function signInWithCognito(returnTo) {
  return cognito.beginSignIn(config, returnTo || location.pathname + location.search);
}

/** Ends the session here and at its issuer; Cognito goes on to its logout page. */
export async function signOut() {
  const ending = session;
  session = null;
  save();
  if (!ending) return;
  if (ending.mode === 'password') {
    try {
      await fetch(LOCAL_SESSIONS.SIGN_OUT, { method: 'DELETE', headers: { Authorization: `Bearer ${ending.token}` }, credentials: 'omit' });
    } catch {
      // The token is gone from this tab; the server's session expires on its own.
    }
  } else if (ending.mode === 'cognito') {
    if (ending.refreshToken) await cognito.revoke(config, ending.refreshToken);
    location.assign(cognito.logoutUrl(config));
  }
}

/** Forgets the session without telling the server (it already refused it). */
export function forget() {
  session = null;
  save();
}
