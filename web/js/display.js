// Field display: reading and writing the form, the errors and warnings beside
// each field, and the error summary above the form.
//
// It owns which fields have been touched (left once, or all after a step-2
// attempt): only those show their errors.

import {
  CHOICE_FIELDS, CONSENT_FIELDS, CONTRACT_TYPE, CORPORATE_FIELDS, KEYS, SOLE_PROPRIETOR, TEXT_FIELDS, isKey,
} from './field-table.js';

const SUMMARY = 'error-summary';
const SUMMARY_LIST = 'error-summary-list';
const SUMMARY_MESSAGE = 'error-summary-message';
const HONEYPOT = 'website';

const $ = (id) => document.getElementById(id);

/**
 * The display of `form`. `onSummaryChange` runs whenever the summary is shown
 * or hidden (the document title says 「エラー」 while it is).
 */
export function createDisplay(form, { onSummaryChange }) {
  const touched = new Set();
  const input = (key) => form.elements.namedItem(key);

  function inputsOf(key) {
    const element = input(key);
    if (!element) return [];
    return element instanceof RadioNodeList ? Array.from(element) : [element];
  }

  function isSoleProprietor() {
    return input(CONTRACT_TYPE).value === SOLE_PROPRIETOR;
  }

  /** The application as the contract wants it. Blank means not entered. */
  function collect() {
    const application = {};
    for (const key of TEXT_FIELDS) {
      if (!input(key).disabled) application[key] = input(key).value;
    }
    for (const key of CHOICE_FIELDS) application[key] = input(key).value || null;
    // Unticked is "not entered", which the server answers with 「…に同意してください。」.
    for (const key of CONSENT_FIELDS) application[key] = input(key).checked ? true : null;
    application[HONEYPOT] = input(HONEYPOT).value;
    return application;
  }

  /** Every value, including the corporate ones kept while 個人事業主 is chosen. */
  function snapshot() {
    const values = {};
    for (const key of TEXT_FIELDS) values[key] = input(key).value;
    for (const key of CHOICE_FIELDS) values[key] = input(key).value;
    for (const key of CONSENT_FIELDS) values[key] = input(key).checked;
    return values;
  }

  function restore(values) {
    for (const key of TEXT_FIELDS) {
      if (typeof values[key] === 'string') input(key).value = values[key];
    }
    for (const key of CHOICE_FIELDS) {
      for (const radio of inputsOf(key)) radio.checked = radio.value === values[key];
    }
    for (const key of CONSENT_FIELDS) input(key).checked = values[key] === true;
  }

  function hasInput() {
    return Object.values(snapshot()).some((value) => value !== '' && value !== false);
  }

  // 契約者種別: corporate fields are inactive for 個人事業主.
  function updateContractType() {
    const inactive = isSoleProprietor();
    for (const key of CORPORATE_FIELDS) {
      const element = input(key);
      element.disabled = inactive;
      element.required = !inactive;
      element.closest('.field').classList.toggle('is-inactive', inactive);
      $(`${key}-inactive`).hidden = !inactive;
      if (inactive) setFieldIssues(key, [], []);
    }
  }

  /** A warning line after each field's error line, read out with the field. */
  function addWarningElements() {
    for (const key of KEYS) {
      const error = $(`${key}-error`);
      const warning = document.createElement('p');
      warning.className = 'field__warning';
      warning.id = `${key}-warning`;
      warning.hidden = true;
      error.after(warning);
      for (const element of inputsOf(key)) {
        const described = element.getAttribute('aria-describedby') || '';
        element.setAttribute('aria-describedby', `${described} ${warning.id}`.trim());
      }
    }
  }

  function setFieldIssues(key, errors, warnings) {
    const errorElement = $(`${key}-error`);
    const warningElement = $(`${key}-warning`);
    errorElement.textContent = errors.map((issue) => issue.message).join(' ');
    errorElement.hidden = errors.length === 0;
    warningElement.textContent = warnings.map((issue) => issue.message).join(' ');
    warningElement.hidden = warnings.length === 0;
    for (const element of inputsOf(key)) {
      if (errors.length > 0) element.setAttribute('aria-invalid', 'true');
      else element.removeAttribute('aria-invalid');
    }
  }

  function issuesFor(list, key) {
    return Array.isArray(list) ? list.filter((issue) => issue && issue.field === key) : [];
  }

  /** Shows the issues of the touched fields; returns the errors shown, in form order. */
  function showIssues(errors, warnings) {
    const shown = [];
    for (const key of KEYS) {
      const visible = touched.has(key) && !(CORPORATE_FIELDS.includes(key) && isSoleProprietor());
      const fieldErrors = visible ? issuesFor(errors, key) : [];
      const fieldWarnings = visible ? issuesFor(warnings, key) : [];
      setFieldIssues(key, fieldErrors, fieldWarnings);
      shown.push(...fieldErrors);
    }
    return shown;
  }

  function isInvalid(key) {
    return inputsOf(key).some((element) => element.getAttribute('aria-invalid') === 'true');
  }

  function focusField(key) {
    const inputs = inputsOf(key);
    const target = inputs.find((element) => element.checked) || inputs[0];
    if (!target) return;
    const field = target.closest('.field') || target;
    field.scrollIntoView({ block: 'start' });
    target.focus({ preventScroll: true });
  }

  function renderSummary(errors, message) {
    const list = $(SUMMARY_LIST);
    list.replaceChildren();
    for (const issue of errors) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = `#${issue.field}`;
      link.textContent = issue.message;
      link.addEventListener('click', (event) => {
        event.preventDefault();
        focusField(issue.field);
      });
      item.append(link);
      list.append(item);
    }
    const messageElement = $(SUMMARY_MESSAGE);
    messageElement.textContent = message || '';
    messageElement.hidden = !message;
    $(SUMMARY).hidden = errors.length === 0 && !message;
    onSummaryChange();
  }

  function hideSummary() {
    renderSummary([], '');
  }

  function summaryShown() {
    return !$(SUMMARY).hidden;
  }

  /** Brings the summary into view when it has no field to lead to. */
  function focusSummary() {
    const summary = $(SUMMARY);
    summary.scrollIntoView({ block: 'start' });
    summary.focus({ preventScroll: true });
  }

  /** After completion: empty, untouched, nothing shown. */
  function reset() {
    form.reset();
    updateContractType();
    touched.clear();
    for (const key of KEYS) setFieldIssues(key, [], []);
    hideSummary();
  }

  return {
    collect,
    snapshot,
    restore,
    hasInput,
    updateContractType,
    addWarningElements,
    showIssues,
    isInvalid,
    focusField,
    renderSummary,
    hideSummary,
    summaryShown,
    focusSummary,
    reset,
    /** The field an event happened in, or null (the honeypot, a button). */
    keyOfEvent(event) {
      const name = event.target && event.target.name;
      return isKey(name) ? name : null;
    },
    touch(key) {
      if (isKey(key)) touched.add(key);
    },
    touchAll() {
      for (const key of KEYS) touched.add(key);
    },
    touchedKeys() {
      return Array.from(touched);
    },
  };
}
