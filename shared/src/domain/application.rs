//! The whole application: raw input in, a valid [`Application`] or every error out.

use super::*;
use crate::messages::{Field, Issue};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// An application as the client sends it. Absent, `null` and `""` all mean
/// "not entered"; unknown keys are rejected while decoding. Text borrows from
/// the request body where JSON escapes allow (the validate hot path).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawApplication<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub email: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub email_confirmation: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub contract_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub corporate_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub corporate_name_kana: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub last_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub first_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub last_name_kana: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub first_name_kana: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub postal_code: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub address_region: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub address_street: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub address_building: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub phone: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub invoice_number: Option<Cow<'a, str>>,
    pub employee_count: Option<RawCount>,
    pub annual_referral_count: Option<RawCount>,
    pub agreed_to_terms: Option<bool>,
    /// Honeypot: hidden from people, filled in by bots. Not part of an application.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub website: Option<Cow<'a, str>>,
}

/// An optional text field, borrowed from the body when it has no escapes.
/// (serde borrows a `Cow<str>` field only when it is not inside an `Option`.)
fn borrowed<'de: 'a, 'a, D>(deserializer: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Text<'a>>::deserialize(deserializer)?.map(|text| text.0))
}

impl RawApplication<'_> {
    /// True when the hidden honeypot field was filled in.
    pub fn is_from_bot(&self) -> bool {
        self.website.as_deref().is_some_and(|w| !w.trim().is_empty())
    }
}

/// Who applies. Corporate name and reading exist only for a corporation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contractor {
    Corporation { name: CorporateName, name_kana: CorporateNameKana },
    SoleProprietor,
}

impl Contractor {
    /// The contract's value of `contractType`.
    pub fn contract_type(&self) -> &'static str {
        match self {
            Contractor::Corporation { .. } => "corporation",
            Contractor::SoleProprietor => "sole_proprietor",
        }
    }

    /// The label the form shows for this choice.
    pub fn label(&self) -> &'static str {
        match self {
            Contractor::Corporation { .. } => "法人",
            Contractor::SoleProprietor => "個人事業主",
        }
    }
}

/// A valid, normalised application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub email: Email,
    pub contractor: Contractor,
    pub last_name: PersonName,
    pub first_name: PersonName,
    pub last_name_kana: PersonNameKana,
    pub first_name_kana: PersonNameKana,
    pub postal_code: PostalCode,
    pub address_region: AddressRegion,
    pub address_street: AddressStreet,
    pub address_building: Option<AddressBuilding>,
    pub phone: Phone,
    pub invoice_number: Option<InvoiceNumber>,
    pub employee_count: Option<Count>,
    pub annual_referral_count: Option<Count>,
}

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

/// Collects field results so that one pass reports every error.
#[derive(Default)]
struct Collector {
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
}

impl Collector {
    fn take<T>(&mut self, result: Result<T, Issue>) -> Option<T> {
        result.map_err(|issue| self.errors.push(issue)).ok()
    }

    /// A required text field: blank input is a `required` error.
    fn required<T>(
        &mut self,
        field: Field,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, Issue>,
    ) -> Option<T> {
        match non_blank(raw) {
            Some(raw) => self.take(parse(raw)),
            None => {
                self.errors.push(Issue::required(field));
                None
            }
        }
    }

    /// An optional text field: blank input is `Some(None)`, an error is `None`.
    fn optional<T>(
        &mut self,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, Issue>,
    ) -> Option<Option<T>> {
        match non_blank(raw) {
            Some(raw) => self.take(parse(raw)).map(Some),
            None => Some(None),
        }
    }

    fn count(&mut self, field: Field, raw: Option<&RawCount>) -> Option<Option<Count>> {
        match raw {
            Some(raw) => self.take(Count::parse(field, raw)),
            None => Some(None),
        }
    }
}

