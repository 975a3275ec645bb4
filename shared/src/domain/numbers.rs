//! 郵便番号, 電話番号 and 適格請求書発行事業者登録番号: numbers with a fixed shape.

use super::value::{text_newtype, text_of};
use super::{Entry, Field, FieldValue, KeptValue, Kind, RawValue};
use crate::messages::Issue;
use crate::normalize;
use serde::Serialize;

/// The raw text of `field` normalised for digits and hyphens, refusing
/// forbidden characters first.
fn numeric(field: Field, raw: &str) -> Result<String, Issue> {
    normalize::text_refusing_forbidden(raw)
        .map(normalize::dashes_as_hyphens)
        .ok_or_else(|| Issue::invalid_characters(field))
}

/// 郵便番号, stored as `NNN-NNNN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PostalCode([u8; 8]);

impl PostalCode {
    /// Accepts 7 digits with an optional hyphen after the third, full-width
    /// digits, any dash, and a leading 〒.
    pub fn parse(raw: &str) -> Result<Self, Issue> {
        let value = numeric(Field::PostalCode, raw)?;
        let value = value.strip_prefix('〒').unwrap_or(&value).trim_start();
        if value.is_empty() {
            return Err(Issue::required(Field::PostalCode));
        }
        Self::from_ascii(value.as_bytes()).ok_or_else(|| Issue::invalid_format(Field::PostalCode))
    }

    /// `NNNNNNN` or `NNN-NNNN` in ASCII digits, as they are: what the form
    /// sends, so the postal function can skip normalisation for it.
    pub fn from_ascii(bytes: &[u8]) -> Option<Self> {
        let digits = match *bytes {
            [a, b, c, b'-', d, e, f, g] | [a, b, c, d, e, f, g] => [a, b, c, d, e, f, g],
            _ => return None,
        };
        let [a, b, c, d, e, f, g] = digits;
        digits.iter().all(u8::is_ascii_digit).then_some(PostalCode([a, b, c, b'-', d, e, f, g]))
    }

    /// `NNN-NNNN`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("postal code holds ASCII")
    }

    /// The 7 digits as a number, as the postal table keys them.
    pub fn number(&self) -> u32 {
        self.0.iter().filter(|b| b.is_ascii_digit()).fold(0, |n, d| n * 10 + u32::from(d - b'0'))
    }
}

impl FieldValue for PostalCode {
    const KIND: Kind = Kind::Postal;

    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        PostalCode::parse(text_of(field, raw)?)
    }
}

impl KeptValue for PostalCode {
    fn entry(&self) -> Entry<'_> {
        Entry::Text(self.as_str())
    }
}

impl std::fmt::Display for PostalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PostalCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

text_newtype!(
    /// 電話番号: a valid Japanese number, stored in its conventional hyphenation
    /// (06-6292-8811, 090-1234-5678, 0120-123-456).
    ///
    /// Hyphenation depends on the length of each area code (2 to 5 digits), which
    /// only a numbering plan knows: see [`super::phone_plan`].
    Phone
);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, Issue> {
        let value = numeric(Field::Phone, raw)?;
        if value.is_empty() {
            return Err(Issue::required(Field::Phone));
        }
        let digits: String = value.chars().filter(|c| !matches!(c, '-' | ' ' | '(' | ')')).collect();
        let national = match digits.strip_prefix("+81") {
            Some(rest) => format!("0{}", rest.strip_prefix('0').unwrap_or(rest)),
            None => digits,
        };
        super::phone_plan::hyphenate(&national).map(Phone).ok_or_else(|| Issue::invalid_format(Field::Phone))
    }
}

impl FieldValue for Phone {
    const KIND: Kind = Kind::Phone;

    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        Phone::parse(text_of(field, raw)?)
    }
}

impl KeptValue for Phone {
    fn entry(&self) -> Entry<'_> {
        Entry::Text(&self.0)
    }
}

text_newtype!(
    /// 適格請求書発行事業者登録番号: `T` + 13 digits.
    InvoiceNumber
);

impl InvoiceNumber {
    /// Parses the shape only; whether the check digit must hold depends on the
    /// contract type, so [`InvoiceNumber::has_valid_check_digit`] is asked separately.
    pub fn parse(raw: &str) -> Result<Self, Issue> {
        let mut value = numeric(Field::InvoiceNumber, raw)?;
        value.retain(|c| !matches!(c, ' ' | '-'));
        let digits = value.strip_prefix(['T', 't']).unwrap_or("");
        if digits.len() != 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Issue::invalid_format(Field::InvoiceNumber));
        }
        // `T` or `t` and 13 ASCII digits: the first byte is the letter.
        value[..1].make_ascii_uppercase();
        Ok(InvoiceNumber(value))
    }

    /// The corporate-number check digit (法人番号の検査用数字): the leftmost digit
    /// equals 9 − (Σ Pn·Qn mod 9), where Pn is the n-th of the other 12 digits
    /// counted from the right and Qn is 1 for odd n, 2 for even n.
    pub fn has_valid_check_digit(&self) -> bool {
        let digit = |b: u8| u32::from(b - b'0');
        let bytes = &self.0.as_bytes()[1..];
        let weighted: u32 = bytes[1..]
            .iter()
            .rev()
            .enumerate()
            .map(|(i, p)| if i % 2 == 0 { digit(*p) } else { digit(*p) * 2 })
            .sum();
        digit(bytes[0]) == 9 - weighted % 9
    }
}

