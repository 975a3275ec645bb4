//! The whole application: raw input in, a valid [`Application`] or every error
//! out. The members and their parsing come from the field table (`fields.rs`);
//! what is written here are the rules across fields.

use super::*;
use crate::messages::Issue;
use serde::Serialize;

/// A valid application and the warnings that do not block it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    pub application: Application,
    pub warnings: Vec<Issue>,
}

/// Every error found, and the warnings, in the form's field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
}

/// Who applies, as a view of an [`Application`]: a corporation has its name and reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contractor<'a> {
    Corporation { name: &'a Name, name_kana: &'a Kana },
    SoleProprietor,
}

/// Collects field results so that one pass reports every error.
#[derive(Default)]
pub(super) struct Collector {
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
    /// Whether the corporate fields are required (known once 契約者種別 parses).
    corporation: Option<bool>,
}

impl Collector {
    fn take<T>(&mut self, result: Result<T, Issue>) -> Option<T> {
        result.map_err(|issue| self.errors.push(issue)).ok()
    }

    /// A required field: not entered is a `required` error.
    pub(super) fn required<T: FieldValue>(&mut self, field: Field, raw: &RawApplication<'_>) -> Option<T> {
        match raw.entered(field) {
            Some(value) => self.take(T::parse(field, value)),
            None => {
                self.errors.push(Issue::required(field));
                None
            }
        }
    }

    /// An optional field: not entered is `Some(None)`, an error is `None`.
    pub(super) fn optional<T: FieldValue>(
        &mut self,
        field: Field,
        raw: &RawApplication<'_>,
    ) -> Option<Option<T>> {
        match raw.entered(field) {
            Some(value) => self.take(T::parse(field, value)).map(Some),
            None => Some(None),
        }
    }

    /// A corporation's field: required for a corporation, dropped unread otherwise.
    pub(super) fn corporate<T: FieldValue>(
        &mut self,
        field: Field,
        raw: &RawApplication<'_>,
    ) -> Option<Option<T>> {
        match self.corporation {
            Some(true) => self.required(field, raw).map(Some),
            _ => Some(None),
        }
    }

    /// The warnings and errors that involve two fields: a region without its
    /// prefecture, and a T-number's check digit, whose weight depends on 契約者種別.
    fn across_fields(&mut self, region: Option<&Address>, invoice: Option<&InvoiceNumber>) {
        if region.is_some_and(|region| !region.starts_with_prefecture()) {
            self.warnings.push(Issue::missing_prefecture());
        }
        if let Some(number) = invoice
            && !number.has_valid_check_digit()
        {
            match self.corporation {
                Some(true) => self.errors.push(Issue::check_digit_error()),
                Some(false) => self.warnings.push(Issue::check_digit_warning()),
                // Without a contract type the rule is unknown; that error is reported already.
                None => {}
            }
        }
    }

    /// Reads 契約者種別 ahead of the fields that depend on it (its own errors
    /// are reported in its turn).
    fn for_contract_type_of(raw: &RawApplication<'_>) -> Self {
        let corporation = raw
            .entered(Field::ContractType)
            .and_then(|value| ContractType::parse(Field::ContractType, value).ok())
            .map(ContractType::is_corporation);
        Collector { corporation, ..Collector::default() }
    }
}

impl Application {
    /// Parses a raw application into a valid one, or returns every error at once.
    pub fn parse(raw: &RawApplication<'_>) -> Result<Validated, Invalid> {
        let mut c = Collector::for_contract_type_of(raw);
        let application = Application::parse_members(raw, &mut c);

        // What only the request carries. Typed the same as a valid address, the
        // confirmation is that address: its parse would only repeat the address's.
        let retyped =
            application.is_some() && raw.entered(Field::EmailConfirmation) == raw.entered(Field::Email);
        if !retyped {
            let confirmation: Option<Email> = c.required(Field::EmailConfirmation, raw);
            if let (Some(application), Some(confirmation)) = (&application, &confirmation)
                && application.email != *confirmation
            {
                c.errors.push(Issue::email_mismatch());
            }
        }
        c.required::<Consent>(Field::AgreedToTerms, raw);

        // Rules across fields. An application with errors elsewhere still gets
        // them (the form shows them beside each field), from its fields parsed again.
        match &application {
            Some(app) => c.across_fields(Some(&app.address_region), app.invoice_number.as_ref()),
            None => {
                let region = reparsed::<Address>(raw, Field::AddressRegion);
                let invoice = reparsed::<InvoiceNumber>(raw, Field::InvoiceNumber);
                c.across_fields(region.as_ref(), invoice.as_ref());
            }
        }

        match application {
            Some(application) if c.errors.is_empty() => Ok(Validated { application, warnings: c.warnings }),
            _ => {
                c.errors.sort_by_key(|issue| issue.field);
                c.warnings.sort_by_key(|issue| issue.field);
                Err(Invalid { errors: c.errors, warnings: c.warnings })
            }
        }
    }

