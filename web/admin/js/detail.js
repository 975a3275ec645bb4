// One application: its reception, every field under the form's own labels,
// the history, the mails sent and whether they arrived (mails.js), the notes
// and the assignee (desk.js), the reviewer's checks, and the decisions its
// status allows.

import { DECISIONS, ERROR_CODES, STATUSES } from '../../js/fields.js';
import { reviewRows } from '../../js/field-table.js';
import * as api from './client.js';
import * as checks from './checks.js';
import * as correction from './correction.js';
import * as decisionDialog from './decision.js';
import * as documents from './documents.js';
import * as desk from './desk.js';
import * as erasureDialog from './erasure.js';
import * as mails from './mails.js';
import { $, announce, fill, focusOn, h, notice } from './dom.js';
import {
  actorLabel,
  correctionReasonLabel,
  dateTime,
  erasureReasonLabel,
  fieldLabel,
  historyLabel,
  statusClass,
  statusLabel,
} from './format.js';
import * as list from './list.js';

let shown = null; // the detail on screen

function fact(term, value, attributes = {}) {
  return [h('dt', {}, term), h('dd', attributes, value)];
}

/** The form's review rows, one per field (an operator copies 姓 and 名 apart). */
function fieldRows(application) {
  return reviewRows(application, { grouped: false }).map(([key, label, text]) =>
    h('div', { class: 'review__row', dataset: { field: key } }, h('dt', {}, label), h('dd', {}, text || '(未入力)')),
  );
}

/** What an entry says beside its action: a message, a reason, the fields a correction changed. */
function entryNote(entry) {
  if (entry.message) return entry.message;
  if (entry.action === 'correct') {
    const fields = (entry.fields || []).map(fieldLabel).join('、');
    return `${fields}${entry.reason ? `(${correctionReasonLabel(entry.reason)})` : ''}`;
  }
  if (entry.files) return `${entry.files}ファイル`;
  return entry.reason ? erasureReasonLabel(entry.reason) : '';
}

function historyRows(history) {
  return history.map((entry) =>
    h(
      'tr',
      {},
      h('td', { class: 'nowrap' }, dateTime(entry.at)),
      h('td', {}, historyLabel(entry.action)),
      h('td', { class: 'break' }, actorLabel(entry.actor)),
      h('td', {}, entry.toStatus ? `${entry.fromStatus ? `${statusLabel(entry.fromStatus)} → ` : ''}${statusLabel(entry.toStatus)}` : '—'),
      // A message (a request, a rejection's reason), an erasure's reason code,
      // or the fields a correction changed (their labels, never values).
      h('td', { class: 'message' }, entryNote(entry)),
    ),
  );
}

function decisionButtons(detail) {
  if (!detail.application) return [];
  // DECISIONS is in the order the console offers them, each with its button's weight.
  const allowed = DECISIONS.filter((d) => d.from.includes(detail.status));
  return allowed.map((decision) => {
    const button = h(
      'button',
      {
        type: 'button',
        class: `button button--${decision.emphasis}`,
        id: `decide-${decision.value}`,
      },
      decision.label,
    );
    button.addEventListener('click', () =>
      decisionDialog.openFor(detail, decision.value, {
        onDone: (updated, taken) => {
          list.invalidate();
          render(updated);
          notice($('detail-notice'), '');
          announce(`${taken.label}しました。申込者にメールが送信されます。`);
          focusOn($('detail-title'));
        },
        onConflict: (code) => reload(code),
      }),
    );
    return button;
  });
}

function decideNote(detail) {
  const status = STATUSES.find((s) => s.value === detail.status);
  if (!detail.application) return '個人情報が消去されたため、審査できません。';
  if (status && !status.verified) return 'メールアドレスの確認が済んでいないため、まだ審査できません。';
  if (status && status.final) {
    // Only an approval issues a partner code.
    const code = detail.partnerCode ? `(取次店コード ${detail.partnerCode})` : '';
    return `${status.label}済みです${code}。審査は完了しています。`;
  }
  if (detail.status === 'documents_submitted') {
    return '申込者が資料を提出しました。提出書類を確認して、審査の結果を選んでください。足りない資料は、もう一度依頼できます(前のリンクは使えなくなります)。';
  }
  return '内容と確認結果を見て、審査の結果を選んでください。どの操作も、実行前に確認画面が開きます。';
}

