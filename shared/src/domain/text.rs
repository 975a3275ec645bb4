//! Free-text fields: names and address lines.

use super::value::{text_newtype, text_of};
use super::{Entry, Field, FieldValue, KeptValue, Kind, RawValue};
use crate::messages::Issue;
use crate::normalize;

/// Rejects forbidden characters in the raw input (before trimming could hide a
/// trailing line break), normalises it ([`normalize::text`], then `refine`), and
/// checks it in one more pass: no markup, emoji or invisible character (NFKC
/// could in principle make one), no more than [`normalize::MAX_MARKS_PER_BASE`]
/// combining marks in a row, not empty, and within the length the table gives.
pub(crate) fn checked(field: Field, raw: &str, refine: fn(String) -> String) -> Result<String, Issue> {
    let value = normalize::text_refusing_forbidden(raw)
        .map(refine)
        .ok_or_else(|| Issue::invalid_characters(field))?;
    let mut chars = 0;
    let mut marks_in_a_row = 0;
    for c in value.chars() {
        if normalize::is_unwanted_in_text(c) || normalize::is_forbidden_char(c) {
            return Err(Issue::invalid_characters(field));
        }
        if normalize::is_mark(c) {
            marks_in_a_row += 1;
            if marks_in_a_row > normalize::MAX_MARKS_PER_BASE {
                return Err(Issue::invalid_characters(field));
            }
        } else {
            marks_in_a_row = 0;
        }
        chars += 1;
    }
    if chars == 0 {
        return Err(Issue::required(field));
    }
    if let Some(max) = field.max_chars()
        && chars > max
    {
        return Err(Issue::too_long(field, max));
    }
    Ok(value)
}

text_newtype!(
    /// A name: 契約法人名, or 名前 姓/名 (of the applicant or the contact person).
    Name
);
text_newtype!(
    /// An address line: 住所(都道府県、市区町村), (町域、丁目・番地) or (建物名).
    Address
);

impl FieldValue for Name {
    const KIND: Kind = Kind::Text;

    /// A name must also hold a letter or an ideograph: one made only of digits,
    /// punctuation or blanks that Unicode files as symbols (the braille blank)
    /// names nobody.
    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        let value = checked(field, text_of(field, raw)?, std::convert::identity)?;
        if !value.chars().any(normalize::is_letter) {
            return Err(Issue::no_letter(field));
        }
        Ok(Name(value))
    }
}

impl KeptValue for Name {
    fn entry(&self) -> Entry<'_> {
        Entry::Text(&self.0)
    }
}

impl FieldValue for Address {
    const KIND: Kind = Kind::Address;

    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        checked(field, text_of(field, raw)?, normalize::address_dashes).map(Address)
    }
}

impl KeptValue for Address {
    fn entry(&self) -> Entry<'_> {
        Entry::Text(&self.0)
    }
}

/// The 47 prefectures, to warn when 住所(都道府県、市区町村) does not start with one.
const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