/// Blank means not entered. Forbidden characters are not blank: "\n" must be
/// reported, not silently treated as empty.
fn non_blank(raw: Option<&str>) -> Option<&str> {
    raw.filter(|s| !s.chars().all(|c| c == ' ' || c == '\u{3000}'))
}

impl Application {
    /// Parses a raw application into a valid one, or returns every error at once.
    pub fn parse(raw: &RawApplication<'_>) -> Result<Validated, Invalid> {
        let mut c = Collector::default();

        let email = c.required(Field::Email, raw.email.as_deref(), |s| Email::parse(Field::Email, s));
        let confirmation = c.required(Field::EmailConfirmation, raw.email_confirmation.as_deref(), |s| {
            Email::parse(Field::EmailConfirmation, s)
        });
        if let (Some(email), Some(confirmation)) = (&email, &confirmation)
            && email != confirmation
        {
            c.errors.push(Issue::email_mismatch());
        }

        let contractor = c.required(Field::ContractType, raw.contract_type.as_deref(), |s| {
            match s.trim() {
                "corporation" => Ok(true),
                "sole_proprietor" => Ok(false),
                _ => Err(Issue::invalid_contract_type()),
            }
        });
        let corporate = match contractor {
            Some(true) => {
                let name = c.required(Field::CorporateName, raw.corporate_name.as_deref(), |s| {
                    CorporateName::parse(Field::CorporateName, s)
                });
                let kana = c.required(
                    Field::CorporateNameKana,
                    raw.corporate_name_kana.as_deref(),
                    CorporateNameKana::parse,
                );
                Some((name, kana))
            }
            // A sole proprietor's corporate fields are dropped unread.
            _ => None,
        };

        let last_name = c.required(Field::LastName, raw.last_name.as_deref(), |s| {
            PersonName::parse(Field::LastName, s)
        });
        let first_name = c.required(Field::FirstName, raw.first_name.as_deref(), |s| {
            PersonName::parse(Field::FirstName, s)
        });
        let last_name_kana = c.required(Field::LastNameKana, raw.last_name_kana.as_deref(), |s| {
            PersonNameKana::parse(Field::LastNameKana, s)
        });
        let first_name_kana = c.required(Field::FirstNameKana, raw.first_name_kana.as_deref(), |s| {
            PersonNameKana::parse(Field::FirstNameKana, s)
        });
        let postal_code = c.required(Field::PostalCode, raw.postal_code.as_deref(), PostalCode::parse);
        let address_region = c.required(Field::AddressRegion, raw.address_region.as_deref(), |s| {
            AddressRegion::parse(Field::AddressRegion, s)
        });
        if address_region.as_ref().is_some_and(|r| !r.starts_with_prefecture()) {
            c.warnings.push(Issue::missing_prefecture());
        }
        let address_street = c.required(Field::AddressStreet, raw.address_street.as_deref(), |s| {
            AddressStreet::parse(Field::AddressStreet, s)
        });
        let address_building = c.optional(raw.address_building.as_deref(), |s| {
            AddressBuilding::parse(Field::AddressBuilding, s)
        });
        let phone = c.required(Field::Phone, raw.phone.as_deref(), Phone::parse);

        let invoice_number = c.optional(raw.invoice_number.as_deref(), InvoiceNumber::parse);
        if let Some(Some(number)) = &invoice_number
            && !number.has_valid_check_digit()
        {
            match contractor {
                Some(true) => c.errors.push(Issue::check_digit_error()),
                Some(false) => c.warnings.push(Issue::check_digit_warning()),
                // Without a contract type the rule is unknown; that error is reported already.
                None => {}
            }
        }

        let employee_count = c.count(Field::EmployeeCount, raw.employee_count.as_ref());
        let annual_referral_count =
            c.count(Field::AnnualReferralCount, raw.annual_referral_count.as_ref());

        match raw.agreed_to_terms {
            Some(true) => {}
            Some(false) => c.errors.push(Issue::must_agree()),
            None => c.errors.push(Issue::required(Field::AgreedToTerms)),
        }

        if !c.errors.is_empty() {
            c.errors.sort_by_key(|issue| issue.field);
            return Err(Invalid { errors: c.errors, warnings: c.warnings });
        }
        let contractor = match corporate {
            Some((Some(name), Some(name_kana))) => Contractor::Corporation { name, name_kana },
            None => Contractor::SoleProprietor,
            Some(_) => unreachable!("a missing corporate field is an error"),
        };
        let application = Application {
            email: email.expect("no errors"),
            contractor,
            last_name: last_name.expect("no errors"),
            first_name: first_name.expect("no errors"),
            last_name_kana: last_name_kana.expect("no errors"),
            first_name_kana: first_name_kana.expect("no errors"),
            postal_code: postal_code.expect("no errors"),
            address_region: address_region.expect("no errors"),
            address_street: address_street.expect("no errors"),
            address_building: address_building.expect("no errors"),
            phone: phone.expect("no errors"),
            invoice_number: invoice_number.expect("no errors"),
            employee_count: employee_count.expect("no errors"),
            annual_referral_count: annual_referral_count.expect("no errors"),
        };
        Ok(Validated { application, warnings: c.warnings })
    }

