//! Free-text fields: names and address lines.

use super::value::{text_newtype, text_of};
use super::{Entry, Field, FieldValue, KeptValue, Kind, RawValue};
use crate::messages::Issue;
use crate::normalize;

/// Rejects forbidden characters in the raw input (before trimming could hide a
/// trailing line break), normalises it ([`normalize::text`], then `refine`), and
/// checks it in one more pass: no markup or emoji, not empty, and within the
/// length the table gives.
pub(crate) fn checked(field: Field, raw: &str, refine: fn(String) -> String) -> Result<String, Issue> {
    let value = normalize::text_refusing_forbidden(raw)
        .map(refine)
        .ok_or_else(|| Issue::invalid_characters(field))?;
    let mut chars = 0;
    for c in value.chars() {
        if normalize::is_unwanted_in_text(c) {
            return Err(Issue::invalid_characters(field));
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

    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        checked(field, text_of(field, raw)?, std::convert::identity).map(Name)
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
