// The console's place, in the URL so that back, forward and a reload keep it:
// `./?status=received` (the list; `&assignee=me|none` its 担当 filter),
// `./?view=detail&id=…`, `./?view=audit`.
// Only statuses and opaque application ids go into the URL; the search text
// (an address, a name: personal data) is kept in the history entry's state,
// which back, forward and a reload keep too, and which never leaves the tab.

import { STATUSES } from '../../js/fields.js';

/** The first tab: what waits for a review (受付済). */
export const DEFAULT_STATUS = STATUSES[0].value;
/** The list of every verified application, whatever its status. */
export const ALL = 'all';
/** The 担当 filters the URL may carry (never an address: `me` stands for the caller). */
export const ASSIGNEES = ['me', 'none'];

const listeners = [];

/** The place the URL and the history entry describe. */
export function current() {
  const params = new URLSearchParams(location.search);
  const view = params.get('view') || 'list';
  const state = history.state || {};
  return {
    view: ['list', 'detail', 'audit'].includes(view) ? view : 'list',
    id: params.get('id') || '',
    status: params.get('status') || DEFAULT_STATUS,
    assignee: ASSIGNEES.includes(params.get('assignee')) ? params.get('assignee') : '',
    q: typeof state.q === 'string' ? state.q : '',
  };
}

/** The URL of a place (relative to /admin/). */
export function urlOf(place) {
  const params = new URLSearchParams();
  if (place.view === 'detail') {
    params.set('view', 'detail');
    params.set('id', place.id);
  } else if (place.view === 'audit') {
    params.set('view', 'audit');
  } else {
    if (place.status && place.status !== DEFAULT_STATUS) params.set('status', place.status);
    if (ASSIGNEES.includes(place.assignee)) params.set('assignee', place.assignee);
  }
  const search = params.toString();
  return search ? `./?${search}` : './';
}

/** Goes to a place: a new history entry, or the same one replaced. */
export function go(place, { replace = false } = {}) {
  const state = { q: place.q || '' };
  if (replace) history.replaceState(state, '', urlOf(place));
  else history.pushState(state, '', urlOf(place));
  notify('push');
}

export function onChange(listener) {
  listeners.push(listener);
}

function notify(how) {
  for (const listener of listeners) listener(current(), how);
}

/** Same-tab links of the console (no modifier key) move without a reload. */
export function start() {
  window.addEventListener('popstate', () => notify('pop'));
  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[data-place]') : null;
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    go(JSON.parse(link.dataset.place));
  });
}

/** A console link: a real href (a new tab works) that moves in place. */
export function linkAttributes(place) {
  return { href: urlOf(place), dataset: { place: JSON.stringify(place) } };
}
