//! An application as the client sends it, decoded by the field table: any key
//! of [`Field`] (and the honeypot), each value of the JSON types its kind
//! accepts. Absent, `null` and `""` all mean "not entered"; unknown and repeated
//! keys are rejected while decoding.

use super::{Accepts, Field, RawValue};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The honeypot's key: hidden from people, filled in by bots.
pub const HONEYPOT_KEY: &str = "website";

/// The raw values of an application, one slot per field of the table. Text
/// borrows from the request body where JSON escapes allow (the validate hot path).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawApplication<'a> {
    values: [Option<RawValue<'a>>; Field::COUNT],
    /// Honeypot: not part of an application.
    pub website: Option<Cow<'a, str>>,
}

impl<'a> RawApplication<'a> {
    /// What the client sent for `field`, if anything (`null` is nothing).
    pub fn get(&self, field: Field) -> Option<&RawValue<'a>> {
        self.values[field as usize].as_ref()
    }

    /// What was entered for `field`: nothing for absent, `null` and blank text.
    pub fn entered(&self, field: Field) -> Option<&RawValue<'a>> {
        self.get(field).filter(|value| !value.is_blank())
    }

    /// Sets (or clears) what the client sent for `field`.
    pub fn set(&mut self, field: Field, value: Option<RawValue<'a>>) {
        self.values[field as usize] = value;
    }

    /// True when the hidden honeypot field was filled in.
    pub fn is_from_bot(&self) -> bool {
        self.website.as_deref().is_some_and(|w| !w.trim().is_empty())
    }
}

impl<'de> serde::Deserialize<'de> for RawApplication<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ApplicationVisitor)
    }
}

struct ApplicationVisitor;

impl<'de> Visitor<'de> for ApplicationVisitor {
    type Value = RawApplication<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an application object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut raw = RawApplication::default();
        let mut seen = [false; Field::COUNT];
        let mut seen_honeypot = false;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Field(field) => {
                    if std::mem::replace(&mut seen[field as usize], true) {
                        return Err(de::Error::duplicate_field(field.key()));
                    }
                    raw.values[field as usize] = map.next_value_seed(ValueSeed(field.kind().accepts()))?;
                }
                Key::Honeypot => {
                    if std::mem::replace(&mut seen_honeypot, true) {
                        return Err(de::Error::duplicate_field(HONEYPOT_KEY));
                    }
                    raw.website =
                        map.next_value_seed(ValueSeed(Accepts::Text))?.and_then(|value| match value {
                            RawValue::Text(text) => Some(text),
                            _ => None,
                        });
                }
            }
        }
        Ok(raw)
    }
}

/// A key of the table or the honeypot; anything else is an error naming it.
enum Key {
    Field(Field),
    Honeypot,
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an application key")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                match Field::from_key(key) {
                    Some(field) => Ok(Key::Field(field)),
                    None if key == HONEYPOT_KEY => Ok(Key::Honeypot),
                    None => Err(E::unknown_field(key, &Field::KEYS)),
                }
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Decodes one value of the JSON types `0` accepts, or `null`.
struct ValueSeed(Accepts);

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Option<RawValue<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match self.0 {
            Accepts::Text => deserializer.deserialize_option(TextVisitor),
            Accepts::Bool => deserializer.deserialize_option(BoolVisitor),
            Accepts::NumberOrText => deserializer.deserialize_any(NumberOrTextVisitor),
        }
    }
}

/// Implements the `null` and text arms shared by the visitors below.
macro_rules! null_and_text {
    () => {
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
            Ok(Some(RawValue::Text(Cow::Borrowed(text))))
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok(Some(RawValue::Text(Cow::Owned(text.to_owned()))))
        }

        fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
            Ok(Some(RawValue::Text(Cow::Owned(text))))
        }
    };
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<RawValue<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }

    null_and_text!();
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Option<RawValue<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean or null")
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_bool(self)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Some(RawValue::Bool(value)))
    }
}

struct NumberOrTextVisitor;

impl<'de> Visitor<'de> for NumberOrTextVisitor {
    type Value = Option<RawValue<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, a string or null")
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Some(RawValue::Integer(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Some(u64::try_from(value).map_or(RawValue::OtherNumber, RawValue::Integer)))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Some(RawValue::OtherNumber))
    }

    null_and_text!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn decode(json: &str) -> Result<RawApplication<'_>, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn text_borrows_from_the_body_unless_escaped() {
        let raw = decode(r#"{"lastName": "𠮷田", "firstName": "\u592a\u90ce"}"#).unwrap();
        assert_eq!(raw.get(Field::LastName), Some(&RawValue::Text(Cow::Borrowed("𠮷田"))));
        assert!(matches!(raw.get(Field::FirstName), Some(RawValue::Text(Cow::Owned(t))) if t == "太郎"));
    }

    #[test]
    fn each_kind_takes_its_json_types() {
        let raw = decode(
            r#"{"email": null, "employeeCount": 30, "annualReferralCount": "1,200",
                "agreedToTerms": true, "website": ""}"#,
        )
        .unwrap();
        assert_eq!(raw.get(Field::Email), None);
        assert_eq!(raw.get(Field::EmployeeCount), Some(&RawValue::Integer(30)));
        assert_eq!(raw.get(Field::AnnualReferralCount), Some(&RawValue::text("1,200")));
        assert_eq!(raw.get(Field::AgreedToTerms), Some(&RawValue::Bool(true)));
        assert!(!raw.is_from_bot());
        for (json, want) in
            [("-1", RawValue::OtherNumber), ("1.5", RawValue::OtherNumber), ("0", RawValue::Integer(0))]
        {
            let body = format!(r#"{{"employeeCount": {json}}}"#);
            assert_eq!(decode(&body).unwrap().get(Field::EmployeeCount), Some(&want), "{json}");
        }
        for bad in [
            r#"{"email": 5}"#,
            r#"{"agreedToTerms": "yes"}"#,
            r#"{"employeeCount": true}"#,
            r#"{"phone": []}"#,
        ] {
            assert!(decode(bad).unwrap_err().starts_with("invalid type"), "{bad}");
        }
    }

    #[test]
    fn unknown_and_repeated_keys_are_refused() {
        assert!(decode(r#"{"admin": true}"#).unwrap_err().starts_with("unknown field `admin`"));
        assert!(
            decode(r#"{"email": "a", "email": "b"}"#).unwrap_err().starts_with("duplicate field `email`")
        );
        assert!(decode(r#"{"website": "", "website": ""}"#).unwrap_err().starts_with("duplicate field"));
    }

    #[test]
    fn a_json_value_decodes_too() {
        let value = serde_json::json!({"email": "sample@example.com", "employeeCount": 3});
        let raw = RawApplication::deserialize(&value).unwrap();
        assert_eq!(raw.get(Field::Email), Some(&RawValue::text("sample@example.com")));
        assert_eq!(raw.get(Field::EmployeeCount), Some(&RawValue::Integer(3)));
    }

    #[test]
    fn blank_is_white_space_but_not_a_control() {
        for blank in ["", " ", "\u{3000}", " \u{3000} "] {
            assert!(RawValue::text(blank).is_blank(), "{blank:?}");
        }
        for entered in ["\n", "\t", "a", " a "] {
            assert!(!RawValue::text(entered).is_blank(), "{entered:?}");
        }
    }
}
