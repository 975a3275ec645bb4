// What the signed-in operator may do: the roles of GET /api/admin/me against
// each route's access (routes.js, generated from shared/src/routes.rs, where
// Access::allows is the rule). The console hides what the roles do not allow;
// the server refuses it regardless (403 forbidden).

import { ROUTES } from '../../js/routes.js';
import * as api from './client.js';
import { $ } from './dom.js';

let roles = [];
let email = '';

/** The signed-in operator's address, as `/me` names them ('' before it answers). */
export const myEmail = () => email;

/** Whether the signed-in operator may call `route` (as Access::allows decides). */
export const may = (route) => route.access === 'public' || roles.includes(route.access);

/**
 * Asks the server for the roles and shows what they allow. No answer means no
 * role: the console offers the least, rather than controls that would be refused.
 */
export async function load() {
  const answer = await api.me();
  const body = answer.ok ? answer.body : null;
  roles = body && Array.isArray(body.roles) ? body.roles : [];
  email = body && typeof body.email === 'string' ? body.email : '';
  apply();
}

/** After sign-out: nothing is allowed until the next sign-in. */
export function clear() {
  roles = [];
  email = '';
  apply();
}

function apply() {
  $('nav-audit').hidden = !may(ROUTES.ADMIN_AUDIT);
  $('export-csv').hidden = !may(ROUTES.ADMIN_EXPORT);
  $('export-note').hidden = !may(ROUTES.ADMIN_EXPORT);
  $('erase-panel').hidden = !may(ROUTES.ADMIN_ERASURE);
  document.documentElement.dataset.roles = roles.join(' ');
}
