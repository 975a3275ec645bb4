// Signing in: the page's form at the start, and the re-sign-in dialog when a
// session ends mid-work (over the work, which stays as it was). With Cognito
// both go to the managed login; what is being typed is kept for the return.

import { setBusy } from '../../js/busy.js';
import * as decisionDialog from './decision.js';
import * as dialogs from './dialogs.js';
import { $, notice } from './dom.js';
import * as session from './session.js';

const RESUME_KEY = 'partner-console:resume';

async function passwordSignIn(emailInput, passwordInput, button, error) {
  const email = emailInput.value.trim();
  const password = passwordInput.value;
  if (!email || !password) {
    notice(error, 'メールアドレスとパスワードを入力してください。');
    (email ? passwordInput : emailInput).focus();
    return false;
  }
  setBusy(button, true, 'サインインしています…');
  const result = await session.signInWithPassword(email, password);
  setBusy(button, false);
  if (!result.ok) {
    notice(error, result.message);
    passwordInput.value = '';
    passwordInput.focus();
    return false;
  }
  notice(error, '');
  passwordInput.value = '';
  return true;
}

/** Before leaving for the managed login mid-work: what the decision dialog holds. */
function keepForReturn() {
  const pending = decisionDialog.pending();
  if (pending) sessionStorage.setItem(RESUME_KEY, JSON.stringify(pending));
}

/** After the return: the kept message becomes the dialog's draft again. */
export function restoreAfterReturn() {
  const kept = JSON.parse(sessionStorage.getItem(RESUME_KEY) || 'null');
  sessionStorage.removeItem(RESUME_KEY);
  decisionDialog.restoreDraft(kept);
}

/** The page's sign-in, for a mode; calls `onSignedIn` once done. */
export function wire(onSignedIn) {
  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await passwordSignIn($('signin-email'), $('signin-password'), $('signin-submit'), $('signin-error'))) onSignedIn();
  });
  $('signin-cognito-start').addEventListener('click', () => session.signInWithCognito());

  // The re-sign-in dialog: resolves the waiting request once signed in.
  let waiting = [];
  const settle = (ok) => {
    const resolvers = waiting;
    waiting = [];
    for (const resolve of resolvers) resolve(ok);
  };
  $('reauth-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (session.mode() === 'cognito') {
      keepForReturn();
      session.signInWithCognito();
      return;
    }
    if (await passwordSignIn($('reauth-email'), $('reauth-secret'), $('reauth-submit'), $('reauth-error'))) {
      dialogs.close($('reauth-dialog'));
      onSignedIn({ quiet: true });
      settle(true);
    }
  });
  const decline = () => {
    dialogs.close($('reauth-dialog'));
    settle(false);
  };
  $('reauth-cancel').addEventListener('click', decline);
  dialogs.onCancel($('reauth-dialog'), decline);

  session.onReauthenticate(
    () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        const dialog = $('reauth-dialog');
        if (dialog.open) return;
        $('reauth-email').value = session.operatorName() || $('reauth-email').value;
        session.forget();
        const cognito = session.mode() === 'cognito';
        $('reauth-password').hidden = cognito;
        $('reauth-submit').textContent = cognito ? 'サインイン画面へ進む' : 'サインイン';
        notice($('reauth-error'), '');
        dialogs.open(dialog, cognito ? $('reauth-submit') : $('reauth-email'));
      }),
  );
}
