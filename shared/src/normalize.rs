//! Normalisation applied to every text a client sends, before any rule checks it.
//!
//! Only what is unambiguous is normalised: NFKC (full-width letters and digits to
//! half-width, half-width kana to full-width), surrounding white space, the many
//! dash characters in numbers, and hiragana in reading fields. Everything else is
//! left for the rules to accept or reject with a message.

use std::borrow::Cow;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// NFKC, then trimmed, with runs of inner white space collapsed to one space.
///
/// NFKC turns the ideographic space (U+3000) into an ASCII space, so a name typed
/// with a full-width space is trimmed like any other.
pub fn text(raw: &str) -> String {
    if is_tidy_plain(raw) {
        return raw.to_owned();
    }
    collapse_white_space(&nfkc(raw))
}

/// [`text`], or `None` when `raw` holds a character no field may contain
/// ([`is_forbidden_char`]), checked before trimming could hide a trailing line
/// break. What is already clean (most input) is read once and copied once.
pub fn text_refusing_forbidden(raw: &str) -> Option<String> {
    if is_tidy_plain(raw) {
        return Some(raw.to_owned());
    }
    if raw.chars().any(is_forbidden_char) {
        return None;
    }
    Some(collapse_white_space(&nfkc(raw)))
}

/// True when [`text`] would return `raw` as it is: every character plainly NFKC,
/// and single spaces only between words. One pass over the bytes: every plainly
/// NFKC character is ASCII or three bytes long, so nothing else is decoded.
fn is_tidy_plain(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    let mut after_space = false;
    let mut i = 0;
    while let Some(&lead) = bytes.get(i) {
        if lead.is_ascii() {
            if !(b' '..=b'~').contains(&lead) || (lead == b' ' && after_space) {
                return false;
            }
            after_space = lead == b' ';
            i += 1;
            continue;
        }
        // `raw` is UTF-8, so a lead byte of E0..EF has two continuation bytes.
        let (0xE0..=0xEF, Some(&second), Some(&third)) = (lead, bytes.get(i + 1), bytes.get(i + 2)) else {
            return false;
        };
        let code = u32::from(lead & 0x0F) << 12 | u32::from(second & 0x3F) << 6 | u32::from(third & 0x3F);
        if !char::from_u32(code).is_some_and(is_plainly_nfkc) {
            return false;
        }
        after_space = false;
        i += 3;
    }
    true
}

/// Most input is already NFKC. The quick check (a table lookup per character)
/// spares it the decompose-and-recompose pass when it can.
fn nfkc(raw: &str) -> Cow<'_, str> {
    if raw.chars().all(is_plainly_nfkc) {
        return Cow::Borrowed(raw);
    }
    match is_nfkc_quick(raw.chars()) {
        IsNormalized::Yes => Cow::Borrowed(raw),
        IsNormalized::No | IsNormalized::Maybe => Cow::Owned(raw.nfkc().collect()),
    }
}

