// What helps a reviewer decide, beside the application: the T-number's check
// digit (the server's, from shared::domain::InvoiceNumber), whether the postal
// code's addresses (the embedded table, GET /api/postal/{code}) agree with the
// entered 都道府県・市区町村, and other applications sharing the phone, the
// T-number or the corporate name (the server's).

import { FIELDS } from '../../js/fields.js';
import * as api from './client.js';
import { fill, h } from './dom.js';
import { dateTime, statusClass, statusLabel } from './format.js';
import * as router from './router.js';

const labelOf = (key) => (FIELDS.find((f) => f.key === key) || { label: key }).label;

function item(state, title, text) {
  const mark = { ok: '✓', warn: '!', info: 'i' }[state];
  return h(
    'li',
    { class: `check check--${state}`, dataset: { check: title.key, state } },
    h('span', { class: 'check__mark', 'aria-hidden': 'true' }, mark),
    h('span', { class: 'check__body' }, h('strong', {}, title.text), h('br'), text),
  );
}

function invoiceCheck(application, check) {
  const title = { key: 'invoiceNumber', text: labelOf('invoiceNumber') };
  if (!application.invoiceNumber) return item('info', title, '入力はありません(任意の項目です)。');
  if (!check) return null;
  const digits = application.invoiceNumber.slice(1);
  if (!check.checkDigitValid) {
    return item(
      'warn',
      title,
      check.corporate
        ? `${application.invoiceNumber} の検査用数字が正しくありません。法人の登録番号は「T+法人番号」なので、入力の誤りが考えられます。`
        : `${application.invoiceNumber} は法人番号の形式の検査用数字に合いません。個人事業主の登録番号では起こり得ますが、国税庁の公表サイトで確認してください。`,
    );
  }
  return item(
    'ok',
    title,
    check.corporate
      ? `検査用数字は正しく、法人番号 ${digits} の形です。国税庁の公表サイトで、登録番号と法人名が一致するか確認してください。`
      : '検査用数字は正しい形です。国税庁の公表サイトで、登録番号と氏名が一致するか確認してください。',
  );
}

const compact = (text) => String(text || '').replace(/[\s\u3000]/g, '');

async function postalCheck(application) {
  const title = { key: 'postalCode', text: `${labelOf('postalCode')}と${labelOf('addressRegion')}` };
  const code = compact(application.postalCode).replace(/[-‐－]/g, '');
  const answer = await api.postal(code);
  if (answer.network) return item('info', title, '郵便番号の住所を確認できませんでした(通信エラー)。');
  if (answer.status === 404) return item('warn', title, `郵便番号 ${application.postalCode} は郵便番号データにありません。`);
  if (!answer.ok || !answer.body) return item('info', title, '郵便番号の住所を確認できませんでした。');
  const region = compact(application.addressRegion);
  const places = [...new Set(answer.body.addresses.map((a) => `${a.prefecture}${a.city}`))];
  const agrees = places.some((place) => region.startsWith(compact(place)));
  const known = places.join('、');
  return agrees
    ? item('ok', title, `郵便番号 ${application.postalCode} の住所(${known})と一致します。`)
    : item('warn', title, `一致しません。郵便番号 ${application.postalCode} の住所は「${known}」、入力は「${application.addressRegion}」です。`);
}

function related(list) {
  if (!list || list.length === 0) return [h('li', { class: 'related__none' }, 'ありません。')];
  return list.map((other) =>
    h(
      'li',
      { class: 'related__item', dataset: { applicationId: other.applicationId } },
      h('a', router.linkAttributes({ view: 'detail', id: other.applicationId }), other.receptionNumber),
      ' ',
      h('span', { class: statusClass(other.status) }, statusLabel(other.status)),
      h('br'),
      `${other.displayName}(${dateTime(other.receivedAt)})`,
      h('br'),
      h('span', { class: 'related__shared' }, `共通: ${other.shared.map(labelOf).join('・')}`),
    ),
  );
}

/** Renders the checks of a live application into the two lists. */
export async function render(detail, checksList, relatedList) {
  const application = detail.application;
  const checks = detail.checks || {};
  fill(checksList, [invoiceCheck(application, checks.invoiceNumber), h('li', { class: 'check check--pending' }, '郵便番号を確認しています…')]);
  fill(relatedList, checks.related ? related(checks.related) : [h('li', { class: 'related__none' }, '確認できません。')]);
  const shownFor = `${detail.applicationId}:${detail.version}`;
  checksList.dataset.for = shownFor;
  const postal = application.postalCode ? await postalCheck(application) : null;
  // Another application (or version) may be on screen by now.
  if (checksList.dataset.for !== shownFor) return;
  fill(checksList, [invoiceCheck(application, checks.invoiceNumber), postal]);
}