    /// Every entered value with its field, in the form's order, borrowed: for
    /// confirmation screens, mails, storage and JSON. Blank optional fields are
    /// left out, and so is the email confirmation (it equals the email).
    pub fn entries(&self) -> Vec<(Field, Entry<'_>)> {
        use Entry::{Count, Text};
        let mut entries = Vec::with_capacity(Field::ALL.len());
        entries.extend([
            (Field::Email, Text(self.email.as_str())),
            (Field::ContractType, Text(self.contractor.contract_type())),
        ]);
        if let Contractor::Corporation { name, name_kana } = &self.contractor {
            entries.push((Field::CorporateName, Text(name.as_str())));
            entries.push((Field::CorporateNameKana, Text(name_kana.as_str())));
        }
        entries.extend([
            (Field::LastName, Text(self.last_name.as_str())),
            (Field::FirstName, Text(self.first_name.as_str())),
            (Field::LastNameKana, Text(self.last_name_kana.as_str())),
            (Field::FirstNameKana, Text(self.first_name_kana.as_str())),
            (Field::PostalCode, Text(self.postal_code.as_str())),
            (Field::AddressRegion, Text(self.address_region.as_str())),
            (Field::AddressStreet, Text(self.address_street.as_str())),
        ]);
        if let Some(building) = &self.address_building {
            entries.push((Field::AddressBuilding, Text(building.as_str())));
        }
        entries.push((Field::Phone, Text(self.phone.as_str())));
        if let Some(number) = &self.invoice_number {
            entries.push((Field::InvoiceNumber, Text(number.as_str())));
        }
        if let Some(count) = self.employee_count {
            entries.push((Field::EmployeeCount, Count(count.get())));
        }
        if let Some(count) = self.annual_referral_count {
            entries.push((Field::AnnualReferralCount, Count(count.get())));
        }
        entries
    }
}

/// One entered value of an [`Application`]: normalised text, or a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    Text(&'a str),
    Count(u32),
}

impl std::fmt::Display for Entry<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Entry::Text(text) => f.write_str(text),
            Entry::Count(count) => write!(f, "{count}"),
        }
    }
}

impl Serialize for Entry<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::Text(text) => serializer.serialize_str(text),
            Entry::Count(count) => serializer.serialize_u32(*count),
        }
    }
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
        assert_eq!(application.contractor, Contractor::SoleProprietor);
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
    fn honeypot() {
        let mut raw = RawApplication::default();
        assert!(!raw.is_from_bot());
        raw.website = Some("  ".into());
        assert!(!raw.is_from_bot());
        raw.website = Some("http://spam.example".into());
        assert!(raw.is_from_bot());
    }
}
