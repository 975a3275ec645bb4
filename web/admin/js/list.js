// The list: status tabs with their counts, the 担当 filter, one search box,
// newest first, and さらに表示 by cursor; a row whose applicant mail failed is
// flagged 「メール不達」. The CSV download takes the tab's status.

import { STATUSES } from '../../js/fields.js';
import * as api from './client.js';
import { $, announce, fill, focusOn, h, notice } from './dom.js';
import { contractTypeLabel, dateTime, statusClass, statusLabel } from './format.js';
import * as router from './router.js';
import { setBusy } from '../../js/busy.js';

const PAGE = 50;
const UNVERIFIED_KEY = 'partner-console:show-unverified';

let shown = null; // {status, q, assignee} of the rows on screen
let nextCursor = null;
let counts = null;

function tabs() {
  const withUnverified = $('show-unverified').checked;
  // STATUSES is in the tabs' order; the unverified ones only when asked for.
  const statuses = STATUSES.filter((s) => withUnverified || s.verified);
  return [...statuses, { value: router.ALL, label: 'すべて' }];
}

/** Whether `status` names a status whose address is not yet proven. */
const isUnverified = (status) => STATUSES.some((s) => s.value === status && !s.verified);

function countOf(status) {
  if (!counts) return null;
  if (status === router.ALL) {
    return Object.entries(counts)
      .filter(([name]) => !isUnverified(name))
      .reduce((sum, [, n]) => sum + n, 0);
  }
  return counts[status] ?? null;
}

function renderTabs(place) {
  const items = tabs().map((tab) => {
    const count = countOf(tab.value);
    const current = tab.value === place.status;
    const link = h(
      'a',
      {
        class: 'tabs__link',
        ...router.linkAttributes({ view: 'list', status: tab.value, q: place.q, assignee: place.assignee }),
        'aria-current': current ? 'page' : null,
        id: `tab-${tab.value}`,
      },
      h('span', { class: 'tabs__label' }, tab.label),
      count === null ? null : h('span', { class: 'tabs__count', 'aria-label': `${count}件` }, String(count)),
    );
    return h('li', { class: 'tabs__item' }, link);
  });
  fill($('status-tabs'), items);
}

/** 担当: すべて / 自分 / 未割当, as links that keep the tab and the search. */
const ASSIGNEE_FILTERS = [
  { value: '', label: 'すべて' },
  { value: 'me', label: '自分' },
  { value: 'none', label: '未割当' },
];

function renderAssigneeFilter(place) {
  const items = ASSIGNEE_FILTERS.map((filter) =>
    h(
      'li',
      { class: 'filter__item' },
      h(
        'a',
        {
          class: 'filter__link',
          id: `assignee-${filter.value || 'all'}`,
          ...router.linkAttributes({ view: 'list', status: place.status, q: place.q, assignee: filter.value }),
          'aria-current': filter.value === place.assignee ? 'true' : null,
        },
        filter.label,
      ),
    ),
  );
  fill($('assignee-filter'), items);
}

async function loadCounts(place) {
  const answer = await api.counts();
  counts = answer.ok && answer.body ? answer.body.counts : null;
  renderTabs(place);
}

/**
 * The flag of a row whose applicant mail failed (`mailProblem`: bounced,
 * rejected, suppressed or reported as spam): words, not a colour or an icon,
 * so a screen reader reads it with the status. The detail says which mail.
 */
function mailFlag() {
  return h('span', { class: 'mail-flag' }, 'メール不達');
}

function row(item) {
  const place = { view: 'detail', id: item.applicationId };
  return h(
    'tr',
    { dataset: { applicationId: item.applicationId } },
    h('td', { class: 'nowrap' }, dateTime(item.receivedAt)),
    h('td', { class: 'nowrap' }, h('a', { class: 'list-link', ...router.linkAttributes(place) }, item.receptionNumber)),
    // The flag beside the status (in view at 375 px before the table scrolls),
    // a space between so that they are read as two words.
    h(
      'td',
      {},
      h('span', { class: statusClass(item.status) }, statusLabel(item.status)),
      item.mailProblem ? [' ', mailFlag()] : null,
    ),
    h('td', { class: 'nowrap' }, contractTypeLabel(item.contractType)),
    h('td', {}, item.displayName),
    h('td', { class: 'break' }, item.email),
    h('td', { class: 'break' }, item.assignee || '—'),
  );
}

