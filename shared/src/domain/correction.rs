//! A correction (訂正, privacy notice (8)): an operator changes fields of a
//! verified application. The new values pass the application's own rules: they
//! are set onto the stored application's values and the whole is parsed again
//! by [`Application::parse`], so a correction can never store what the form
//! would refuse. Only the keys that changed are recorded; the values stay in
//! the application (and go with it on erasure).

use super::{Application, Entry, Field, Invalid, RawApplication, RawValue, Validated};
use serde::Serialize;
use std::borrow::Cow;

/// Why a correction was made: a code, never free text (it stays in the history).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionReason {
    /// The applicant asked (privacy notice (8)).
    ApplicantRequest,
    /// An operator found a mistake (a typo on a call, a misread address).
    OperatorFix,
}

impl CorrectionReason {
    pub const ALL: [CorrectionReason; 2] =
        [CorrectionReason::ApplicantRequest, CorrectionReason::OperatorFix];

    /// The stored and contract value.
    pub const fn as_str(self) -> &'static str {
        match self {
            CorrectionReason::ApplicantRequest => "applicant_request",
            CorrectionReason::OperatorFix => "operator_fix",
        }
    }

    /// The console's label.
    pub const fn label(self) -> &'static str {
        match self {
            CorrectionReason::ApplicantRequest => "ご本人からの訂正依頼",
            CorrectionReason::OperatorFix => "担当者による誤りの修正",
        }
    }

    pub fn parse(text: &str) -> Option<CorrectionReason> {
        CorrectionReason::ALL.into_iter().find(|reason| reason.as_str() == text)
    }
}

/// Whether a correction may change `field`. The address is the contract's
/// channel and the key of its reservation (a new address is a new
/// application), and the contract type decides which fields exist; what only
/// the request carries (the confirmation, the consent) is not kept at all.
pub const fn is_correctable(field: Field) -> bool {
    field.is_kept() && !matches!(field, Field::Email | Field::ContractType)
}

/// Why a correction's `changes` cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangesError {
    /// Not an object, or empty.
    NotAnObject,
    Empty,
    /// A key that is no field of the form (its text, if short and ASCII).
    UnknownKey(Option<String>),
    /// A field no correction may change.
    NotCorrectable(Field),
    /// A value of a type its field does not take (a number for a name).
    WrongType,
}

/// The fields a correction sets, each with its new raw value (`None`: cleared),
/// in the form's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes(Vec<(Field, Option<RawValue<'static>>)>);

impl Changes {
    /// Reads the request's `changes` object: keys of the field table only,
    /// each correctable, each value of a JSON type its kind takes.
    pub fn decode(value: &serde_json::Value) -> Result<Changes, ChangesError> {
        let object = value.as_object().ok_or(ChangesError::NotAnObject)?;
        if object.is_empty() {
            return Err(ChangesError::Empty);
        }
        let mut fields = Vec::with_capacity(object.len());
        for key in object.keys() {
            let field = Field::from_key(key).ok_or_else(|| {
                let shown = (key.len() <= 40 && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                    .then(|| key.clone());
                ChangesError::UnknownKey(shown)
            })?;
            if !is_correctable(field) {
                return Err(ChangesError::NotCorrectable(field));
            }
            fields.push(field);
        }
        let raw = <RawApplication<'_> as serde::Deserialize>::deserialize(value)
            .map_err(|_| ChangesError::WrongType)?;
        fields.sort_unstable();
        Ok(Changes(fields.into_iter().map(|field| (field, raw.get(field).map(owned))).collect()))
    }

    /// The fields named, in the form's order.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.0.iter().map(|(field, _)| *field)
    }

    /// A stable text of what was asked (for the request's hash).
    pub fn digest_text(&self) -> String {
        let mut text = String::new();
        for (field, value) in &self.0 {
            let value = match value {
                None => "-".to_owned(),
                Some(RawValue::Text(text)) => format!("t{text}"),
                Some(RawValue::Integer(n)) => format!("i{n}"),
                Some(RawValue::OtherNumber) => "n".to_owned(),
                Some(RawValue::Bool(b)) => format!("b{b}"),
            };
            text.push_str(field.key());
            text.push('=');
            text.push_str(&value);
            text.push('\n');
        }
        text
    }

