//! 契約者種別 and the consent to the terms: fields with fixed values.

use super::value::text_of;
use super::{Entry, Field, FieldValue, KeptValue, Kind, RawValue};
use crate::messages::Issue;
use serde::Serialize;

/// 契約者種別: who applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractType {
    /// 法人: its corporate name and reading are required.
    Corporation,
    /// 個人事業主: any corporate name sent is dropped unread.
    SoleProprietor,
}

impl ContractType {
    pub const ALL: [ContractType; 2] = [ContractType::Corporation, ContractType::SoleProprietor];

    /// The contract's value of `contractType`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ContractType::Corporation => "corporation",
            ContractType::SoleProprietor => "sole_proprietor",
        }
    }

    /// The label the form shows for this choice.
    pub const fn label(self) -> &'static str {
        match self {
            ContractType::Corporation => "法人",
            ContractType::SoleProprietor => "個人事業主",
        }
    }

    /// The choice a contract value names.
    pub fn from_value(value: &str) -> Option<ContractType> {
        ContractType::ALL.into_iter().find(|choice| choice.as_str() == value)
    }

    pub const fn is_corporation(self) -> bool {
        matches!(self, ContractType::Corporation)
    }
}

impl FieldValue for ContractType {
    const KIND: Kind = Kind::Choice;

    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        ContractType::from_value(text_of(field, raw)?.trim()).ok_or_else(Issue::invalid_contract_type)
    }
}

impl KeptValue for ContractType {
    fn entry(&self) -> Entry<'_> {
        Entry::Text(self.as_str())
    }
}

/// Agreement to 「利用規約」「個人情報の取り扱いについて」: only `true` is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent;

impl FieldValue for Consent {
    const KIND: Kind = Kind::Consent;

    fn parse(_: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        match raw {
            RawValue::Bool(true) => Ok(Consent),
            _ => Err(Issue::must_agree()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_types() {
        for choice in ContractType::ALL {
            assert_eq!(ContractType::from_value(choice.as_str()), Some(choice));
            assert_eq!(serde_json::to_value(choice).unwrap(), choice.as_str());
        }
        let raw = RawValue::text(" corporation ");
        assert_eq!(ContractType::parse(Field::ContractType, &raw), Ok(ContractType::Corporation));
        assert!(ContractType::parse(Field::ContractType, &RawValue::text("individual")).is_err());
    }

    #[test]
    fn only_true_is_consent() {
        assert_eq!(Consent::parse(Field::AgreedToTerms, &RawValue::Bool(true)), Ok(Consent));
        assert!(Consent::parse(Field::AgreedToTerms, &RawValue::Bool(false)).is_err());
    }
}
