// Normalisation as you type, and furigana from the IME.
//
// Only these two length-preserving normalisations are mirrored from the server
// (shared/src/normalize.rs): hiragana → katakana in reading fields, full-width
// digits → half-width in numeric fields. Every rule and message stays on the
// server; the page asks /api/validate for them.

const HIRAGANA = /[\u3041-\u3096\u309D\u309E]/g;
const FULLWIDTH_DIGIT = /[\uFF10-\uFF19]/g;
// What an IME shows before conversion: hiragana, katakana, the prolonged sound
// mark and spaces. Anything else (a romaji letter, a kanji) is not a reading.
const READING_ONLY = /^[\u3041-\u3096\u309D\u309E\u30A1-\u30FA\u30FC-\u30FE\u30FB\s\u3000]+$/;

/** ひらがな → カタカナ, one code unit each (so the caret can stay where it was). */
export function toKatakana(text) {
  return text.replace(HIRAGANA, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
}

/** ０-９ → 0-9, one code unit each. */
export function toHalfwidthDigits(text) {
  return text.replace(FULLWIDTH_DIGIT, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0));
}

/** Whether an IME composition string is a reading (kana only). */
export function isReading(text) {
  return READING_ONLY.test(text);
}

/**
 * Rewrites an input's value with `convert`, keeping the caret. Never during an
 * IME composition: changing the value then breaks the composition.
 */
export function normaliseInput(input, convert) {
  const before = input.value;
  const after = convert(before);
  if (after === before) return false;
  const { selectionStart, selectionEnd } = input;
  input.value = after;
  if (document.activeElement === input && selectionStart !== null) {
    input.setSelectionRange(selectionStart, selectionEnd);
  }
  return true;
}

/** Makes `input` normalise itself with `convert` after typing and after each composition. */
export function normaliseAsYouType(input, convert, onChange) {
  input.addEventListener('input', (event) => {
    if (event.isComposing) return;
    if (normaliseInput(input, convert)) onChange();
  });
  input.addEventListener('compositionend', () => {
    if (normaliseInput(input, convert)) onChange();
  });
}

/**
 * Fills a reading field (katakana) from the IME composition of a name field.
 *
 * While the applicant types 山田 with an IME, compositionupdate reports the kana
 * before conversion (や, やま, やまだ) and then the kanji (山田). The last
 * kana-only string of each composition is its reading; the readings of the
 * compositions are joined. The reading field is filled until the applicant edits
 * it; emptying it hands it back to the automatic fill.
 */
export function autoFurigana(nameInput, readingInput, onFill) {
  let segments = [];
  let pending = '';
  let readingEditedByHand = readingInput.value !== '';

  const fill = () => {
    if (readingEditedByHand) return;
    const reading = toKatakana(segments.join('')).replace(/[\s\u3000]+/g, '');
    if (readingInput.value === reading) return;
    readingInput.value = reading;
    onFill();
  };

  nameInput.addEventListener('compositionstart', () => {
    pending = '';
  });
  nameInput.addEventListener('compositionupdate', (event) => {
    if (event.data && isReading(event.data)) pending = event.data;
  });
  nameInput.addEventListener('compositionend', (event) => {
    // A composition committed as typed kana is its own reading.
    const committed = event.data || '';
    const reading = isReading(committed) ? committed : pending;
    pending = '';
    if (committed === '' || reading === '') return;
    segments.push(reading);
    fill();
  });
  nameInput.addEventListener('input', (event) => {
    if (event.isComposing) return;
    if (nameInput.value === '') {
      // Start again: the name was cleared.
      segments = [];
      fill();
    }
  });

  readingInput.addEventListener('input', (event) => {
    // Only the applicant's own edits stop the automatic fill (programmatic
    // changes fire no input event).
    readingEditedByHand = readingInput.value !== '';
    if (!readingEditedByHand) segments = [];
  });

  return {
    /** After a draft is restored: a reading already there was typed by the applicant. */
    reset() {
      segments = [];
      pending = '';
      readingEditedByHand = readingInput.value !== '';
    },
  };
}