    /// The application with these changes, parsed again whole by the form's
    /// rules, and the fields whose normalised value really changed (form
    /// order); or every error, as validation answers them.
    pub fn apply(&self, current: &Application) -> Result<(Validated, Vec<Field>), Invalid> {
        let mut raw = RawApplication::default();
        for (field, entry) in current.entries() {
            raw.set(field, Some(raw_of(entry)));
        }
        raw.set(Field::EmailConfirmation, Some(RawValue::Text(Cow::Borrowed(current.email.as_str()))));
        raw.set(Field::AgreedToTerms, Some(RawValue::Bool(true)));
        for (field, value) in &self.0 {
            raw.set(*field, value.clone());
        }
        let validated = Application::parse(&raw)?;
        let changed = changed_fields(current, &validated.application);
        Ok((validated, changed))
    }
}

/// The kept fields whose values differ between two applications, in the form's order.
pub fn changed_fields(before: &Application, after: &Application) -> Vec<Field> {
    let (before, after) = (before.entries(), after.entries());
    let of = |entries: &[(Field, Entry<'_>)], field| {
        entries.iter().find(|(f, _)| *f == field).map(|(_, entry)| entry.to_string())
    };
    Field::kept().filter(|field| of(&before, *field) != of(&after, *field)).collect()
}

fn raw_of(entry: Entry<'_>) -> RawValue<'_> {
    match entry {
        Entry::Text(text) => RawValue::Text(Cow::Borrowed(text)),
        Entry::Count(count) => RawValue::Integer(u64::from(count)),
    }
}

fn owned(value: &RawValue<'_>) -> RawValue<'static> {
    match value {
        RawValue::Text(text) => RawValue::Text(Cow::Owned(text.clone().into_owned())),
        RawValue::Integer(n) => RawValue::Integer(*n),
        RawValue::OtherNumber => RawValue::OtherNumber,
        RawValue::Bool(b) => RawValue::Bool(*b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn current() -> Application {
        let value = test_support::seed_application();
        let raw = <RawApplication<'_> as serde::Deserialize>::deserialize(&value).unwrap();
        Application::parse(&raw).unwrap().application
    }

    #[test]
    fn codes_round_trip() {
        for reason in CorrectionReason::ALL {
            assert_eq!(CorrectionReason::parse(reason.as_str()), Some(reason));
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
        assert_eq!(CorrectionReason::parse("duplicate"), None);
    }

    #[test]
    fn the_address_the_contract_type_and_what_is_not_kept_cannot_be_corrected() {
        let refused: Vec<Field> = Field::ALL.into_iter().filter(|f| !is_correctable(*f)).collect();
        assert_eq!(
            refused,
            [Field::Email, Field::EmailConfirmation, Field::ContractType, Field::AgreedToTerms]
        );
        for field in [Field::Email, Field::EmailConfirmation, Field::ContractType] {
            let changes = json!({ field.key(): "x" });
            assert_eq!(Changes::decode(&changes), Err(ChangesError::NotCorrectable(field)));
        }
    }

    #[test]
    fn unknown_keys_types_and_empty_changes_are_refused() {
        assert_eq!(Changes::decode(&json!({})), Err(ChangesError::Empty));
        assert_eq!(Changes::decode(&json!([])), Err(ChangesError::NotAnObject));
        assert_eq!(
            Changes::decode(&json!({ "website": "x" })),
            Err(ChangesError::UnknownKey(Some("website".into())))
        );
        assert_eq!(Changes::decode(&json!({ "住所": "x" })), Err(ChangesError::UnknownKey(None)));
        assert_eq!(Changes::decode(&json!({ "addressStreet": 12 })), Err(ChangesError::WrongType));
    }

    #[test]
    fn only_what_really_changed_is_listed() {
        let current = current();
        let changes = Changes::decode(&json!({
            "addressStreet": "梅田1-1-1",
            // The same value, typed differently: no change after normalisation.
            "phone": current.phone.as_str().replace('-', ""),
        }))
        .unwrap();
        let (validated, changed) = changes.apply(&current).unwrap();
        assert_eq!(changed, [Field::AddressStreet]);
        assert_eq!(validated.application.address_street.as_str(), "梅田1-1-1");
        assert_eq!(validated.application.email, current.email);
    }

    #[test]
    fn a_value_the_form_refuses_is_refused_with_its_field_error() {
        let current = current();
        let changes = Changes::decode(&json!({ "phone": "12", "addressStreet": null })).unwrap();
        let invalid = changes.apply(&current).unwrap_err();
        let fields: Vec<Field> = invalid.errors.iter().map(|issue| issue.field).collect();
        assert_eq!(fields, [Field::AddressStreet, Field::Phone]);
        // An optional field may be cleared.
        let cleared = Changes::decode(&json!({ "addressBuilding": null })).unwrap();
        let (validated, changed) = cleared.apply(&current).unwrap();
        assert_eq!(validated.application.address_building, None);
        assert_eq!(changed, [Field::AddressBuilding]);
    }
}
