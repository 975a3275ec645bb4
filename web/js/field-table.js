// Views of the generated field table (fields.js) that the other modules share.
// Nothing here is a hand-kept list: every key, kind, label and contract type is
// read from the table, so the page follows shared/src/domain/fields.rs.

import { CONTRACT_TYPES, FIELDS, GROUPS } from './fields.js';

/** The contract's keys, in the form's order. */
export const KEYS = FIELDS.map((field) => field.key);

const keysWhere = (test) => FIELDS.filter(test).map((field) => field.key);

/** One radio group each: 契約者種別 is the only one. */
export const CHOICE_FIELDS = keysWhere((field) => field.kind === 'choice');
/** 契約者種別, whose values are CONTRACT_TYPES. */
export const CONTRACT_TYPE = CHOICE_FIELDS[0];
/** One checkbox each (the agreement): ticked is `true`, unticked "not entered". */
export const CONSENT_FIELDS = keysWhere((field) => field.kind === 'consent');
/** Every field typed into a text input. */
export const TEXT_FIELDS = keysWhere((field) => field.kind !== 'choice' && field.kind !== 'consent');
/** Inactive (and not sent) while 個人事業主 is chosen. */
export const CORPORATE_FIELDS = keysWhere((field) => field.corporateOnly);
/** Reading fields: katakana, and filled from the IME of their name field. */
export const KANA_FIELDS = keysWhere((field) => field.kind === 'kana');

export function isKey(name) {
  return KEYS.includes(name);
}

export function groupOf(key) {
  const field = FIELDS.find((candidate) => candidate.key === key);
  return field && field.group ? GROUPS.find((group) => group.name === field.group) : null;
}

/** A contract type's value, checked against the table so that a rename cannot go unnoticed. */
function contractType(value) {
  if (!CONTRACT_TYPES.some((type) => type.value === value)) {
    throw new Error(`fields.js has no contract type ${value}`);
  }
  return value;
}

export const CORPORATION = contractType('corporation');
export const SOLE_PROPRIETOR = contractType('sole_proprietor');

/** 法人 / 個人事業主, or the value itself when the table does not know it. */
export function contractTypeLabel(value) {
  const type = CONTRACT_TYPES.find((candidate) => candidate.value === value);
  return type ? type.label : value;
}

/**
 * Each reading field with the name field its furigana comes from: a reading is
 * named after its name (corporateName → corporateNameKana).
 */
export const READINGS = KANA_FIELDS
  .map((reading) => ({ name: reading.replace(/Kana$/, ''), reading }))
  .filter(({ name }) => isKey(name));