fn collapse_white_space(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Characters NFKC leaves as they are whatever surrounds them (no
/// decomposition, no combining class): printable ASCII, the hiragana and
/// katakana letters, ー, and the CJK unified ideographs of the BMP. (ヴ and が
/// are precomposed and stay so; a separate voicing mark is not in this set.)
fn is_plainly_nfkc(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | '\u{30FC}' | '\u{4E00}'..='\u{9FFF}')
}

/// True for characters no field may contain: C0/C1 controls (NUL, tab, CR, LF…),
/// the Unicode line and paragraph separators, and every [invisible](is_invisible)
/// character (bidirectional overrides among them), which can disguise a value in
/// a mail or an operator's screen.
pub fn is_forbidden_char(c: char) -> bool {
    if is_plainly_nfkc(c) {
        // Printable ASCII, kana and BMP ideographs: spares the table lookup.
        return false;
    }
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_invisible(c)
}

/// True for characters that show nothing, or nothing but a blank, where they
/// stand:
/// - general category Cf (format): LRM, RLM, ALM, ZWSP, ZWNJ, ZWJ, WJ, BOM, the
///   soft hyphen, bidirectional embeddings and overrides, tag characters;
/// - Co (private use): no shared meaning, each font draws what it likes;
/// - Cn (unassigned): nothing to draw yet (Unicode 18, `unicode-properties`);
/// - the blanks that Unicode files as letters, marks or symbols: the Hangul
///   fillers (Lo; NFKC turns U+3164 and U+FFA0 into U+1160), the braille blank
///   U+2800 (So), the combining grapheme joiner U+034F, the Khmer inherent
///   vowels U+17B4/U+17B5 and the Mongolian free variation selectors (Mn).
///
/// Variation selectors are not among them: U+E0100–U+E01EF select the glyph of
/// an ideograph (葛󠄀 is 葛 + U+E0100), which registered names use, and are Mn,
/// counted as marks ([`MAX_MARKS_PER_BASE`]); U+FE0F is refused as emoji
/// ([`is_unwanted_in_text`]).
pub fn is_invisible(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        GeneralCategory::Format | GeneralCategory::PrivateUse | GeneralCategory::Unassigned
    ) || matches!(
        c,
        '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'
            ..='\u{180F}' | '\u{2800}' | '\u{3164}' | '\u{FFA0}'
    )
}

/// The most combining marks (general categories Mn, Mc, Me) that may follow one
/// base character, counted after NFKC has composed what it can (か + ゛ is が).
/// Real writing needs at most three: Vietnamese ệ is two when decomposed, a Thai
/// syllable carries a vowel and a tone mark, an ideograph one variation
/// selector. Four leaves a margin; the forty stacked marks of "Zalgo" text spill
/// over the lines above and below in an operator's screen or a mail.
pub const MAX_MARKS_PER_BASE: usize = 4;

/// True for a combining mark (Mn, Mc, Me).
pub fn is_mark(c: char) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    !is_plainly_nfkc(c) && c.general_category_group() == GeneralCategoryGroup::Mark
}

/// True for a visible letter of any script (Lu, Ll, Lt, Lm, Lo, so kana, ー and
/// ideographs), or the ideographic 〇 (Nl); the Hangul fillers, letters that
/// show nothing, do not count.
pub fn is_letter(c: char) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    if is_plainly_nfkc(c) {
        return true;
    }
    c == '\u{3007}' || (c.general_category_group() == GeneralCategoryGroup::Letter && !is_invisible(c))
}

/// True for characters no name or address needs and markup or decoration uses:
/// `<` and `>`, and emoji (pictographs, flags, the variation selector and joiner
/// that build them). Kanji outside the BMP (𠮷, 𩸽) are not among them.
pub fn is_unwanted_in_text(c: char) -> bool {
    matches!(
        c,
        '<' | '>'
            | '\u{200D}' // zero-width joiner
            | '\u{FE0F}' // emoji presentation selector
            | '\u{2600}'..='\u{27BF}' // miscellaneous symbols, dingbats
            | '\u{1F000}'..='\u{1FAFF}' // mahjong … symbols and pictographs extended-A
    )
}

/// Dash-like characters that mean a hyphen in a phone number or postal code.
/// The katakana prolonged sound mark is among them: on a Japanese keyboard it is
/// what the minus key types in kana mode.
pub fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            ..='\u{2015}' // ‐ ‑ ‒ – — ―
            | '\u{2043}' // ⁃
            | '\u{2212}' // −
            | '\u{30FC}' // ー
            | '\u{FE63}' // ﹣
            | '\u{FF0D}' // －
            | '\u{FF70}' // ｰ
    )
}

/// For digits-and-hyphens fields (phone, postal code): [`text`], then every dash as `-`.
pub fn numeric(raw: &str) -> String {
    dashes_as_hyphens(text(raw))
}

/// Every dash of a normalised text as `-` (kept as is when there is none).
pub fn dashes_as_hyphens(text: String) -> String {
    map_unless_ascii(text, |c| if is_dash(c) { '-' } else { c })
}