    /// Rebuilds a stored application from its stored values (by field, as
    /// text: numbers as their digits), with the same field parsers as a request.
    /// Returns the fields that no longer parse; never their values.
    pub fn from_stored<'a>(
        stored: impl Fn(Field) -> Option<std::borrow::Cow<'a, str>>,
    ) -> Result<Application, Vec<Field>> {
        let mut raw = RawApplication::default();
        for field in Field::kept() {
            raw.set(field, stored(field).map(RawValue::Text));
        }
        let mut c = Collector::for_contract_type_of(&raw);
        match Application::parse_members(&raw, &mut c) {
            Some(application) if c.errors.is_empty() => Ok(application),
            _ => Err(c.errors.into_iter().map(|issue| issue.field).collect()),
        }
    }

    /// Who applies: a corporation with its name, or a sole proprietor.
    pub fn contractor(&self) -> Contractor<'_> {
        match (self.contract_type, &self.corporate_name, &self.corporate_name_kana) {
            (ContractType::Corporation, Some(name), Some(name_kana)) => {
                Contractor::Corporation { name, name_kana }
            }
            _ => Contractor::SoleProprietor,
        }
    }

    /// The name the list and the reviewer's check show ([`display_name`]).
    pub fn display_name(&self) -> String {
        display_name(
            self.corporate_name.as_ref().map(Name::as_str),
            self.last_name.as_str(),
            self.first_name.as_str(),
        )
    }
}

/// The corporate name for a corporation, else 姓 名. Only a corporation has
/// a corporate name (a sole proprietor's is dropped when parsed), so its
/// presence decides: the rule also serves where only these three are read
/// (DynamoDB's related indexes project them, not the contract type).
pub fn display_name(corporate_name: Option<&str>, last_name: &str, first_name: &str) -> String {
    match corporate_name {
        Some(name) => name.to_owned(),
        None => format!("{last_name} {first_name}"),
    }
}

/// One field parsed on its own, its issue dropped (it was reported already).
fn reparsed<T: FieldValue>(raw: &RawApplication<'_>, field: Field) -> Option<T> {
    raw.entered(field).and_then(|value| T::parse(field, value).ok())
}

/// The normalised application as JSON, with the contract's keys. Counts stay
/// numbers and `agreedToTerms` is `true`: the shape a client sent, cleaned.
impl Serialize for Application {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let entries = self.entries();
        let mut map = serializer.serialize_map(Some(entries.len() + 1))?;
        for (field, value) in &entries {
            map.serialize_entry(field.key(), value)?;
        }
        map.serialize_entry(Field::AgreedToTerms.key(), &true)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::IssueCode;
    use serde::Deserialize;
    use serde_json::json;

    /// The seed's examples as one corporate application, with a valid T-number.
    pub(crate) fn seed_corporation() -> serde_json::Value {
        test_support::seed_application()
    }

    fn parse(value: serde_json::Value) -> Result<Validated, Invalid> {
        Application::parse(&RawApplication::deserialize(&value).expect("decodes"))
    }

    fn error_codes(value: serde_json::Value) -> Vec<(Field, IssueCode)> {
        parse(value).unwrap_err().errors.iter().map(|i| (i.field, i.code)).collect()
    }

    #[test]
    fn the_seed_examples_validate() {
        let validated = parse(seed_corporation()).unwrap();
        assert!(validated.warnings.is_empty());
        let json = serde_json::to_value(&validated.application).unwrap();
        let mut want = seed_corporation();
        want.as_object_mut().unwrap().remove("emailConfirmation");
        assert_eq!(json, want);
    }

