//! The field table: every field of the form, declared once. The [`Field`] enum,
//! its keys, labels, kinds and limits, the [`Application`] struct, its parsing,
//! its entries, its storage and the browser's `web/js/fields.js` are all derived
//! from these rows (`table.rs` expands them).
//!
//! A new optional text field is one row here (say `=> department` with type
//! [`Name`] and `presence: Optional`) and its block in `web/index.html`; then
//! `cargo run -p xtask -- web-fields` regenerates the browser's copy.

use super::table::{field_table, member_type, parse_member, push_entry};
use super::*;
use serde::Serialize;

field_table! {
    /// メールアドレス: the contract's channel (利用規約 第3条, 第30条).
    Email {
        key: "email", label: "メールアドレス",
        presence: Required, max_chars: Some(Email::MAX_CHARS), group: None,
    }: Email => email;
    /// メールアドレス(確認): must equal the address; never kept.
    EmailConfirmation {
        key: "emailConfirmation", label: "メールアドレス(確認)",
        presence: Required, max_chars: Some(Email::MAX_CHARS), group: None,
    }: Email;
    /// 契約者種別: 法人 or 個人事業主.
    ContractType {
        key: "contractType", label: "契約者種別",
        presence: Required, max_chars: None, group: None,
    }: ContractType => contract_type;
    /// 契約法人名: a corporation's only.
    CorporateName {
        key: "corporateName", label: "契約法人名",
        presence: Corporate, max_chars: Some(100), group: None,
    }: Name => corporate_name;
    /// 契約法人名(フリガナ): katakana without spaces, as the seed's hint asks.
    CorporateNameKana {
        key: "corporateNameKana", label: "契約法人名(フリガナ)",
        presence: Corporate, max_chars: Some(200), group: None,
    }: Kana => corporate_name_kana;
    /// 名前 姓 (of the applicant, or of the corporation's contact person).
    LastName {
        key: "lastName", label: "名前(姓)",
        presence: Required, max_chars: Some(50), group: Some(Group::Name),
    }: Name => last_name;
    /// 名前 名.
    FirstName {
        key: "firstName", label: "名前(名)",
        presence: Required, max_chars: Some(50), group: Some(Group::Name),
    }: Name => first_name;
    /// フリガナ セイ.
    LastNameKana {
        key: "lastNameKana", label: "フリガナ(セイ)",
        presence: Required, max_chars: Some(100), group: Some(Group::NameKana),
    }: Kana => last_name_kana;
    /// フリガナ メイ.
    FirstNameKana {
        key: "firstNameKana", label: "フリガナ(メイ)",
        presence: Required, max_chars: Some(100), group: Some(Group::NameKana),
    }: Kana => first_name_kana;
    /// 郵便番号, kept as `NNN-NNNN`.
    PostalCode {
        key: "postalCode", label: "郵便番号",
        presence: Required, max_chars: None, group: None,
    }: PostalCode => postal_code;
    /// 住所(都道府県、市区町村).
    AddressRegion {
        key: "addressRegion", label: "住所(都道府県、市区町村)",
        presence: Required, max_chars: Some(60), group: None,
    }: Address => address_region;
    /// 住所(町域、丁目・番地).
    AddressStreet {
        key: "addressStreet", label: "住所(町域、丁目・番地)",
        presence: Required, max_chars: Some(100), group: None,
    }: Address => address_street;
    /// 住所(建物名).
    AddressBuilding {
        key: "addressBuilding", label: "住所(建物名)",
        presence: Optional, max_chars: Some(100), group: None,
    }: Address => address_building;
    /// 電話番号, kept in its conventional hyphenation.
    Phone {
        key: "phone", label: "電話番号",
        presence: Required, max_chars: None, group: None,
    }: Phone => phone;
    /// 適格請求書発行事業者登録番号: `T` + 13 digits.
    InvoiceNumber {
        key: "invoiceNumber", label: "適格請求書発行事業者登録番号",
        presence: Optional, max_chars: None, group: None,
    }: InvoiceNumber => invoice_number;
    /// 従業員数.
    EmployeeCount {
        key: "employeeCount", label: "従業員数",
        presence: Optional, max_chars: None, group: None,
    }: Count => employee_count;
    /// 年間ホスティングサービス紹介数.
    AnnualReferralCount {
        key: "annualReferralCount", label: "年間ホスティングサービス紹介数",
        presence: Optional, max_chars: None, group: None,
    }: Count => annual_referral_count;
    /// 「利用規約」「個人情報の取り扱いについて」への同意: must be `true`; an
    /// application records when (`termsAgreedAt`), not the flag.
    AgreedToTerms {
        key: "agreedToTerms", label: "利用規約と個人情報の取り扱いについて",
        presence: Required, max_chars: None, group: None,
    }: Consent;
}