/// For address lines: [`text`], then typographic dashes and the minus sign as `-`,
/// so 大深町4−20 and 大深町4-20 are one address. The prolonged sound mark is kept:
/// in タワー it is part of a word.
pub fn address(raw: &str) -> String {
    address_dashes(text(raw))
}

/// The dashes of a normalised address line as `-`, but ー (see [`address`]).
pub fn address_dashes(text: String) -> String {
    map_unless_ascii(text, |c| if c != '\u{30FC}' && is_dash(c) { '-' } else { c })
}

/// For reading (フリガナ) fields: [`text`], then hiragana as katakana.
pub fn reading(raw: &str) -> String {
    hiragana_as_katakana(text(raw))
}

/// The hiragana of a normalised text as katakana.
pub fn hiragana_as_katakana(text: String) -> String {
    map_unless_ascii(text, hiragana_to_katakana)
}

/// `text` with `map` applied to each character. ASCII maps to itself under every
/// map here, and text that `map` leaves alone is returned without a copy.
fn map_unless_ascii(text: String, map: impl Fn(char) -> char) -> String {
    if text.is_ascii() || text.chars().all(|c| map(c) == c) {
        return text;
    }
    text.chars().map(map).collect()
}

/// Maps one hiragana to its katakana; any other character is returned unchanged.
pub fn hiragana_to_katakana(c: char) -> char {
    match c {
        // ぁ..ゖ and the iteration marks ゝ ゞ sit exactly 0x60 below their katakana.
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// True for a full-width katakana letter or mark allowed in a reading:
/// ァ..ヺ (with ヴ and the small kana), the middle dot ・, ー and the iteration marks.
pub fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | '\u{30FB}' | '\u{30FC}' | '\u{30FD}' | '\u{30FE}')
}

