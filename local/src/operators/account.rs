//! An operator's address, the password policy, password hashing and session
//! tokens: rules and types only, no I/O.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::domain::{Email, Field, Role, Timestamp};

/// An operator's sign-in name: an address as the form accepts it
/// ([`shared::domain::Email`]), lower-cased whole so that `Operator@…` and
/// `operator@…` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OperatorEmail(String);

impl OperatorEmail {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email =
            Email::parse_text(Field::Email, raw).map_err(|_| "メールアドレスの形式が正しくありません。")?;
        Ok(OperatorEmail(email.as_str().to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The start of every key this address's failed attempts are counted
    /// under: the SHA-256 of the address, so that the addresses typed by
    /// strangers are not kept in clear (and a reset forgets them all by it).
    pub(crate) fn failures_prefix(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }

    /// The key this address's failed attempts from `source` are counted
    /// under: per source, so that a stranger's wrong passwords lock the
    /// address for the stranger only, never for the operator elsewhere.
    pub(crate) fn failure_key(&self, source: &SignInSource) -> String {
        format!("{}:{}", self.failures_prefix(), source.0)
    }
}

/// Where a sign-in comes from, as failed attempts are counted: the client's
/// network as the form's limits count it (`shared::keyed::client_network`:
/// an IPv6 client is its /64, so it cannot get a fresh count from each of
/// its addresses), as a SHA-256 digest so that it is not kept in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignInSource(String);

impl SignInSource {
    /// The source of a request whose client is `ip` (none known: one shared source).
    pub(crate) fn of(ip: Option<std::net::IpAddr>) -> Self {
        let network =
            ip.map_or_else(|| "unknown".to_owned(), |ip| shared::keyed::client_network(ip).to_string());
        SignInSource(hex(&Sha256::digest(network.as_bytes())))
    }

    /// The key this source's failed attempts, for any address, are counted under.
    pub(crate) fn failure_key(&self) -> String {
        format!("source:{}", self.0)
    }
}

impl std::fmt::Display for OperatorEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    TooShort,
    TooLong,
    ControlCharacter,
}

impl std::fmt::Display for PasswordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PasswordError::TooShort => "パスワードは12文字以上にしてください。",
            PasswordError::TooLong => "パスワードは1024文字以内にしてください。",
            PasswordError::ControlCharacter => "パスワードに制御文字(改行など)は使えません。",
        })
    }
}

impl std::error::Error for PasswordError {}

