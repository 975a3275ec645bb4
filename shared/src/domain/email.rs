//! メールアドレス.

use super::value::{text_newtype, text_of};
use super::{Entry, Field, FieldValue, KeptValue, Kind, RawValue};
use crate::messages::Issue;
use email_address::{EmailAddress, Options};

text_newtype!(
    /// One practical addr-spec: an ASCII dot-atom local part, a domain of at least
    /// two labels, lower-cased. No display names, quoted local parts or IP literals,
    /// which a mail form never legitimately receives.
    Email
);

impl Email {
    /// RFC 5321's limit on a forward path.
    pub const MAX_CHARS: usize = 254;

    /// Parses an address typed into `field`.
    pub fn parse_text(field: Field, raw: &str) -> Result<Self, Issue> {
        let mut value = super::text::checked(field, raw, std::convert::identity)?;
        let options = Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            ..Options::default()
        };
        let is_practical = value.is_ascii()
            && !value.contains(['"', ' ', '(', ')', '[', ']', '\\'])
            && EmailAddress::parse_with_options(&value, options).is_ok();
        let (local, domain) = match value.rsplit_once('@') {
            Some(parts) if is_practical => parts,
            _ => return Err(Issue::invalid_format(field)),
        };
        let domain_is_hostname = domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !domain_is_hostname {
            return Err(Issue::invalid_format(field));
        }
        // The local part keeps its case (it may matter to the mailbox); the domain does not.
        let domain_start = local.len() + 1;
        value[domain_start..].make_ascii_lowercase();
        Ok(Email(value))
    }
}

impl FieldValue for Email {
    const KIND: Kind = Kind::Email;

    fn parse(field: Field, raw: &RawValue<'_>) -> Result<Self, Issue> {
        Email::parse_text(field, text_of(field, raw)?)
    }
}

impl KeptValue for Email {
    fn entry(&self) -> Entry<'_> {
        Entry::Text(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::IssueCode;

    fn parse(raw: &str) -> Result<Email, Issue> {
        Email::parse_text(Field::Email, raw)
    }

    #[test]
    fn accepted() {
        let cases = [
            ("sample@example.com", "sample@example.com"),
            (" sample@Example.COM ", "sample@example.com"),
            ("ｓａｍｐｌｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "sample@example.com"),
            ("Taro.Yamada+partner@mail.example.co.jp", "Taro.Yamada+partner@mail.example.co.jp"),
            ("a_b-c@sub-domain.example.jp", "a_b-c@sub-domain.example.jp"),
        ];
        for (raw, want) in cases {
            assert_eq!(parse(raw).unwrap().as_str(), want, "{raw}");
        }
    }

    #[test]
    fn rejected() {
        let cases = [
            ("", IssueCode::Required),
            ("sample", IssueCode::InvalidFormat),
            ("sample@localhost", IssueCode::InvalidFormat),
            ("sample@@example.com", IssueCode::InvalidFormat),
            ("a@b@example.com", IssueCode::InvalidFormat),
            ("\"quoted\"@example.com", IssueCode::InvalidFormat),
            ("Taro <taro@example.com>", IssueCode::InvalidCharacters),
            ("a@[127.0.0.1]", IssueCode::InvalidFormat),
            ("a@example..com", IssueCode::InvalidFormat),
            ("a@-example.com", IssueCode::InvalidFormat),
            ("a@例え.jp", IssueCode::InvalidFormat),
            ("やまだ@example.com", IssueCode::InvalidFormat),
            ("a,b@example.com", IssueCode::InvalidFormat),
            ("a@example.com\r\nBcc: x@example.com", IssueCode::InvalidCharacters),
        ];
        for (raw, code) in cases {
            assert_eq!(parse(raw).unwrap_err().code, code, "{raw:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(parse(&long).unwrap_err().code, IssueCode::TooLong);
    }
}