/** Draws `detail` (the API's answer). */
export function render(detail) {
  // A decision's answer has no checks: those on screen still hold (what other
  // applications share does not change with this one's status).
  const keepChecks = !detail.checks && shown && shown.applicationId === detail.applicationId;
  shown = detail;
  $('detail-body').hidden = false;
  const application = detail.application;
  const name = application
    ? application.contractType === 'corporation'
      ? application.corporateName
      : `${application.lastName} ${application.firstName}`
    : '(個人情報は消去済み)';
  $('detail-title').textContent = `${detail.receptionNumber} ${name}`;
  document.title = `${detail.receptionNumber} | 審査コンソール`;
  const badge = $('detail-status');
  badge.className = statusClass(detail.status);
  badge.textContent = statusLabel(detail.status);
  fill(
    $('detail-facts'),
    fact('受付番号', detail.receptionNumber),
    fact('受付日時', dateTime(detail.receivedAt)),
    fact('確認日時', dateTime(detail.verifiedAt)),
    fact('ステータス', statusLabel(detail.status), { id: 'detail-status-text' }),
    detail.partnerCode ? fact('取次店コード', detail.partnerCode, { id: 'detail-partner-code', class: 'code' }) : null,
    detail.erasedAt ? fact('個人情報の消去', dateTime(detail.erasedAt)) : null,
    // What the list's flag (mailProblem) stands for, where the detail begins.
    application && mails.applicantMailFailed(detail.mails || [])
      ? fact('メール', '申込者へのメールが届いていません(メール送信履歴を参照)。', {
          id: 'detail-mail-problem',
          class: 'facts__alert',
        })
      : null,
  );
  const erased = $('detail-erased');
  erased.hidden = Boolean(application);
  erased.textContent = application ? '' : `このお申し込みの個人情報は ${dateTime(detail.erasedAt)} に消去されました。`;
  correction.stop();
  fill($('detail-fields'), application ? fieldRows(application) : []);
  documents.render(detail);
  $('correct-open').hidden = !correction.allowed(detail);
  fill($('detail-history'), historyRows(detail.history));
  mails.render(detail);
  desk.render(detail);
  $('decide-note').textContent = decideNote(detail);
  fill($('decide-buttons'), decisionButtons(detail));
  $('erase-open').hidden = !application;
  if (application && !keepChecks) checks.render(detail, $('detail-checks'), $('detail-related'));
  else if (!application) {
    fill($('detail-checks'), h('li', {}, '—'));
    fill($('detail-related'), h('li', {}, '—'));
  }
}

/** Shows the application `id`. */
export async function show(id) {
  notice($('detail-notice'), '');
  notice($('detail-error'), '');
  if (!shown || shown.applicationId !== id) $('detail-body').hidden = true;
  const answer = await api.detail(id);
  if (!answer.ok) {
    $('detail-body').hidden = true;
    const message =
      api.codeOf(answer) === ERROR_CODES.applicationNotFound
        ? 'このお申し込みは見つかりません。保存期間が過ぎて削除されたか、URLが誤っています。'
        : api.messageOf(answer, 'お申し込みを読み込めませんでした。通信環境を確認して、もう一度お試しください。');
    notice($('detail-error'), message);
    return;
  }
  render(answer.body);
}

/** After a 409: reads the application again and says why. */
async function reload(code, { editing = false } = {}) {
  const id = shown.applicationId;
  const answer = await api.detail(id);
  if (answer.ok) render(answer.body);
  list.invalidate();
  if (editing && answer.ok && correction.allowed(answer.body)) {
    // Back to the inputs, with what was typed: the operator compares and saves again.
    startCorrection();
    notice(
      $('detail-notice'),
      '他の運用者がこのお申し込みを更新したため、訂正は保存されませんでした。最新の内容を読み込みました。入力した訂正内容は残っています。確認してから、もう一度保存してください。',
    );
    focusOn($('detail-notice'));
    return;
  }
  if (editing) {
    notice($('detail-notice'), 'このお申し込みは訂正できない状態になったため、訂正は保存されませんでした。最新の内容を読み込みました。');
    focusOn($('detail-notice'));
    return;
  }
  const why =
    code === ERROR_CODES.versionConflict
      ? '他の運用者がこのお申し込みを更新したため、操作は行われませんでした。最新の内容を読み込みました。内容を確認してから、もう一度操作してください。'
      : 'このお申し込みは、すでに審査が完了しているため、操作は行われませんでした。最新の内容を読み込みました。';
  notice($('detail-notice'), `${why}${code === ERROR_CODES.versionConflict ? '(入力したメッセージは残っています。)' : ''}`);
  focusOn($('detail-notice'));
}

function startCorrection() {
  if (!shown) return;
  correction.start(shown, {
    onDone: (updated, changed) => {
      list.invalidate();
      render(updated);
      notice($('detail-notice'), '');
      const labels = changed.map((c) => c.label).join('、');
      announce(`登録内容を訂正しました(${labels})。申込者に「登録内容訂正のお知らせ」のメールが送信されます。`);
      focusOn($('detail-title'));
    },
    onConflict: (code) => reload(code, { editing: code === ERROR_CODES.versionConflict }),
  });
}

export function wire() {
  decisionDialog.wire();
  desk.wire({ assigned: () => list.invalidate() });
  erasureDialog.wire();
  correction.wire({
    onCancel: () => {
      if (shown) render(shown);
      focusOn($('correct-open'));
    },
  });
  $('correct-open').addEventListener('click', startCorrection);
  $('erase-open').addEventListener('click', () => {
    if (!shown) return;
    erasureDialog.openFor(shown, {
      onDone: async () => {
        list.invalidate();
        await show(shown.applicationId);
        announce('個人情報を消去しました。');
        focusOn($('detail-title'));
      },
    });
  });
}

export const current = () => shown;