/// Length as the applicant sees it: characters, not bytes (𠮷 counts once).
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_applies_nfkc_trims_and_collapses_spaces() {
        let cases = [
            ("ＡＢＣ１２３", "ABC123"),
            ("ｴｯｸｽｻｰﾊﾞｰ", "エックスサーバー"),
            ("　山田　", "山田"),
            ("グランフロント大阪　 タワーA", "グランフロント大阪 タワーA"),
            ("㈱テスト", "(株)テスト"),
            ("𠮷田", "𠮷田"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(text(raw), want, "input {raw:?}");
        }
    }

    #[test]
    fn the_quick_check_agrees_with_full_normalisation() {
        // Already NFKC (kept as is), decomposed (か + combining ゛ composes to が), and full-width.
        for raw in ["山田 太郎", "エックスサーバー", "か\u{3099}", "ｶﾞ", "ＡＢＣ", "𠮷田", "a\u{0301}"]
        {
            let full: String = raw.nfkc().collect();
            assert_eq!(text(raw), full.split_whitespace().collect::<Vec<_>>().join(" "), "{raw:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn text_is_nfkc_with_white_space_collapsed(
            raw in "(\\PC|[ 　ぁ-ゟ゙゚ァ-ヿｦ-ﾟ一-龥豈-鶴０-ｚ])*"
        ) {
            let full: String = raw.nfkc().collect();
            proptest::prop_assert_eq!(text(&raw), full.split_whitespace().collect::<Vec<_>>().join(" "));
        }

        #[test]
        fn refusing_forbidden_is_text_unless_a_character_is_forbidden(
            raw in "(\\PC|[ 　\t\n\r\u{0}\u{7F}\u{85}\u{2028}\u{202E}ぁ-ゟァ-ヿ一-龥０-ｚ])*"
        ) {
            let want = (!raw.chars().any(is_forbidden_char)).then(|| text(&raw));
            proptest::prop_assert_eq!(text_refusing_forbidden(&raw), want);
        }

        #[test]
        fn the_copy_free_maps_equal_mapping_every_character(raw in "[ -~ぁ-ゟァ-ヿ‐-―−ｰ－﹣⁃一-龥]*") {
            let all = |map: fn(char) -> char| -> String { text(&raw).chars().map(map).collect() };
            proptest::prop_assert_eq!(reading(&raw), all(hiragana_to_katakana));
            proptest::prop_assert_eq!(numeric(&raw), all(|c| if is_dash(c) { '-' } else { c }));
            proptest::prop_assert_eq!(
                address(&raw),
                all(|c| if c != '\u{30FC}' && is_dash(c) { '-' } else { c })
            );
        }
    }

    #[test]
    fn numeric_maps_every_dash_to_hyphen() {
        for dash in ['‐', '-', '–', '—', '―', '−', 'ー', 'ｰ', '－', '‑', '﹣'] {
            let raw = format!("06{dash}6292{dash}8811");
            assert_eq!(numeric(&raw), "06-6292-8811", "dash {dash:?} (U+{:04X})", dash as u32);
        }
        assert_eq!(numeric("０６－６２９２－８８１１"), "06-6292-8811");
    }

    #[test]
    fn address_keeps_prolonged_sound_mark() {
        assert_eq!(address("大深町４−２０"), "大深町4-20");
        assert_eq!(address("タワーＡ ３２Ｆ"), "タワーA 32F");
    }

    #[test]
    fn reading_turns_hiragana_into_katakana() {
        assert_eq!(reading("やまだ"), "ヤマダ");
        assert_eq!(reading("ﾔﾏﾀﾞ"), "ヤマダ");
        assert_eq!(reading("ゔぁっ"), "ヴァッ");
        assert_eq!(reading("いすゞ"), "イスヾ");
        assert_eq!(reading("ヤマダ"), "ヤマダ");
    }

    #[test]
    fn forbidden_chars() {
        for c in ['\0', '\t', '\n', '\r', '\u{7F}', '\u{85}', '\u{2028}', '\u{202E}', '\u{2066}', '\u{FEFF}']
        {
            assert!(is_forbidden_char(c), "U+{:04X}", c as u32);
        }
        for c in ['a', '山', '𠮷', ' ', 'ー'] {
            assert!(!is_forbidden_char(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn invisible_characters_are_forbidden_variation_selectors_are_marks() {
        let invisible = [
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E000}',
            '\u{F8FF}',
            '\u{F0000}',
            '\u{0378}',
            '\u{FFFF}',
            '\u{3164}',
            '\u{FFA0}',
            '\u{1160}',
            '\u{2800}',
            '\u{034F}',
            '\u{180B}',
        ];
        for c in invisible {
            assert!(is_invisible(c) && is_forbidden_char(c), "U+{:04X}", c as u32);
            assert!(!is_letter(c), "U+{:04X}", c as u32);
        }
        for c in ['\u{E0100}', '\u{E01EF}', '\u{FE00}', '\u{0301}', '\u{3099}'] {
            assert!(!is_invisible(c) && !is_forbidden_char(c), "U+{:04X}", c as u32);
            assert!(is_mark(c), "U+{:04X} is a combining mark", c as u32);
        }
        for c in ['a', 'Z', 'あ', 'ア', 'ー', '々', '山', '𠮷', '〇', 'é', 'ก'] {
            assert!(is_letter(c) && !is_mark(c) && !is_forbidden_char(c), "{c}");
        }
        for c in ['1', '・', '-', ' ', '(', '１'] {
            assert!(!is_letter(c), "{c}");
        }
    }

    #[test]
    fn unwanted_in_text() {
        for c in ['<', '>', '😀', '👍', '☀', '\u{FE0F}', '\u{200D}', '🇯'] {
            assert!(is_unwanted_in_text(c), "U+{:04X}", c as u32);
        }
        for c in ['𠮷', '𩸽', '山', 'A', '&', '"', '・', '-'] {
            assert!(!is_unwanted_in_text(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn katakana_class() {
        for c in "ァヴヵヶーヽヾ・ン".chars() {
            assert!(is_katakana(c), "{c}");
        }
        for c in "あA1 山ｱ".chars() {
            assert!(!is_katakana(c), "{c}");
        }
    }

    #[test]
    fn length_counts_characters() {
        assert_eq!(char_len("𠮷田"), 2);
        assert_eq!(char_len("𩸽"), 1);
        assert_eq!(char_len("abc"), 3);
    }
}