function summary(place, count) {
  const tab = tabs().find((t) => t.value === place.status);
  const filter = ASSIGNEE_FILTERS.find((f) => f.value === place.assignee);
  const where = `${tab ? tab.label : statusLabel(place.status)}${place.assignee && filter ? `・担当: ${filter.label}` : ''}`;
  return place.q ? `「${where}」で「${place.q}」を検索: ${count}件表示中` : `「${where}」: ${count}件表示中`;
}

async function loadPage(place, cursor) {
  const status = place.status === router.ALL ? undefined : place.status;
  return api.list({ status, q: place.q || undefined, assignee: place.assignee || undefined, cursor, limit: PAGE });
}

/** Shows the list for `place` (a tab, a search). */
export async function show(place) {
  $('search-q').value = place.q;
  $('search-clear').hidden = !place.q;
  $('show-unverified').checked = isUnverified(place.status) || sessionStorage.getItem(UNVERIFIED_KEY) === '1';
  renderTabs(place);
  renderAssigneeFilter(place);
  loadCounts(place);
  notice($('list-error'), '');
  const sameList = shown && shown.status === place.status && shown.q === place.q && shown.assignee === place.assignee;
  if (!sameList) fill($('list-rows'));
  $('list-table').setAttribute('aria-busy', 'true');
  const answer = await loadPage(place);
  $('list-table').removeAttribute('aria-busy');
  if (!answer.ok) {
    notice($('list-error'), api.messageOf(answer, '一覧を読み込めませんでした。通信環境を確認して、もう一度お試しください。'));
    return;
  }
  shown = { status: place.status, q: place.q, assignee: place.assignee };
  const items = answer.body.items;
  fill($('list-rows'), items.map(row));
  nextCursor = answer.body.nextCursor;
  $('list-more').hidden = !nextCursor;
  $('list-empty').hidden = items.length > 0;
  $('list-summary').textContent = summary(place, items.length);
}

async function more() {
  const place = router.current();
  const button = $('list-more');
  setBusy(button, true, '読み込んでいます…');
  const answer = await loadPage(place, nextCursor);
  setBusy(button, false);
  if (!answer.ok) {
    notice($('list-error'), api.messageOf(answer, '続きを読み込めませんでした。もう一度お試しください。'));
    return;
  }
  const rows = answer.body.items.map(row);
  $('list-rows').append(...rows);
  nextCursor = answer.body.nextCursor;
  button.hidden = !nextCursor;
  const count = $('list-rows').children.length;
  $('list-summary').textContent = summary(place, count);
  // Keyboard users go on where the new rows begin.
  if (rows.length) focusOn(rows[0].querySelector('a'));
  else focusOn($('list-title'));
  announce(`${rows.length}件を追加しました。`, { quiet: true });
}

async function downloadCsv() {
  const place = router.current();
  const button = $('export-csv');
  setBusy(button, true, 'CSVを作成しています…');
  notice($('list-error'), '');
  const answer = await api.exportCsv({ status: place.status === router.ALL ? undefined : place.status });
  setBusy(button, false);
  if (!answer.ok) {
    notice($('list-error'), api.messageOf(answer, 'CSVを作成できませんでした。もう一度お試しください。'));
    return;
  }
  const day = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Tokyo' });
  const name = `applications-${place.status}-${day}.csv`;
  const url = URL.createObjectURL(answer.blob);
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  announce(`CSV(${name})をダウンロードしました。`);
}

/** Wires the list's controls once. */
export function wire() {
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const q = $('search-q').value.trim();
    const place = router.current();
    router.go({ view: 'list', status: place.status, q, assignee: place.assignee });
  });
  $('search-clear').addEventListener('click', () => {
    router.go({ view: 'list', status: router.current().status, q: '', assignee: router.current().assignee });
    focusOn($('search-q'));
  });
  $('show-unverified').addEventListener('change', (event) => {
    if (event.target.checked) sessionStorage.setItem(UNVERIFIED_KEY, '1');
    else sessionStorage.removeItem(UNVERIFIED_KEY);
    const place = router.current();
    if (!event.target.checked && isUnverified(place.status)) {
      router.go({ view: 'list', status: router.DEFAULT_STATUS, q: place.q, assignee: place.assignee });
    } else {
      renderTabs(place);
    }
  });
  $('list-more').addEventListener('click', more);
  $('export-csv').addEventListener('click', downloadCsv);
}

/** Forgets the rows (after a decision, the list is read again). */
export function invalidate() {
  shown = null;
}