impl Address {
    /// True when the line starts with one of the 47 prefectures (meaningful for
    /// 住所(都道府県、市区町村)).
    pub fn starts_with_prefecture(&self) -> bool {
        PREFECTURES.iter().any(|p| self.0.starts_with(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::IssueCode;
    use unicode_normalization::UnicodeNormalization;

    fn name(field: Field, raw: &str) -> Result<Name, Issue> {
        Name::parse(field, &RawValue::text(raw))
    }

    fn region(raw: &str) -> Address {
        Address::parse(Field::AddressRegion, &RawValue::text(raw)).unwrap()
    }

    #[test]
    fn accepts_and_normalises() {
        let cases = [
            ("エックスサーバー株式会社", "エックスサーバー株式会社"),
            ("ｴｯｸｽｻｰﾊﾞｰ㈱", "エックスサーバー(株)"),
            ("　山田 ", "山田"),
            ("𠮷田", "𠮷田"),
        ];
        for (raw, want) in cases {
            assert_eq!(name(Field::CorporateName, raw).unwrap().as_str(), want);
        }
    }

    #[test]
    fn rejects_with_codes() {
        let cases = [
            ("", IssueCode::Required),
            ("   ", IssueCode::Required),
            ("山田\n", IssueCode::InvalidCharacters),
            ("山\r\n田", IssueCode::InvalidCharacters),
            ("山\0田", IssueCode::InvalidCharacters),
            ("山\u{202E}田", IssueCode::InvalidCharacters),
            ("<script>alert(1)</script>", IssueCode::InvalidCharacters),
            ("山田😀", IssueCode::InvalidCharacters),
            ("山田👨\u{200D}👩", IssueCode::InvalidCharacters),
        ];
        for (raw, code) in cases {
            assert_eq!(name(Field::LastName, raw).unwrap_err().code, code, "{raw:?}");
        }
    }

    /// (what, text): each of these in a name or an address line, between 山 and 田.
    const INVISIBLE: [(&str, &str); 17] = [
        ("LRM", "\u{200E}"),
        ("RLM", "\u{200F}"),
        ("ALM", "\u{061C}"),
        ("ZWSP", "\u{200B}"),
        ("ZWNJ", "\u{200C}"),
        ("WJ", "\u{2060}"),
        ("BOM", "\u{FEFF}"),
        ("soft hyphen", "\u{00AD}"),
        ("tag characters", "\u{E0041}\u{E007F}"),
        ("private use (BMP)", "\u{E000}"),
        ("private use (plane 16)", "\u{10FFFD}"),
        ("unassigned", "\u{0378}"),
        ("unassigned after the variation selectors", "\u{E01F0}"),
        ("noncharacter", "\u{FFFF}"),
        ("Hangul filler", "\u{3164}"),
        ("half-width Hangul filler", "\u{FFA0}"),
        ("braille blank", "\u{2800}"),
    ];

    fn address(field: Field, raw: &str) -> Result<Address, Issue> {
        Address::parse(field, &RawValue::text(raw))
    }

    #[test]
    fn invisible_characters_are_refused_in_names_and_addresses() {
        for (what, invisible) in INVISIBLE {
            let raw = format!("山{invisible}田");
            for field in [Field::CorporateName, Field::LastName, Field::FirstName] {
                let issue = name(field, &raw).unwrap_err();
                assert_eq!(issue.code, IssueCode::InvalidCharacters, "{what} in {field:?}");
                assert!(issue.message.contains("見えない文字"), "{what}: {}", issue.message);
            }
            for field in [Field::AddressRegion, Field::AddressStreet, Field::AddressBuilding] {
                let code = address(field, &raw).unwrap_err().code;
                assert_eq!(code, IssueCode::InvalidCharacters, "{what} in {field:?}");
            }
        }
    }

    #[test]
    fn a_name_of_blanks_digits_or_punctuation_is_refused() {
        let cases = [
            ("\u{3164}", IssueCode::InvalidCharacters),
            ("\u{3164}\u{3164}\u{3164}", IssueCode::InvalidCharacters),
            ("\u{2800}", IssueCode::InvalidCharacters),
            ("\u{2800} \u{2800}", IssueCode::InvalidCharacters),
            ("・・・", IssueCode::NoLetter),
            ("１２３", IssueCode::NoLetter),
            ("-", IssueCode::NoLetter),
        ];
        for (raw, code) in cases {
            let issue = name(Field::LastName, raw).unwrap_err();
            assert_eq!(issue.code, code, "{raw:?}");
            assert!(!issue.message.contains(raw), "the message does not echo the value");
        }
        let issue = name(Field::LastName, "・").unwrap_err();
        assert_eq!(issue.message, "名前(姓)は文字(漢字・かな・英字など)を含めて入力してください。");
        // Addresses need no letter: the street line may be only numbers.
        assert_eq!(address(Field::AddressStreet, "４−２０").unwrap().as_str(), "4-20");
    }

    #[test]
    fn combining_marks_are_capped_per_base_character() {
        // U+0335 (combining short stroke overlay) composes with nothing.
        let stacked = |n: usize| format!("山a{}田", "\u{0335}".repeat(n));
        let max = normalize::MAX_MARKS_PER_BASE;
        assert!(name(Field::LastName, &stacked(max)).is_ok());
        assert!(address(Field::AddressBuilding, &stacked(max)).is_ok());
        for n in [max + 1, 40] {
            assert_eq!(
                name(Field::LastName, &stacked(n)).unwrap_err().code,
                IssueCode::InvalidCharacters,
                "{n}"
            );
            let code = address(Field::AddressBuilding, &stacked(n)).unwrap_err().code;
            assert_eq!(code, IssueCode::InvalidCharacters, "{n}");
        }
        // The cap is per base: many marked letters in a row are fine.
        let many = "a\u{0335}\u{0335}".repeat(10);
        assert!(name(Field::CorporateName, &many).is_ok());
        // Forty marks with no base at all, too.
        assert!(name(Field::LastName, &"\u{0301}".repeat(40)).is_err());
    }

    #[test]
    fn real_names_keep_variation_sequences_marks_and_non_bmp_kanji() {
        let kept = [
            "葛\u{E0100}飾", // 葛󠄀: an ideographic variation sequence (IVS)
            "辻\u{E0101}",   // 辻󠄁, another IVS
            "𠮷田",          // outside the BMP
            "𩸽",
            "髙\u{FE00}橋",           // a standardised variation sequence
            "Nguyễn",                 // two marks on ễ once decomposed; NFKC recomposes
            "Nguye\u{0302}\u{0303}n", // the same, typed decomposed
            "สมชาย",                  // Thai: a vowel sign on a consonant
            "佐々木",
            "〇〇商事",
        ];
        for raw in kept {
            let parsed = name(Field::LastName, raw).unwrap_or_else(|e| panic!("{raw:?}: {e:?}"));
            let want: String = raw.nfkc().collect();
            assert_eq!(parsed.as_str(), want, "{raw:?} is kept as NFKC");
        }
        assert_eq!(name(Field::LastName, "葛\u{E0100}飾").unwrap().as_str().chars().count(), 3);
    }

    proptest::proptest! {
        /// Whatever is accepted holds no Cf, Co or Cn character, at least one
        /// letter (names), and no run of more than the cap of marks.
        #[test]
        fn what_is_accepted_is_visible(
            raw in "(\\PC|\\p{Cf}|\\p{Co}|\\p{Cn}|\\p{M}|[\u{3164}\u{2800}\u{E0100}-\u{E01EF}山田ー・ 1])*"
        ) {
            use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
            for (value, must_have_letter) in [
                (name(Field::LastName, &raw).map(|n| n.as_str().to_owned()), true),
                (address(Field::AddressBuilding, &raw).map(|a| a.as_str().to_owned()), false),
            ] {
                let Ok(value) = value else { continue };
                let mut run = 0;
                for c in value.chars() {
                    proptest::prop_assert!(
                        !matches!(c.general_category(), G::Format | G::PrivateUse | G::Unassigned),
                        "U+{:04X} in {:?}", c as u32, value
                    );
                    let blank = matches!(c, '\u{3164}' | '\u{1160}' | '\u{2800}');
                    proptest::prop_assert!(!blank, "a blank in {:?}", value);
                    run = if normalize::is_mark(c) { run + 1 } else { 0 };
                    proptest::prop_assert!(run <= normalize::MAX_MARKS_PER_BASE, "{:?}", value);
                }
                proptest::prop_assert!(!must_have_letter || value.chars().any(normalize::is_letter));
            }
        }

        /// Kanji (BMP or not), kana and ideographic variation sequences are
        /// always accepted.
        #[test]
        fn kanji_kana_and_variation_sequences_are_accepted(
            raw in "([一-龥𠀀-𪛟ぁ-ゖァ-ヺ]\u{E0100}?){1,20}"
        ) {
            let parsed = name(Field::CorporateName, &raw);
            proptest::prop_assert!(parsed.is_ok(), "{:?}: {:?}", raw, parsed);
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        let max = Field::LastName.max_chars().unwrap();
        assert_eq!(max, 50);
        assert!(name(Field::LastName, &"𠮷".repeat(max)).is_ok());
        let issue = name(Field::LastName, &"𩸽".repeat(max + 1)).unwrap_err();
        assert_eq!(issue.code, IssueCode::TooLong);
        assert_eq!(issue.message, "名前(姓)は50文字以内で入力してください。");
    }

    #[test]
    fn prefecture_check() {
        assert!(region("大阪府大阪市北区").starts_with_prefecture());
        assert!(!region("大阪市北区").starts_with_prefecture());
    }
}
