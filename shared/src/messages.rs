//! Every issue code and its Japanese message: the one place where the wording
//! of field errors is defined (the labels are the field table's).

use crate::domain::Field;
use serde::Serialize;
use std::borrow::Cow;

/// Stable, machine-readable issue codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueCode {
    Required,
    TooLong,
    InvalidCharacters,
    InvalidFormat,
    Mismatch,
    NotKatakana,
    ContainsSpace,
    InvalidChoice,
    CheckDigit,
    NotInteger,
    OutOfRange,
    MustAgree,
    MissingPrefecture,
    /// A name without a letter or an ideograph (digits, punctuation or blanks only).
    NoLetter,
}

/// One error or warning about one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub field: Field,
    pub code: IssueCode,
    pub message: Cow<'static, str>,
}

/// The seed's hint under 契約法人名(フリガナ).
pub const HINT_CORPORATE_KANA: &str = "カタカナでスペースを空けずに入力してください。";

impl Issue {
    fn new(field: Field, code: IssueCode, message: impl Into<Cow<'static, str>>) -> Self {
        Issue { field, code, message: message.into() }
    }

    pub fn required(field: Field) -> Self {
        let message: Cow<'static, str> = match field {
            Field::ContractType => "契約者種別を選択してください。".into(),
            Field::AgreedToTerms => "「利用規約」「個人情報の取り扱いについて」に同意してください。".into(),
            Field::CorporateName | Field::CorporateNameKana => {
                format!("法人の場合は{}を入力してください。", field.label()).into()
            }
            _ => format!("{}を入力してください。", field.label()).into(),
        };
        Issue::new(field, IssueCode::Required, message)
    }

    pub fn too_long(field: Field, max: usize) -> Self {
        let message = format!("{}は{max}文字以内で入力してください。", field.label());
        Issue::new(field, IssueCode::TooLong, message)
    }

    pub fn invalid_characters(field: Field) -> Self {
        let message = format!(
            "{}に使用できない文字(改行・制御文字・見えない文字・絵文字・< >)が含まれています。",
            field.label()
        );
        Issue::new(field, IssueCode::InvalidCharacters, message)
    }

    pub fn no_letter(field: Field) -> Self {
        let message = format!("{}は文字(漢字・かな・英字など)を含めて入力してください。", field.label());
        Issue::new(field, IssueCode::NoLetter, message)
    }

    pub fn invalid_format(field: Field) -> Self {
        let message: Cow<'static, str> = match field {
            Field::Email | Field::EmailConfirmation => {
                "メールアドレスの形式が正しくありません。".into()
            }
            Field::PostalCode => "郵便番号は7桁の数字で入力してください(例:530-0011)。".into(),
            Field::Phone => {
                "電話番号の形式が正しくありません。市外局番から入力してください(例:06-6292-8811)。"
                    .into()
            }
            Field::InvoiceNumber => "適格請求書発行事業者登録番号は半角ローマ字(大文字)のT + 半角数字13桁でスペースを空けずに入力してください。".into(),
            _ => format!("{}の形式が正しくありません。", field.label()).into(),
        };
        Issue::new(field, IssueCode::InvalidFormat, message)
    }

    pub fn email_mismatch() -> Self {
        Issue::new(
            Field::EmailConfirmation,
            IssueCode::Mismatch,
            "メールアドレスとメールアドレス(確認)が一致しません。",
        )
    }

    pub fn not_katakana(field: Field) -> Self {
        let message: Cow<'static, str> = match field {
            Field::CorporateNameKana => HINT_CORPORATE_KANA.into(),
            _ => format!("{}は全角カタカナで入力してください。", field.label()).into(),
        };
        Issue::new(field, IssueCode::NotKatakana, message)
    }

    pub fn contains_space(field: Field) -> Self {
        Issue::new(field, IssueCode::ContainsSpace, HINT_CORPORATE_KANA)
    }

    pub fn invalid_contract_type() -> Self {
        Issue::new(
            Field::ContractType,
            IssueCode::InvalidChoice,
            "契約者種別は「法人」または「個人事業主」から選択してください。",
        )
    }

    /// A corporation's registration number is its corporate number, so a wrong
    /// check digit is certainly a typo.
    pub fn check_digit_error() -> Self {
        Issue::new(
            Field::InvoiceNumber,
            IssueCode::CheckDigit,
            "適格請求書発行事業者登録番号が正しくありません。番号をご確認ください。",
        )
    }

    /// A sole proprietor's 13 digits are not a corporate number and carry no
    /// check digit, so a mismatch is only worth a second look.
    pub fn check_digit_warning() -> Self {
        Issue::new(
            Field::InvoiceNumber,
            IssueCode::CheckDigit,
            "適格請求書発行事業者登録番号をご確認ください。法人番号の形式と一致しません。",
        )
    }

    pub fn not_integer(field: Field) -> Self {
        let message = format!("{}は0以上の整数(半角数字)で入力してください。", field.label());
        Issue::new(field, IssueCode::NotInteger, message)
    }

    pub fn out_of_range(field: Field, max: u64) -> Self {
        let message = format!("{}は{}以下で入力してください。", field.label(), group_thousands(max));
        Issue::new(field, IssueCode::OutOfRange, message)
    }

    pub fn must_agree() -> Self {
        Issue::new(
            Field::AgreedToTerms,
            IssueCode::MustAgree,
            "お申し込みには「利用規約」「個人情報の取り扱いについて」への同意が必要です。",
        )
    }

    pub fn missing_prefecture() -> Self {
        Issue::new(
            Field::AddressRegion,
            IssueCode::MissingPrefecture,
            "都道府県から入力してください(例:大阪府大阪市北区)。",
        )
    }
}

/// 10000000 → "10,000,000".
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corporate_kana_messages_reuse_the_seed_hint() {
        assert_eq!(Issue::contains_space(Field::CorporateNameKana).message, HINT_CORPORATE_KANA);
        assert_eq!(Issue::not_katakana(Field::CorporateNameKana).message, HINT_CORPORATE_KANA);
    }

    #[test]
    fn thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(10_000_000), "10,000,000");
    }
}
