//! 従業員数 and 年間ホスティングサービス紹介数.

use super::{Entry, Field, FieldValue, KeptValue, Kind, RawValue};
use crate::messages::Issue;
use crate::normalize;
use serde::Serialize;

/// An integer from 0 to [`Count::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Count(u32);

impl Count {
    pub const MAX: u64 = 10_000_000;

    pub fn get(self) -> u32 {
        self.0
    }
}

impl FieldValue for Count {
    const KIND: Kind = Kind::Count;

    /// A JSON integer, or digits (full-width too, grouped by commas or not).
    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        let value = match raw {
            RawValue::Integer(value) => *value,
            RawValue::Text(text) => {
                let text = normalize::text_refusing_forbidden(text)
                    .ok_or_else(|| Issue::invalid_characters(field))?;
                parse_digits(&text).ok_or_else(|| Issue::not_integer(field))?
            }
            RawValue::OtherNumber | RawValue::Bool(_) => return Err(Issue::not_integer(field)),
        };
        if value > Self::MAX {
            return Err(Issue::out_of_range(field, Self::MAX));
        }
        Ok(Count(u32::try_from(value).expect("MAX fits in u32")))
    }
}

impl KeptValue for Count {
    fn entry(&self) -> Entry<'_> {
        Entry::Count(self.0)
    }
}

/// Plain digits, or digits grouped by three with commas ("1,200").
fn parse_digits(text: &str) -> Option<u64> {
    let groups: Vec<&str> = text.split(',').collect();
    let well_grouped =
        groups.len() == 1 || (matches!(groups[0].len(), 1..=3) && groups[1..].iter().all(|g| g.len() == 3));
    if !well_grouped || !groups.iter().all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    // Saturate: anything past u64 is out of range anyway.
    Some(groups.concat().parse::<u64>().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::IssueCode;

    /// As an application's `employeeCount` would carry it; blank is not entered.
    fn parse_json(json: &str) -> Result<Option<u32>, IssueCode> {
        let body = format!(r#"{{"employeeCount": {json}}}"#);
        let raw: crate::domain::RawApplication = serde_json::from_str(&body).unwrap();
        raw.entered(Field::EmployeeCount)
            .map(|value| Count::parse(Field::EmployeeCount, value).map(Count::get))
            .transpose()
            .map_err(|i| i.code)
    }

    #[test]
    fn accepted() {
        let cases = [
            ("30", Some(30)),
            ("0", Some(0)),
            ("10000000", Some(10_000_000)),
            ("\"30\"", Some(30)),
            ("\"３０\"", Some(30)),
            ("\"1,200\"", Some(1200)),
            ("\"１，２００\"", Some(1200)),
            ("\"10,000,000\"", Some(10_000_000)),
            ("\" 7 \"", Some(7)),
            ("\"\"", None),
            ("\"  \"", None),
        ];
        for (json, want) in cases {
            assert_eq!(parse_json(json), Ok(want), "{json}");
        }
    }

    #[test]
    fn rejected() {
        let cases = [
            ("-1", IssueCode::NotInteger),
            ("1.5", IssueCode::NotInteger),
            ("30.0", IssueCode::NotInteger),
            ("1e3", IssueCode::NotInteger),
            ("10000001", IssueCode::OutOfRange),
            ("18446744073709551615", IssueCode::OutOfRange),
            ("\"99999999999999999999999\"", IssueCode::OutOfRange),
            ("\"-1\"", IssueCode::NotInteger),
            ("\"1,00\"", IssueCode::NotInteger),
            ("\"1,,000\"", IssueCode::NotInteger),
            ("\"三十\"", IssueCode::NotInteger),
            ("\"30人\"", IssueCode::NotInteger),
            ("\"3\\n0\"", IssueCode::InvalidCharacters),
        ];
        for (json, code) in cases {
            assert_eq!(parse_json(json), Err(code), "{json}");
        }
    }
}