/// What a field holds; it decides which JSON types a request may use for it and
/// how it is normalised and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    Email,
    /// One of fixed values (契約者種別).
    Choice,
    /// A name: NFKC, trimmed, no markup or emoji.
    Text,
    /// A reading (フリガナ): full-width katakana.
    Kana,
    Postal,
    /// An address line: as [`Kind::Text`], with dashes unified.
    Address,
    Phone,
    Invoice,
    /// A count: a JSON integer or a digit string.
    Count,
    /// A tick box: JSON `true`.
    Consent,
}

impl Kind {
    /// The JSON types a request may send for a field of this kind (`null` always).
    pub const fn accepts(self) -> Accepts {
        match self {
            Kind::Count => Accepts::NumberOrText,
            Kind::Consent => Accepts::Bool,
            _ => Accepts::Text,
        }
    }
}

/// The JSON types a field's value may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    Text,
    NumberOrText,
    Bool,
}

/// When a field must be entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Required for a corporation; ignored and dropped for a sole proprietor.
    Corporate,
}

/// Fields shown as one row of the review, under one label (the seed's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Group {
    Name,
    NameKana,
}

impl Group {
    pub const ALL: [Group; 2] = [Group::Name, Group::NameKana];

    /// The key of the review row (`name`, `nameKana`).
    pub fn key(self) -> &'static str {
        match self {
            Group::Name => "name",
            Group::NameKana => "nameKana",
        }
    }

    /// The seed's label of the row.
    pub fn label(self) -> &'static str {
        match self {
            Group::Name => "名前(法人の場合は担当者)",
            Group::NameKana => "名前(フリガナ)",
        }
    }

    /// Its fields, in the form's order.
    pub fn fields(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |field| field.group() == Some(self))
    }
}

impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

impl Field {
    /// The fields an application keeps, in the form's order: what storage holds.
    pub fn kept() -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(|field| field.is_kept())
    }

    /// True when an application is read back with it: the form's review step,
    /// the verification page, the 控え mail and the console. What only the
    /// request carries is either a consent, which the application records as
    /// its time (`termsAgreedAt`) and reads back as 同意する, or a field that
    /// repeats a kept one (メールアドレス(確認)), which would only say it again.
    pub const fn is_reviewed(self) -> bool {
        self.is_kept() || matches!(self.kind(), Kind::Consent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_round_trip() {
        for field in Field::ALL {
            assert_eq!(Field::from_key(field.key()), Some(field));
            let json = serde_json::to_string(&field).unwrap();
            assert_eq!(json, format!("\"{}\"", field.key()));
        }
        assert_eq!(Field::from_key("website"), None);
        assert_eq!(Field::COUNT, 18);
    }

    #[test]
    fn the_request_only_fields_are_not_kept() {
        let request_only: Vec<Field> = Field::ALL.into_iter().filter(|f| !f.is_kept()).collect();
        assert_eq!(request_only, [Field::EmailConfirmation, Field::AgreedToTerms]);
        assert_eq!(Field::kept().count(), 16);
    }

    #[test]
    fn only_the_repeated_address_is_left_out_of_the_review() {
        let unreviewed: Vec<Field> = Field::ALL.into_iter().filter(|f| !f.is_reviewed()).collect();
        assert_eq!(unreviewed, [Field::EmailConfirmation]);
    }

    #[test]
    fn text_fields_have_limits_and_others_none() {
        for field in Field::ALL {
            let textual = matches!(field.kind(), Kind::Email | Kind::Text | Kind::Kana | Kind::Address);
            assert_eq!(field.max_chars().is_some(), textual, "{}", field.key());
        }
    }

    #[test]
    fn groups_hold_neighbours() {
        assert_eq!(Group::Name.fields().collect::<Vec<_>>(), [Field::LastName, Field::FirstName]);
        assert_eq!(Group::NameKana.fields().collect::<Vec<_>>(), [Field::LastNameKana, Field::FirstNameKana]);
    }
}