/// A password that meets the policy: 12 to 1024 characters, no control
/// characters (a pasted line break is a mistake, not a secret). Its `Debug`
/// hides it, so no log or panic message can show it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    /// Hashing cost grows with the length; 1024 is far beyond any passphrase.
    pub const MAX_CHARS: usize = 1024;

    pub fn new(password: String) -> Result<Self, PasswordError> {
        let chars = password.chars().count();
        if chars < Self::MIN_CHARS {
            Err(PasswordError::TooShort)
        } else if chars > Self::MAX_CHARS {
            Err(PasswordError::TooLong)
        } else if password.chars().any(char::is_control) {
            Err(PasswordError::ControlCharacter)
        } else {
            Ok(Password(password))
        }
    }

    /// 24 characters of a 64-letter alphabet (144 bits): each random byte
    /// picks one letter, unbiased since 256 is a multiple of 64.
    pub fn generate() -> Self {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes: [u8; 24] = rand::random();
        Password(bytes.iter().map(|b| char::from(ALPHABET[usize::from(b % 64)])).collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// The Argon2id PHC string of `password` (the crate's defaults, OWASP's
/// minimum: 19 MiB, 2 passes, 1 lane) with a random 16-byte salt.
pub fn hash_password(password: &Password) -> anyhow::Result<String> {
    let salt: [u8; 16] = rand::random();
    let hash = Argon2::default()
        .hash_password_with_salt(password.expose().as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `phc` (the parameters are the string's own). A
/// malformed stored hash matches nothing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), phc).is_ok()
}

/// A session's bearer token: 32 random bytes (256 bits), as 64 hex digits.
/// Only its [`SessionToken::hash`] is stored, so a copy of the database signs
/// no one in.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        SessionToken(hex(&bytes))
    }

    /// A token as a client sent it: None unless it has the shape of one, so
    /// that garbage never reaches the database.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| SessionToken(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the token, in hex: what the sessions table keeps. A
    /// plain hash suffices (no salt, no stretching): the token is 256 random
    /// bits, not a guessable password.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

/// Who is calling a protected route: what the functions read from the JWT
/// authorizer's claims on AWS (`username`, `cognito:groups`); the local
/// server passes them the same way (`lambda::with_claims`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorClaims {
    pub email: OperatorEmail,
    /// The account's role, read with the session at every request, so that
    /// `operator add --role` applies at once.
    pub role: Role,
    /// When the session ends.
    pub expires_at: Timestamp,
}

impl OperatorClaims {
    /// The `cognito:groups` claim as API Gateway's JWT authorizer passes it:
    /// the groups in one string, `[operators supervisors]`.
    pub fn groups_claim(&self) -> String {
        format!("[{}]", self.role.groups().collect::<Vec<_>>().join(" "))
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::new(text.to_owned()).unwrap()
    }

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify_only_their_password() {
        let right = password("correct horse battery");
        let hash = hash_password(&right).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterz", &hash));
        assert!(!verify_password("", &hash));
        // A new salt each time: the same password never hashes the same.
        assert_ne!(hash, hash_password(&right).unwrap());
        assert!(!verify_password("correct horse battery", "not a phc string"));
    }

    #[test]
    fn password_policy() {
        assert_eq!(Password::new("elevenchars".into()).unwrap_err(), PasswordError::TooShort);
        assert!(Password::new("twelve chars".into()).is_ok());
        // Characters, not bytes: 12 kanji are enough, 11 are not.
        assert!(Password::new("山".repeat(12)).is_ok());
        assert_eq!(Password::new("山".repeat(11)).unwrap_err(), PasswordError::TooShort);
        assert_eq!(Password::new("a".repeat(1025)).unwrap_err(), PasswordError::TooLong);
        assert_eq!(Password::new("twelve chars\n".into()).unwrap_err(), PasswordError::ControlCharacter);
        assert_eq!(format!("{:?}", password("twelve chars")), "Password(…)");
    }

    #[test]
    fn generated_passwords_are_long_random_and_valid() {
        let a = Password::generate();
        let b = Password::generate();
        assert_eq!(a.expose().len(), 24);
        assert_ne!(a.expose(), b.expose());
        assert!(Password::new(a.expose().to_owned()).is_ok());
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn tokens_are_256_bits_and_stored_as_their_sha256() {
        let token = SessionToken::generate();
        assert_eq!(token.expose().len(), 64);
        assert_ne!(token, SessionToken::generate());
        assert_eq!(SessionToken::parse(token.expose()), Some(token.clone()));
        let hash = token.hash();
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, token.expose());
        assert_eq!(hash, hex(&Sha256::digest(token.expose().as_bytes())));
        // SHA-256("abc"), the FIPS 180-2 example.
        assert_eq!(
            SessionToken("abc".into()).hash(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        for bad in ["", "abc", &"A".repeat(64), &"g".repeat(64), &"a".repeat(65)] {
            assert_eq!(SessionToken::parse(bad), None, "{bad}");
        }
        assert_eq!(format!("{token:?}"), "SessionToken(…)");
    }

    #[test]
    fn operator_addresses() {
        let email = OperatorEmail::parse(" Operator@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "operator@example.com");
        assert!(OperatorEmail::parse("operator").is_err());
        assert!(OperatorEmail::parse("operator@localhost").is_err());
        let source = SignInSource::of(Some("192.0.2.1".parse().unwrap()));
        assert!(email.failure_key(&source).starts_with(&email.failures_prefix()));
        assert_eq!(email.failures_prefix().len(), 64);
        assert!(!email.failure_key(&source).contains("operator"));
        assert!(!source.failure_key().contains("192.0.2"));
        // An IPv6 client is its /64; another /64 is another source.
        let v6 = |ip: &str| SignInSource::of(Some(ip.parse().unwrap()));
        assert_eq!(v6("2001:db8:1:2::1"), v6("2001:db8:1:2:ffff::9"));
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
    }
}
