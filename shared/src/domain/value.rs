//! What every field's type has in common: one parser signature, so that an
//! application is parsed by the table's loop, and one way to show its value.

use super::{Field, Kind};
use crate::messages::Issue;
use serde::Serialize;
use std::borrow::Cow;

/// A field's type: parsed from what the client sent.
pub trait FieldValue: Sized {
    /// The kind of field this type parses (it decides the JSON types accepted).
    const KIND: Kind;

    /// Parses an entered (non-blank) value of `field` into a valid, normalised one.
    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue>;
}

/// A type an [`Application`](super::Application) keeps, shown as an [`Entry`]
/// (what only the request carries, like the consent, has none).
pub trait KeptValue: FieldValue {
    /// The value as confirmation screens, mails, storage and JSON show it.
    fn entry(&self) -> Entry<'_>;
}

/// One value as a client sent it, before any rule: text (borrowed from the
/// request body where JSON escapes allow), a JSON number or a JSON boolean.
/// Which of them a field may carry is decided while decoding ([`Kind::accepts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue<'a> {
    Text(Cow<'a, str>),
    /// A JSON integer ≥ 0.
    Integer(u64),
    /// Any other JSON number (negative, fractional, exponent).
    OtherNumber,
    Bool(bool),
}

impl<'a> RawValue<'a> {
    /// Text borrowed for as long as the request.
    pub fn text(text: impl Into<Cow<'a, str>>) -> Self {
        RawValue::Text(text.into())
    }

    /// The text, if this is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            RawValue::Text(text) => Some(text),
            _ => None,
        }
    }

    /// Blank means not entered: text of white space only. Forbidden characters
    /// are not blank ("\n" must be reported, not treated as empty).
    pub fn is_blank(&self) -> bool {
        match self {
            RawValue::Text(text) => text.chars().all(|c| c.is_whitespace() && !c.is_control()),
            _ => false,
        }
    }
}

/// The text of a raw value for a text field; decoding lets only text through,
/// so anything else is a malformed value.
pub(crate) fn text_of<'r>(field: Field, raw: &'r RawValue<'_>) -> Result<&'r str, Issue> {
    raw.as_text().ok_or_else(|| Issue::invalid_format(field))
}

/// One entered value of an application: normalised text or a count.
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

/// Declares a newtype over a `String` that a [`FieldValue`] parser produces:
/// read access, `Display` and transparent JSON.
macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use text_newtype;
