//! Reading (フリガナ) fields: full-width katakana.

use crate::messages::{Field, Issue};
use crate::normalize;
use serde::Serialize;

fn parse_reading(field: Field, raw: &str, max: usize) -> Result<String, Issue> {
    let value = super::text::checked(field, raw, max, normalize::reading)?;
    if value.contains(' ') {
        return Err(Issue::contains_space(field));
    }
    if !value.chars().all(normalize::is_katakana) {
        return Err(Issue::not_katakana(field));
    }
    Ok(value)
}

/// 契約法人名(フリガナ): katakana without spaces, as the seed's hint asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CorporateNameKana(String);

impl CorporateNameKana {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, Issue> {
        parse_reading(Field::CorporateNameKana, raw, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// セイ or メイ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PersonNameKana(String);

impl PersonNameKana {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(field: Field, raw: &str) -> Result<Self, Issue> {
        parse_reading(field, raw, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{HINT_CORPORATE_KANA, IssueCode};

    #[test]
    fn accepted_readings() {
        let cases = [
            ("エックスサーバーカブシキガイシャ", "エックスサーバーカブシキガイシャ"),
            ("えっくすさーばー", "エックスサーバー"),
            ("ｴｯｸｽｻｰﾊﾞｰ", "エックスサーバー"),
            ("ヴァイオリン", "ヴァイオリン"),
            ("ヶヵァィゥェォッャュョヮ", "ヶヵァィゥェォッャュョヮ"),
            ("エイチ・アイ", "エイチ・アイ"),
            (" ヤマダ ", "ヤマダ"),
        ];
        for (raw, want) in cases {
            assert_eq!(CorporateNameKana::parse(raw).unwrap().as_str(), want, "{raw}");
        }
    }

    #[test]
    fn rejected_readings() {
        let cases = [
            ("エックス サーバー", IssueCode::ContainsSpace),
            ("エックス　サーバー", IssueCode::ContainsSpace),
            ("エックスサーバー株式会社", IssueCode::NotKatakana),
            ("XSERVER", IssueCode::NotKatakana),
            ("ヤマダ1", IssueCode::NotKatakana),
            ("", IssueCode::Required),
            ("ヤマダ\t", IssueCode::InvalidCharacters),
        ];
        for (raw, code) in cases {
            assert_eq!(CorporateNameKana::parse(raw).unwrap_err().code, code, "{raw:?}");
        }
        assert_eq!(CorporateNameKana::parse("ア イ").unwrap_err().message, HINT_CORPORATE_KANA);
    }

    #[test]
    fn person_reading() {
        assert_eq!(PersonNameKana::parse(Field::LastNameKana, "やまだ").unwrap().as_str(), "ヤマダ");
        let issue = PersonNameKana::parse(Field::FirstNameKana, "太郎").unwrap_err();
        assert_eq!(issue.code, IssueCode::NotKatakana);
        assert_eq!(issue.message, "フリガナ(メイ)は全角カタカナで入力してください。");
    }
}