impl FieldValue for InvoiceNumber {
    const KIND: Kind = Kind::Invoice;

    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        InvoiceNumber::parse(text_of(field, raw)?)
    }
}

impl KeptValue for InvoiceNumber {
    fn entry(&self) -> Entry<'_> {
        Entry::Text(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::IssueCode;

    #[test]
    fn postal_codes() {
        for raw in
            ["530-0011", "5300011", "５３０－００１１", "〒530-0011", "530ー0011", "530−0011", " 530-0011 "]
        {
            assert_eq!(PostalCode::parse(raw).unwrap().to_string(), "530-0011", "{raw}");
        }
        assert_eq!(PostalCode::parse("5300011").unwrap().number(), 5_300_011);
        assert_eq!(PostalCode::parse("060-0000").unwrap().number(), 600_000);
        assert_eq!(PostalCode::from_ascii(b"5300011"), PostalCode::from_ascii(b"530-0011"));
        for raw in ["５３０００１１", "530ー0011", "53-00011", "530-001", "〒5300011"] {
            assert_eq!(PostalCode::from_ascii(raw.as_bytes()), None, "{raw}");
        }
        let cases = [
            ("", IssueCode::Required),
            ("530-001", IssueCode::InvalidFormat),
            ("53-00011", IssueCode::InvalidFormat),
            ("530-00111", IssueCode::InvalidFormat),
            ("530-0O11", IssueCode::InvalidFormat),
            ("530--0011", IssueCode::InvalidFormat),
            ("530\n0011", IssueCode::InvalidCharacters),
        ];
        for (raw, code) in cases {
            assert_eq!(PostalCode::parse(raw).unwrap_err().code, code, "{raw:?}");
        }
    }

    #[test]
    fn phones_are_hyphenated_conventionally() {
        let cases = [
            ("06-6292-8811", "06-6292-8811"),
            ("0662928811", "06-6292-8811"),
            ("０６－６２９２－８８１１", "06-6292-8811"),
            ("06(6292)8811", "06-6292-8811"),
            ("+81 6-6292-8811", "06-6292-8811"),
            ("0312345678", "03-1234-5678"),
            ("09012345678", "090-1234-5678"),
            ("080ー1234ー5678", "080-1234-5678"),
            ("07012345678", "070-1234-5678"),
            ("05012345678", "050-1234-5678"),
            ("0120123456", "0120-123-456"),
            ("08001234567", "0800-123-4567"),
            ("0112345678", "011-234-5678"),
            ("0155234567", "0155-23-4567"),
        ];
        for (raw, want) in cases {
            assert_eq!(Phone::parse(raw).map(|p| p.0).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn invalid_phones() {
        let cases = [
            ("", IssueCode::Required),
            ("6292-8811", IssueCode::InvalidFormat),
            ("090-1234-567", IssueCode::InvalidFormat),
            ("03-1234-56789", IssueCode::InvalidFormat),
            ("0901234567", IssueCode::InvalidFormat),
            ("+1 212 555 0100", IssueCode::InvalidFormat),
            ("01043123456", IssueCode::InvalidFormat),
            ("abc", IssueCode::InvalidFormat),
            ("06-6292-8811\n", IssueCode::InvalidCharacters),
        ];
        for (raw, code) in cases {
            assert_eq!(Phone::parse(raw).unwrap_err().code, code, "{raw:?}");
        }
    }

    #[test]
    fn invoice_numbers() {
        for raw in ["T7000012050002", "t7000012050002", "Ｔ７００００１２０５０００２", "T 7000-0120-50002"]
        {
            let number = InvoiceNumber::parse(raw).unwrap();
            assert_eq!(number.as_str(), "T7000012050002", "{raw}");
            assert!(number.has_valid_check_digit());
        }
        assert!(!InvoiceNumber::parse("T1234567890123").unwrap().has_valid_check_digit());
        for raw in ["7000012050002", "T700001205000", "T70000120500021", "X7000012050002", "T700001205000A"] {
            assert_eq!(InvoiceNumber::parse(raw).unwrap_err().code, IssueCode::InvalidFormat, "{raw}");
        }
    }

    #[test]
    fn check_digit_matches_published_corporate_numbers() {
        // The issue's example, and a second number checked by hand.
        for valid in ["T1000012160153", "T7000012050002"] {
            assert!(InvoiceNumber::parse(valid).unwrap().has_valid_check_digit(), "{valid}");
        }
        // Every other leading digit must fail for the same 12 digits.
        for lead in (1..=9).filter(|d| *d != 7) {
            let raw = format!("T{lead}000012050002");
            assert!(!InvoiceNumber::parse(&raw).unwrap().has_valid_check_digit(), "{raw}");
        }
    }
}
