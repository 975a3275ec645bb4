//! Who mails come from and where the operator's copy goes: SAM parameters,
//! passed to the function as environment variables, read once per cold start.

use crate::domain::Email;
use crate::domain::Field;

/// Environment variable names (the template and the local server set these).
pub const ENV_FROM: &str = "MAIL_FROM";
pub const ENV_FROM_NAME: &str = "MAIL_FROM_NAME";
pub const ENV_REPLY_TO: &str = "MAIL_REPLY_TO";
pub const ENV_OPERATOR: &str = "MAIL_OPERATOR";
pub const ENV_OPERATOR_CONTACT: &str = "MAIL_OPERATOR_CONTACT";
pub const ENV_CONFIGURATION_SET: &str = "SES_CONFIGURATION_SET";
/// The form's public origin (`https://partners.example.jp`): the verification
/// link and the console link in mails start with it.
pub const ENV_PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// The sender address (an SES-verified identity).
    pub from: Email,
    /// The sender's display name, e.g. 「パートナー登録窓口」.
    pub from_name: Option<String>,
    /// Where the applicant's replies go.
    pub reply_to: Email,
    /// Who receives the operator's notice of each new application.
    pub operator: Email,
    /// The operator's contact, shown at the end of the applicant's mail. May span lines.
    pub operator_contact: String,
    /// An SES configuration set (event publishing, dedicated IPs), if any.
    pub configuration_set: Option<String>,
    /// Where the form is served, without a trailing `/` (`https://…` or `http://…`).
    pub public_base_url: String,
    /// How long a documents link works (`DOCUMENT_REQUEST_TTL_DAYS`, 1–60,
    /// default 14): the mail states the deadline the store enforces.
    pub document_request_ttl_days: u32,
}

impl MailConfig {
    /// The page that confirms an application: the token travels in the
    /// fragment, so it never reaches a server log or a `Referer`.
    pub fn verification_link(&self, token: &crate::keyed::VerificationToken) -> String {
        format!("{}/verify#token={}", self.public_base_url, token.as_str())
    }

    /// The page where the applicant submits the documents of one request
    /// (the token in the fragment, as the verification link's).
    pub fn documents_link(&self, token: &crate::keyed::DocumentToken) -> String {
        format!("{}/documents#token={}", self.public_base_url, token.as_str())
    }

    /// When a request for documents made at `at` stops taking them.
    pub fn document_request_expiry(&self, at: crate::domain::Timestamp) -> crate::domain::Timestamp {
        at.plus_secs(i64::from(self.document_request_ttl_days) * 86_400)
    }

    /// The console's page of one application.
    pub fn console_link(&self, application_id: crate::domain::ApplicationId) -> String {
        format!("{}/admin/#application={application_id}", self.public_base_url)
    }
}

/// A missing or malformed setting, named so the deployment can be fixed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{0} is not a valid value")]
    Invalid(&'static str),
}

impl MailConfig {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, fixed
    /// [`pairs`], or both).
    /// Blank values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let address = |name: &'static str| {
            let raw = get(name).ok_or(ConfigError::Missing(name))?;
            Email::parse_text(Field::Email, &raw).map_err(|_| ConfigError::Invalid(name))
        };
        let single_line = |name: &'static str| match get(name) {
            Some(value) if value.chars().any(char::is_control) => Err(ConfigError::Invalid(name)),
            value => Ok(value.map(|v| v.trim().to_owned())),
        };

        let from = address(ENV_FROM)?;
        let from_name = single_line(ENV_FROM_NAME)?;
        let reply_to = address(ENV_REPLY_TO)?;
        let operator = address(ENV_OPERATOR)?;
        let configuration_set = single_line(ENV_CONFIGURATION_SET)?;
        let public_base_url = get(ENV_PUBLIC_BASE_URL).ok_or(ConfigError::Missing(ENV_PUBLIC_BASE_URL))?;
        let public_base_url = public_base_url.trim().trim_end_matches('/').to_owned();
        let url_safe =
            |c: char| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '\\' | '#' | '?');
        let scheme =
            public_base_url.strip_prefix("https://").or_else(|| public_base_url.strip_prefix("http://"));
        if !scheme.is_some_and(|rest| !rest.is_empty() && rest.chars().all(url_safe)) {
            return Err(ConfigError::Invalid(ENV_PUBLIC_BASE_URL));
        }
        // A CloudFormation parameter cannot hold a line break, so `\n` stands for one.
        let operator_contact = match get(ENV_OPERATOR_CONTACT) {
            Some(text) => {
                let text = text.replace("\\n", "\n");
                if text.chars().any(|c| c.is_control() && c != '\n') {
                    return Err(ConfigError::Invalid(ENV_OPERATOR_CONTACT));
                }
                text.trim().to_owned()
            }
            None => format!(
                "{}\nE-mail: {}",
                from_name.as_deref().unwrap_or("パートナー登録窓口"),
                reply_to.as_str()
            ),
        };
        let document_request_ttl_days = crate::documents::settings::request_ttl_days(&get)
            .map_err(|invalid| ConfigError::Invalid(invalid.0))?;
        Ok(MailConfig {
            from,
            from_name,
            reply_to,
            operator,
            operator_contact,
            configuration_set,
            public_base_url,
            document_request_ttl_days,
        })
    }
}

