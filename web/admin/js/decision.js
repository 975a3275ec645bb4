// The decision dialog: the consequence stated before anything is sent, the
// message where the decision takes one (with templates), one Idempotency-Key
// per opening so that a double click or a retry decides once, and a
// version conflict turned into a reload with an explanation.

import { DECISIONS, ERROR_CODES } from '../../js/fields.js';
import { setBusy } from '../../js/busy.js';
import * as api from './client.js';
import * as dialogs from './dialogs.js';
import { $, fill, h, notice } from './dom.js';
import { TEMPLATES } from './templates.js';

const CONSEQUENCES = {
  approve: [
    '承認すると、利用規約第3条2によりパートナー契約が成立し、取次店コードが発行されます。',
    '申込者に「審査完了」のメール(取次店コードと今後の流れ)が送信されます。',
    'この操作は取り消せません。',
  ],
  request_documents: [
    'ステータスが「資料提出待ち」になり、申込者に「資料提出のお願い」のメールが送信されます(利用規約第3条3)。メールには、資料を提出するページへのリンクが記載されます。',
    '下のメッセージが、そのままメールに記載されます。前に依頼したことがあれば、そのメールのリンクは使えなくなります。',
  ],
  reject: [
    'ステータスが「否認」になり、申込者に「審査結果」のメールが送信されます。',
    'メッセージを入力した場合は、メールに記載されます。この操作は取り消せません。',
  ],
};

const SUBMIT_LABELS = { approve: '承認する', request_documents: '依頼メールを送信する', reject: '否認する' };

let current = null; // {detail, decision, key, onDone, onConflict}
// What was typed per application and decision, kept while the tab lives:
// a conflict or a cancelled dialog does not lose a message.
const drafts = new Map();

const draftKey = (detail, decision) => `${detail.applicationId}:${decision.value}`;

function templateButtons(decision) {
  const templates = TEMPLATES[decision.value] || [];
  return templates.map((template) => {
    const button = h('button', { type: 'button', class: 'button button--link template' }, template.label);
    button.addEventListener('click', () => {
      const area = $('decision-message');
      area.value = template.text;
      area.focus();
      drafts.set(draftKey(current.detail, decision), area.value);
    });
    return button;
  });
}

/** Opens the dialog for `decision` (a DECISIONS entry) on `detail`. */
export function openFor(detail, decisionValue, { onDone, onConflict }) {
  const decision = DECISIONS.find((d) => d.value === decisionValue);
  current = { detail, decision, key: api.newIdempotencyKey(), onDone, onConflict };
  $('decision-title').textContent = `${decision.label}しますか`;
  $('decision-subject').textContent = `受付番号 ${detail.receptionNumber}`;
  fill($('decision-consequence'), CONSEQUENCES[decision.value].map((line) => h('p', {}, line)));
  const takesMessage = decision.message !== 'not_allowed';
  $('decision-message-field').hidden = !takesMessage;
  const badge = $('decision-message-badge');
  badge.textContent = decision.message === 'required' ? '必須' : '任意';
  badge.className = `badge ${decision.message === 'required' ? 'badge--required' : 'badge--optional'}`;
  const area = $('decision-message');
  area.value = drafts.get(draftKey(detail, decision)) || '';
  area.required = decision.message === 'required';
  area.removeAttribute('aria-invalid');
  notice($('decision-message-error'), '');
  fill($('decision-templates'), templateButtons(decision));
  $('decision-templates').hidden = !takesMessage || !(TEMPLATES[decision.value] || []).length;
  notice($('decision-error'), '');
  const submit = $('decision-submit');
  submit.textContent = SUBMIT_LABELS[decision.value];
  // The dialog's action is the primary one, unless the decision is the refusal.
  submit.className = `button ${decision.emphasis === 'danger' ? 'button--danger' : 'button--primary'}`;
  setBusy(submit, false);
  dialogs.open($('decision-dialog'), takesMessage ? area : $('decision-cancel'));
}

function messageError(decision, message) {
  if (decision.message === 'required' && !message) return 'メッセージを入力してください。申込者へのメールに記載されます。';
  if ([...message].length > 2000) return 'メッセージは2,000文字以内で入力してください。';
  return '';
}

async function submit(event) {
  event.preventDefault();
  if (!current) return;
  const { detail, decision, key } = current;
  const button = $('decision-submit');
  if (button.disabled) return; // a second click while the first is answered
  const area = $('decision-message');
  const message = decision.message === 'not_allowed' ? '' : area.value.trim();
  const problem = messageError(decision, message);
  notice($('decision-message-error'), problem);
  if (problem) {
    area.setAttribute('aria-invalid', 'true');
    area.focus();
    return;
  }
  area.removeAttribute('aria-invalid');
  notice($('decision-error'), '');
  setBusy(button, true, '送信しています…');
  const answer = await api.decide(detail.applicationId, { decision: decision.value, expectedVersion: detail.version, message }, key);
  setBusy(button, false);
  if (answer.network) {
    // The same key again: if the first request arrived, this one replays it.
    notice($('decision-error'), '通信できませんでした。もう一度押すと、同じ操作として送り直します(二重には処理されません)。');
    return;
  }
  const done = current;
  if (answer.ok) {
    drafts.delete(draftKey(detail, decision));
    current = null;
    dialogs.close($('decision-dialog'));
    done.onDone(answer.body, decision);
    return;
  }
  const code = api.codeOf(answer);
  if (code === ERROR_CODES.versionConflict || code === ERROR_CODES.invalidTransition) {
    drafts.set(draftKey(detail, decision), area.value);
    current = null;
    dialogs.close($('decision-dialog'));
    done.onConflict(code);
    return;
  }
  if (answer.status === 401) {
    notice($('decision-error'), 'サインインしていないため送信できませんでした。入力内容は残っています。もう一度押してください。');
    return;
  }
  notice($('decision-error'), api.messageOf(answer, '送信できませんでした。もう一度お試しください。'));
}

function cancel() {
  if (current) drafts.set(draftKey(current.detail, current.decision), $('decision-message').value);
  current = null;
  dialogs.close($('decision-dialog'));
}

export function wire() {
  $('decision-form').addEventListener('submit', submit);
  $('decision-cancel').addEventListener('click', cancel);
  dialogs.onCancel($('decision-dialog'), cancel);
  $('decision-message').addEventListener('input', (event) => {
    if (current) drafts.set(draftKey(current.detail, current.decision), event.target.value);
  });
}

/** What is being typed, to keep across a sign-in redirect (Cognito). */
export function pending() {
  return current ? { applicationId: current.detail.applicationId, decision: current.decision.value, message: $('decision-message').value } : null;
}

/** Puts a kept message back as the draft of its decision. */
export function restoreDraft(kept) {
  if (kept && kept.applicationId && kept.decision) drafts.set(`${kept.applicationId}:${kept.decision}`, kept.message || '');
}
