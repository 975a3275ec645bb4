// Postal code → address: 「郵便番号から住所入力」 (or Enter in the postal code)
// asks /api/postal/{code} and fills the address, or lets the applicant choose.

import * as api from './api.js';
import { setBusy } from './busy.js';
import { toHalfwidthDigits } from './kana.js';

const ID = {
  postalCode: 'postalCode',
  region: 'addressRegion',
  street: 'addressStreet',
  lookup: 'postal-lookup',
  status: 'postal-status',
  choices: 'postal-choices',
  choiceList: 'postal-choice-list',
};

const MESSAGES = {
  empty: '郵便番号を入力してから「郵便番号から住所入力」を押してください。',
  invalid: '郵便番号は7桁の数字で入力してください(例:530-0011)。',
  notFound: '該当する住所が見つかりませんでした。郵便番号をご確認いただくか、住所を直接入力してください。',
  network: '住所を取得できませんでした。もう一度お試しいただくか、住所を直接入力してください。',
  filled: '住所を入力しました。続けて丁目・番地などを入力してください。',
  filledWithStreet: '住所を入力しました。内容をご確認ください。',
};

const $ = (id) => document.getElementById(id);

function setStatus(message, isError) {
  const status = $(ID.status);
  status.textContent = message;
  status.classList.toggle('is-error', isError);
}

function clearChoices() {
  $(ID.choiceList).replaceChildren();
  $(ID.choices).hidden = true;
}

function addressLines(address) {
  const line1 = typeof address.line1 === 'string' ? address.line1
    : `${address.prefecture || ''}${address.city || ''}`;
  const line2 = typeof address.line2 === 'string' ? address.line2
    : `${address.town || ''}${address.street || ''}`;
  return { line1, line2 };
}

/** `onFill()` runs once an address is written into the form. */
export function createPostal({ onFill }) {
  function fillAddress(address) {
    const { line1, line2 } = addressLines(address);
    $(ID.region).value = line1;
    $(ID.street).value = line2;
    clearChoices();
    setStatus(address.street ? MESSAGES.filledWithStreet : MESSAGES.filled, false);
    onFill();
    const street = $(ID.street);
    street.focus();
    street.setSelectionRange(street.value.length, street.value.length);
  }

  function showChoices(addresses) {
    const list = $(ID.choiceList);
    list.replaceChildren();
    for (const address of addresses) {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'postal__choice';
      const { line1, line2 } = addressLines(address);
      const office = address.office && address.office.name ? `(${address.office.name})` : '';
      button.textContent = `${line1}${line2}${office}`;
      button.addEventListener('click', () => fillAddress(address));
      item.append(button);
      list.append(item);
    }
    $(ID.choices).hidden = false;
    setStatus('', false);
    list.querySelector('button').focus();
  }

  async function lookup() {
    const input = $(ID.postalCode);
    const code = toHalfwidthDigits(input.value).trim();
    clearChoices();
    if (code === '') {
      setStatus(MESSAGES.empty, true);
      input.focus();
      return;
    }
    const button = $(ID.lookup);
    setBusy(button, true);
    setStatus('', false);
    let response;
    try {
      response = await api.lookupPostal(code);
    } catch {
      setStatus(MESSAGES.network, true);
      return;
    } finally {
      setBusy(button, false);
    }
    const { status, body } = response;
    const addresses = status === 200 && body && Array.isArray(body.addresses) ? body.addresses : null;
    if (addresses && addresses.length === 1) {
      fillAddress(addresses[0]);
    } else if (addresses && addresses.length > 1) {
      showChoices(addresses);
    } else if (status === 400) {
      setStatus(api.envelopeMessage(body, MESSAGES.invalid), true);
      input.focus();
    } else if (status === 404 || (addresses && addresses.length === 0)) {
      setStatus(api.envelopeMessage(body, MESSAGES.notFound), true);
      input.focus();
    } else {
      setStatus(api.envelopeMessage(body, MESSAGES.network), true);
    }
  }

  function listen() {
    $(ID.lookup).addEventListener('click', lookup);
    $(ID.postalCode).addEventListener('keydown', (event) => {
      // Enter in the postal code looks the address up instead of leaving the step.
      if (event.key === 'Enter' && !event.isComposing) {
        event.preventDefault();
        lookup();
      }
    });
  }

  return {
    listen,
    /** After completion: no choices, no status. */
    reset() {
      clearChoices();
      setStatus('', false);
    },
  };
}