    #[test]
    fn an_empty_application_lists_every_required_field() {
        let fields: Vec<Field> = error_codes(json!({})).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                Field::Email,
                Field::EmailConfirmation,
                Field::ContractType,
                Field::LastName,
                Field::FirstName,
                Field::LastNameKana,
                Field::FirstNameKana,
                Field::PostalCode,
                Field::AddressRegion,
                Field::AddressStreet,
                Field::Phone,
                Field::AgreedToTerms,
            ]
        );
    }

    #[test]
    fn null_and_empty_mean_not_entered() {
        let mut value = seed_corporation();
        value["addressBuilding"] = json!(null);
        value["invoiceNumber"] = json!("");
        value["employeeCount"] = json!("");
        value["annualReferralCount"] = json!(null);
        let application = parse(value).unwrap().application;
        assert_eq!(application.address_building, None);
        assert_eq!(application.invoice_number, None);
        assert_eq!(application.employee_count, None);
        assert_eq!(application.annual_referral_count, None);
    }

    #[test]
    fn a_sole_proprietor_needs_no_corporate_name_and_loses_it() {
        let mut value = seed_corporation();
        value["contractType"] = json!("sole_proprietor");
        value.as_object_mut().unwrap().remove("corporateName");
        value["corporateNameKana"] = json!("not katakana, ignored");
        let application = parse(value).unwrap().application;
        assert_eq!(application.contractor(), Contractor::SoleProprietor);
        assert_eq!(application.corporate_name, None);
        let json = serde_json::to_value(&application).unwrap();
        assert!(json.get("corporateName").is_none() && json.get("corporateNameKana").is_none());
    }

    #[test]
    fn a_corporation_needs_its_name() {
        let mut value = seed_corporation();
        value.as_object_mut().unwrap().remove("corporateName");
        value["corporateNameKana"] = json!("");
        assert_eq!(
            error_codes(value),
            [(Field::CorporateName, IssueCode::Required), (Field::CorporateNameKana, IssueCode::Required)]
        );
    }

    #[test]
    fn check_digit_is_an_error_for_corporations_and_a_warning_for_sole_proprietors() {
        let mut value = seed_corporation();
        value["invoiceNumber"] = json!("T1234567890123");
        assert_eq!(error_codes(value.clone()), [(Field::InvoiceNumber, IssueCode::CheckDigit)]);

        value["contractType"] = json!("sole_proprietor");
        let validated = parse(value).unwrap();
        assert_eq!(validated.warnings.len(), 1);
        assert_eq!(validated.warnings[0].code, IssueCode::CheckDigit);
        assert_eq!(validated.application.invoice_number.unwrap().as_str(), "T1234567890123");
    }

    #[test]
    fn email_confirmation_must_match_after_normalisation() {
        let mut value = seed_corporation();
        value["emailConfirmation"] = json!("ＳＡＭＰＬＥ＠EXAMPLE.COM");
        // The local part keeps its case, so this differs from sample@…
        assert_eq!(error_codes(value.clone()), [(Field::EmailConfirmation, IssueCode::Mismatch)]);
        value["emailConfirmation"] = json!(" ｓａｍｐｌｅ＠EXAMPLE.COM ");
        assert!(parse(value).is_ok());
    }

    #[test]
    fn terms_must_be_agreed() {
        let mut value = seed_corporation();
        value["agreedToTerms"] = json!(false);
        assert_eq!(error_codes(value), [(Field::AgreedToTerms, IssueCode::MustAgree)]);
    }

    #[test]
    fn region_without_prefecture_is_a_warning() {
        let mut value = seed_corporation();
        value["addressRegion"] = json!("大阪市北区");
        let validated = parse(value).unwrap();
        assert_eq!(validated.warnings[0].code, IssueCode::MissingPrefecture);
    }

    #[test]
    fn unknown_contract_type() {
        let mut value = seed_corporation();
        value["contractType"] = json!("individual");
        assert_eq!(error_codes(value), [(Field::ContractType, IssueCode::InvalidChoice)]);
    }

    #[test]
    fn normalises_every_field() {
        let value = json!({
            "email": " Sample@EXAMPLE.com", "emailConfirmation": "Sample@example.COM",
            "contractType": "corporation",
            "corporateName": "ｴｯｸｽｻｰﾊﾞｰ株式会社", "corporateNameKana": "えっくすさーばーかぶしきがいしゃ",
            "lastName": "　𠮷田 ", "firstName": "太郎",
            "lastNameKana": "ﾖｼﾀﾞ", "firstNameKana": "たろう",
            "postalCode": "５３０ー００１１", "addressRegion": "大阪府大阪市北区",
            "addressStreet": "大深町４−２０", "addressBuilding": "タワーＡ　３２Ｆ",
            "phone": "０６（６２９２）８８１１", "invoiceNumber": "ｔ７００００１２０５０００２",
            "employeeCount": "１，２００", "annualReferralCount": "10",
            "agreedToTerms": true
        });
        let json = serde_json::to_value(parse(value).unwrap().application).unwrap();
        assert_eq!(
            json,
            json!({
                "email": "Sample@example.com", "contractType": "corporation",
                "corporateName": "エックスサーバー株式会社", "corporateNameKana": "エックスサーバーカブシキガイシャ",
                "lastName": "𠮷田", "firstName": "太郎", "lastNameKana": "ヨシダ", "firstNameKana": "タロウ",
                "postalCode": "530-0011", "addressRegion": "大阪府大阪市北区",
                "addressStreet": "大深町4-20", "addressBuilding": "タワーA 32F",
                "phone": "06-6292-8811", "invoiceNumber": "T7000012050002",
                "employeeCount": 1200, "annualReferralCount": 10, "agreedToTerms": true
            })
        );
    }

    #[test]
    fn stored_values_parse_back_to_the_same_application() {
        for contract_type in ["corporation", "sole_proprietor"] {
            let mut value = seed_corporation();
            value["contractType"] = json!(contract_type);
            let application = parse(value).unwrap().application;
            let entries = application.entries();
            let stored = |field: Field| {
                entries.iter().find(|(f, _)| *f == field).map(|(_, entry)| entry.to_string().into())
            };
            assert_eq!(Application::from_stored(stored), Ok(application.clone()), "{contract_type}");
        }
        let broken = Application::from_stored(|field| match field {
            Field::Phone => Some("secret".into()),
            Field::Email => None,
            _ => Some("x".into()),
        });
        assert!(broken.unwrap_err().contains(&Field::Phone));
    }

    #[test]
    fn honeypot() {
        let mut raw = RawApplication::default();
        assert!(!raw.is_from_bot());
        raw.website = Some("  ".into());
        assert!(!raw.is_from_bot());
        raw.website = Some("http://spam.example".into());
        assert!(raw.is_from_bot());
    }
}
