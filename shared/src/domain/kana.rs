//! Reading (フリガナ) fields: full-width katakana.

use super::value::{text_newtype, text_of};
use super::{Entry, Field, FieldValue, KeptValue, Kind, RawValue};
use crate::messages::Issue;
use crate::normalize;

text_newtype!(
    /// A reading (フリガナ): full-width katakana, no spaces. Hiragana and
    /// half-width kana are turned into it.
    Kana
);

impl FieldValue for Kana {
    const KIND: Kind = Kind::Kana;

    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        let value = super::text::checked(field, text_of(field, raw)?, normalize::hiragana_as_katakana)?;
        if value.contains(' ') {
            return Err(Issue::contains_space(field));
        }
        if !value.chars().all(normalize::is_katakana) {
            return Err(Issue::not_katakana(field));
        }
        Ok(Kana(value))
    }
}

impl KeptValue for Kana {
    fn entry(&self) -> Entry<'_> {
        Entry::Text(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{HINT_CORPORATE_KANA, IssueCode};

    fn corporate(raw: &str) -> Result<Kana, Issue> {
        Kana::parse(Field::CorporateNameKana, &RawValue::text(raw))
    }

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
            assert_eq!(corporate(raw).unwrap().as_str(), want, "{raw}");
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
            assert_eq!(corporate(raw).unwrap_err().code, code, "{raw:?}");
        }
        assert_eq!(corporate("ア イ").unwrap_err().message, HINT_CORPORATE_KANA);
    }

    #[test]
    fn person_reading() {
        assert_eq!(Kana::parse(Field::LastNameKana, &RawValue::text("やまだ")).unwrap().as_str(), "ヤマダ");
        let issue = Kana::parse(Field::FirstNameKana, &RawValue::text("太郎")).unwrap_err();
        assert_eq!(issue.code, IssueCode::NotKatakana);
        assert_eq!(issue.message, "フリガナ(メイ)は全角カタカナで入力してください。");
    }
}
