//! Free-text fields: names and address lines.

use crate::messages::{Field, Issue};
use crate::normalize;
use serde::Serialize;

/// Rejects forbidden characters in the raw input (before trimming could hide a
/// trailing line break), then normalises and checks the length.
pub(crate) fn checked(
    field: Field,
    raw: &str,
    max: usize,
    normalise: fn(&str) -> String,
) -> Result<String, Issue> {
    if raw.chars().any(normalize::is_forbidden_char) {
        return Err(Issue::invalid_characters(field));
    }
    let value = normalise(raw);
    if value.chars().any(normalize::is_unwanted_in_text) {
        return Err(Issue::invalid_characters(field));
    }
    if value.is_empty() {
        return Err(Issue::required(field));
    }
    if normalize::char_len(&value) > max {
        return Err(Issue::too_long(field, max));
    }
    Ok(value)
}

/// Declares a newtype over a normalised, length-limited text.
macro_rules! text_field {
    ($(#[$doc:meta])* $name:ident, max = $max:expr, normalise = $normalise:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Maximum length in characters.
            pub const MAX_CHARS: usize = $max;

            pub fn parse(field: Field, raw: &str) -> Result<Self, Issue> {
                checked(field, raw, Self::MAX_CHARS, $normalise).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

text_field!(
    /// 契約法人名.
    CorporateName, max = 100, normalise = normalize::text
);
text_field!(
    /// 名前 姓 or 名 (of the applicant, or the corporation's contact person).
    PersonName, max = 50, normalise = normalize::text
);
text_field!(
    /// 住所(都道府県、市区町村).
    AddressRegion, max = 60, normalise = normalize::address
);
text_field!(
    /// 住所(町域、丁目・番地).
    AddressStreet, max = 100, normalise = normalize::address
);
text_field!(
    /// 住所(建物名).
    AddressBuilding, max = 100, normalise = normalize::address
);

/// The 47 prefectures, to warn when 住所(都道府県、市区町村) does not start with one.
const PREFECTURES: [&str; 47] = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
];

impl AddressRegion {
    pub fn starts_with_prefecture(&self) -> bool {
        PREFECTURES.iter().any(|p| self.0.starts_with(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::IssueCode;

    #[test]
    fn accepts_and_normalises() {
        let cases = [
            ("エックスサーバー株式会社", "エックスサーバー株式会社"),
            ("ｴｯｸｽｻｰﾊﾞｰ㈱", "エックスサーバー(株)"),
            ("　山田 ", "山田"),
            ("𠮷田", "𠮷田"),
        ];
        for (raw, want) in cases {
            assert_eq!(CorporateName::parse(Field::CorporateName, raw).unwrap().as_str(), want);
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
            assert_eq!(PersonName::parse(Field::LastName, raw).unwrap_err().code, code, "{raw:?}");
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        let fifty_non_bmp = "𠮷".repeat(PersonName::MAX_CHARS);
        assert!(PersonName::parse(Field::LastName, &fifty_non_bmp).is_ok());
        let too_long = "𩸽".repeat(PersonName::MAX_CHARS + 1);
        let issue = PersonName::parse(Field::LastName, &too_long).unwrap_err();
        assert_eq!(issue.code, IssueCode::TooLong);
        assert_eq!(issue.message, "名前(姓)は50文字以内で入力してください。");
    }

    #[test]
    fn prefecture_check() {
        let region = AddressRegion::parse(Field::AddressRegion, "大阪府大阪市北区").unwrap();
        assert!(region.starts_with_prefecture());
        let region = AddressRegion::parse(Field::AddressRegion, "大阪市北区").unwrap();
        assert!(!region.starts_with_prefecture());
    }
}
