// The operators' console: the entry module. It reads how operators sign in,
// shows the sign-in or the place in the URL (list, detail, audit), and wires
// the views once. No framework, no build step: ES modules under a strict CSP.

import * as audit from './audit.js';
import * as detail from './detail.js';
import { $, announce, dismissAnnouncement, focusOn } from './dom.js';
import * as list from './list.js';
import * as roles from './roles.js';
import * as router from './router.js';
import * as session from './session.js';
import * as signin from './signin.js';

const VIEWS = ['view-loading', 'view-unavailable', 'view-signin', 'view-list', 'view-detail', 'view-audit'];
const TITLES = { list: 'お申し込み一覧', audit: '監査ログ', detail: 'お申し込み' };

function showView(id) {
  for (const view of VIEWS) $(view).hidden = view !== id;
}

/** The header of a signed-in operator, and the controls the roles allow. */
async function signedInChrome(signedIn) {
  $('console-nav').hidden = !signedIn;
  $('account').hidden = !signedIn;
  $('account-name').textContent = signedIn ? session.operatorName() : '';
  if (signedIn) await roles.load();
  else roles.clear();
}

let lastPlace = null;

/**
 * Draws the place; `how` is 'start', 'push' or 'pop'. Focus moves to the
 * heading when another view or application opens by a push; within the list
 * (a tab, a search) it stays where the operator is, and the result is announced.
 */
async function route(place, how) {
  const moved = !lastPlace || lastPlace.view !== place.view || lastPlace.id !== place.id;
  lastPlace = place;
  // What was shown of the last view must not float over the next one.
  if (moved) dismissAnnouncement();
  const headings = { list: 'list-title', detail: 'detail-title', audit: 'audit-title' };
  showView(`view-${place.view}`);
  for (const [id, here] of [['nav-list', place.view !== 'audit'], ['nav-audit', place.view === 'audit']]) {
    if (here) $(id).setAttribute('aria-current', 'page');
    else $(id).removeAttribute('aria-current');
  }
  if (place.view !== 'detail') document.title = `${TITLES[place.view]} | 審査コンソール`;
  if (place.view === 'list') await list.show(place);
  else if (place.view === 'detail') await detail.show(place.id);
  else await audit.show();
  if (how === 'push' && moved) focusOn($(headings[place.view]));
  else if (place.view === 'list' && !moved) announce($('list-summary').textContent, { quiet: true });
  document.documentElement.dataset.view = place.view;
}

function showSignIn(message) {
  lastPlace = null;
  signedInChrome(false);
  showView('view-signin');
  const cognito = session.mode() === 'cognito';
  $('signin-form').hidden = cognito;
  $('signin-cognito').hidden = !cognito;
  if (message) {
    const error = cognito ? $('signin-cognito-error') : $('signin-error');
    error.textContent = message;
    error.hidden = false;
  }
  document.title = 'サインイン | 審査コンソール';
  document.documentElement.dataset.view = 'signin';
  focusOn(cognito ? $('signin-cognito-start') : $('signin-email'));
}

async function main() {
  router.start();
  list.wire();
  detail.wire();
  audit.wire();
  const started = await session.start();
  signin.wire(async ({ quiet } = {}) => {
    // Another account may have signed in over the work: its roles, first.
    await signedInChrome(true);
    if (!quiet) route(router.current(), 'push');
  });
  router.onChange((place, how) => route(place, how));
  $('sign-out').addEventListener('click', async () => {
    await session.signOut();
    showSignIn();
  });
  if (started.config.signIn === 'unavailable') {
    showView('view-unavailable');
    if (started.config.offline) $('unavailable-message').textContent = 'サーバーに接続できませんでした。通信環境を確認して、ページを再読み込みしてください。';
  } else if (!started.signedIn) {
    showSignIn(started.error);
  } else {
    signin.restoreAfterReturn();
    await signedInChrome(true);
    await route(router.current(), 'start');
  }
  document.documentElement.dataset.ready = 'true';
}

main();