/// A lookup over fixed settings, for [`MailConfig::from_lookup`]: the local
/// server's defaults, a test's configuration.
pub fn pairs<'a>(settings: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| settings.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(settings: &[(&str, &str)]) -> Result<MailConfig, ConfigError> {
        MailConfig::from_lookup(pairs(settings))
    }

    const REQUIRED: [(&str, &str); 4] = [
        (ENV_PUBLIC_BASE_URL, "https://partners.example.jp/"),
        (ENV_FROM, "no-reply@partner.example.jp"),
        (ENV_REPLY_TO, "support@partner.example.jp"),
        (ENV_OPERATOR, "Operators@Partner.Example.JP"),
    ];

    #[test]
    fn required_settings_only() {
        let config = config(&REQUIRED).unwrap();
        assert_eq!(config.from.as_str(), "no-reply@partner.example.jp");
        assert_eq!(config.operator.as_str(), "Operators@partner.example.jp");
        assert_eq!(config.from_name, None);
        assert_eq!(config.configuration_set, None);
        assert_eq!(config.operator_contact, "パートナー登録窓口\nE-mail: support@partner.example.jp");
        assert_eq!(config.public_base_url, "https://partners.example.jp");
    }

    #[test]
    fn optional_settings() {
        let mut pairs = REQUIRED.to_vec();
        pairs.extend([
            (ENV_FROM_NAME, " パートナー事務局 "),
            (ENV_CONFIGURATION_SET, "partner-mail"),
            (ENV_OPERATOR_CONTACT, "パートナー事務局\\n電話: 06-6292-8811"),
        ]);
        let config = config(&pairs).unwrap();
        assert_eq!(config.from_name.as_deref(), Some("パートナー事務局"));
        assert_eq!(config.configuration_set.as_deref(), Some("partner-mail"));
        assert_eq!(config.operator_contact, "パートナー事務局\n電話: 06-6292-8811");
    }

    #[test]
    fn missing_and_invalid_settings_are_named() {
        assert_eq!(config(&REQUIRED[1..]), Err(ConfigError::Missing(ENV_PUBLIC_BASE_URL)));
        let without_from = [REQUIRED[0], REQUIRED[2], REQUIRED[3]];
        assert_eq!(config(&without_from), Err(ConfigError::Missing(ENV_FROM)));
        for bad in ["partners.example.jp", "https://", "https://a.example/\"><script>", "javascript:alert(1)"]
        {
            let mut pairs = REQUIRED.to_vec();
            pairs[0] = (ENV_PUBLIC_BASE_URL, bad);
            assert_eq!(config(&pairs), Err(ConfigError::Invalid(ENV_PUBLIC_BASE_URL)), "{bad}");
        }
        let mut pairs = REQUIRED.to_vec();
        pairs[3] = (ENV_OPERATOR, "operators");
        assert_eq!(config(&pairs), Err(ConfigError::Invalid(ENV_OPERATOR)));
        let mut pairs = REQUIRED.to_vec();
        pairs.push((ENV_FROM_NAME, "窓口\r\nBcc: x@example.com"));
        assert_eq!(config(&pairs), Err(ConfigError::Invalid(ENV_FROM_NAME)));
        let mut pairs = REQUIRED.to_vec();
        pairs[1] = (ENV_FROM, "  ");
        assert_eq!(config(&pairs), Err(ConfigError::Missing(ENV_FROM)));
    }
}
