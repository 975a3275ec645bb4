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

/** How a consent that was given reads back (the 控え mail says the same). */
const AGREED = '同意する';

/**
 * The rows an application reads back as, on the form's review step, the
 * verification page and the console: [key, label, text] for each field the
 * table marks `reviewed` (decided in Rust: not the address's confirmation), in
 * the table's order, the corporate fields only for a corporation; a contract
 * type and a consent read as words, and nothing entered is ''. `grouped` puts
 * a group on one row under its label (姓 and 名 joined by a space), as the form
 * shows them; the console passes false and keeps each field on its own row.
 */
export function reviewRows(application, { grouped = true } = {}) {
  const value = (key) => {
    const v = application[key];
    return v === undefined || v === null || v === '' ? '' : String(v);
  };
  const rows = [];
  const shownGroups = new Set();
  for (const field of FIELDS) {
    const { key, kind } = field;
    if (!field.reviewed) continue;
    if (field.corporateOnly && value(CONTRACT_TYPE) !== CORPORATION) continue;
    const group = grouped ? groupOf(key) : null;
    if (group) {
      if (shownGroups.has(group.name)) continue;
      shownGroups.add(group.name);
      rows.push([group.name, group.label, group.fields.map(value).join(' ').trim()]);
    } else if (kind === 'choice') {
      rows.push([key, field.label, contractTypeLabel(value(key))]);
    } else if (kind === 'consent') {
      rows.push([key, field.label, application[key] === true ? AGREED : '']);
    } else {
      rows.push([key, field.label, value(key)]);
    }
  }
  return rows;
}
