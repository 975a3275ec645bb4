//! Keyed hashes, so that no stored key names a person and no stored value can
//! be tested against a list of candidates: HMAC-SHA256 under one secret
//! ([`IdentifierKey`]), with a label per use so the uses cannot be confused.
//!
//! - [`EmailKey`]: the key that reserves an address (case-insensitive);
//! - [`ClientKey`]: a source address (an IPv6 one by its /64), for the
//!   rate-limit counters;
//! - [`AddressKey`]: a mail address, for the per-address rate-limit counter;
//! - [`VerificationToken`]: the token of an application's link, derived from
//!   its id. The notification function can therefore write the link without
//!   the token ever being stored; the store keeps only its [`TokenHash`].
//!
//! The secret comes from Secrets Manager on AWS (created by the template, read
//! once per cold start) and from a key file in the data directory locally.

use crate::domain::{ApplicationId, Email, RequestHash, Version};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;

/// The key file inside the local data directory (32 random bytes, mode 0600).
pub const KEY_FILE: &str = "identifier.key";

/// The environment variable naming the secret (its ARN or name) on AWS.
pub const SECRET_ENV: &str = "IDENTIFIER_KEY_SECRET";
/// Without a secret: the directory of a key file (`cargo lambda watch`).
pub const DIR_ENV: &str = "IDENTIFIER_KEY_DIR";

/// The secret behind every keyed hash. `Debug` does not show it.
#[derive(Clone)]
pub struct IdentifierKey([u8; 32]);

impl std::fmt::Debug for IdentifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentifierKey(…)")
    }
}

/// Why the key could not be had; names the place, never the secret.
#[derive(Debug, thiserror::Error)]
#[error("identifier key: {0}")]
pub struct KeyError(pub String);

impl IdentifierKey {
    /// A key from secret text of at least 32 characters (a Secrets Manager
    /// value): its SHA-256, so any length and alphabet give 32 bytes.
    pub fn from_secret_text(secret: &str) -> Result<Self, KeyError> {
        if secret.trim().chars().count() < 32 {
            return Err(KeyError("the secret is shorter than 32 characters".into()));
        }
        Ok(IdentifierKey(Sha256::digest(secret.trim().as_bytes()).into()))
    }

    /// Reads `data_dir/identifier.key`, creating it (32 random bytes, readable
    /// by its owner only) on the first run.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, KeyError> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
                    KeyError(format!(
                        "{} does not hold 32 bytes; remove it to make a new one",
                        path.display()
                    ))
                })?;
                Ok(IdentifierKey(bytes))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let bytes: [u8; 32] = rand::random();
                write_private(&path, &bytes).map_err(|e| KeyError(format!("{}: {e}", path.display())))?;
                Ok(IdentifierKey(bytes))
            }
            Err(error) => Err(KeyError(format!("{}: {error}", path.display()))),
        }
    }

    /// A fixed key, for tests and benchmarks.
    pub fn for_tests() -> Self {
        IdentifierKey([7; 32])
    }

    fn mac(&self, label: &str, message: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// The key that reserves `email`: mailboxes are compared case-insensitively.
    pub fn email(&self, email: &Email) -> EmailKey {
        EmailKey(hex(&self.mac("email", email.as_str().to_lowercase().as_bytes())))
    }

    /// The counter key of a source address: of its /64 for IPv6
    /// ([`client_network`]).
    pub fn client(&self, ip: IpAddr) -> ClientKey {
        ClientKey(hex(&self.mac("client", client_network(ip).to_string().as_bytes())))
    }

    /// The counter key of a mail address, compared case-insensitively like
    /// [`email`](Self::email) but under its own label: a rate-limit counter
    /// cannot be matched with the address's reservation, and it goes with its
    /// window (its TTL), whatever happens to the application.
    pub fn address(&self, email: &Email) -> AddressKey {
        AddressKey(hex(&self.mac("address", email.as_str().to_lowercase().as_bytes())))
    }

    /// The digest an idempotency record keeps of a request (a submission's
    /// whole normalised application, a decision's message): keyed, so the
    /// record, which outlives an erasure for up to a day, cannot be matched
    /// against guessed applications the way a plain SHA-256 could.
    pub fn request_hash(&self, normalised: &[u8]) -> RequestHash {
        RequestHash::parse(&hex(&self.mac("request", normalised)))
            .expect("an HMAC-SHA-256 in hex is a digest")
    }

    /// The token of `application_id`'s verification link (256 bits).
    pub fn verification_token(&self, application_id: ApplicationId) -> VerificationToken {
        VerificationToken(hex(&self.mac("verification", application_id.to_string().as_bytes())))
    }

    /// The token of the documents link of the request that made `version`
    /// (256 bits): the admin function stores its hash with the request, the
    /// notification writes it into 資料提出のお願い, and a later request's
    /// version makes another.
    pub fn documents_token(&self, application_id: ApplicationId, version: Version) -> DocumentToken {
        DocumentToken(hex(&self.mac("documents", format!("{application_id}/{version}").as_bytes())))
    }
}

/// The bits of an IPv6 address that name one client: a /64 is the smallest
/// network a provider hands one subscriber (RFC 6177), who can use every one
/// of its 2^64 addresses, so counting addresses would let one client evade
/// the per-client limits.
pub const IPV6_CLIENT_PREFIX: u32 = 64;

/// What the per-client limits count: an IPv4 address as is (also when it
/// arrives IPv4-mapped, `::ffff:a.b.c.d`, which would otherwise put every such
/// client into one /64), an IPv6 address as its network of
/// [`IPV6_CLIENT_PREFIX`] bits.
pub fn client_network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let mask = u128::MAX << (128 - IPV6_CLIENT_PREFIX);
            IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & mask))
        }
    }
}

/// Writes a file that only its owner can read (0600), whatever the umask.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Lower-case hex, for every digest this crate stores.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

macro_rules! hex_key {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// 64 lower-case hex digits.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Reads back a stored value.
            pub fn parse(text: &str) -> Option<Self> {
                is_hex64(text).then(|| $name(text.to_owned()))
            }
        }
    };
}

pub(crate) fn is_hex64(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

hex_key!(
    /// HMAC of a lower-cased address.
    EmailKey
);
hex_key!(
    /// HMAC of a source IP address's [`client_network`].
    ClientKey
);
hex_key!(
    /// HMAC of a lower-cased address, for its rate-limit counter.
    AddressKey
);
hex_key!(
    /// SHA-256 of a [`VerificationToken`]: what the store keeps. The token has
    /// 256 bits of a keyed hash, so a plain hash suffices to hide it.
    TokenHash
);

macro_rules! link_token {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(…)"))
            }
        }

        impl $name {
            /// A token as a client sends it: exactly 64 hex digits (upper case folded).
            pub fn parse(text: &str) -> Option<Self> {
                let lowered = text.to_ascii_lowercase();
                is_hex64(&lowered).then_some($name(lowered))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// What the store keeps.
            pub fn hash(&self) -> TokenHash {
                TokenHash(hex(&Sha256::digest(self.0.as_bytes())))
            }
        }
    };
}

link_token!(
    /// The token of a verification link: 64 lower-case hex digits.
    VerificationToken
);
link_token!(
    /// The token of a documents link (one request's): 64 lower-case hex digits.
    DocumentToken
);

/// The functions' key, once per cold start: the secret named by
/// `IDENTIFIER_KEY_SECRET` (the template sets it), or else the key file in
/// `IDENTIFIER_KEY_DIR` (local runs of the functions). Neither is an error: a
/// function must not make up a key of its own.
#[cfg(feature = "secrets")]
pub async fn from_env(sdk: &aws_config::SdkConfig) -> Result<IdentifierKey, KeyError> {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (set(SECRET_ENV), set(DIR_ENV)) {
        (Some(_), _) => from_secrets_manager(sdk).await,
        (None, Some(dir)) => {
            std::fs::create_dir_all(&dir).map_err(|e| KeyError(format!("{dir}: {e}")))?;
            IdentifierKey::load_or_create(Path::new(&dir))
        }
        (None, None) => Err(KeyError(format!("neither {SECRET_ENV} nor {DIR_ENV} is set"))),
    }
}

/// Reads the secret named by `IDENTIFIER_KEY_SECRET` from Secrets Manager.
#[cfg(feature = "secrets")]
pub async fn from_secrets_manager(sdk: &aws_config::SdkConfig) -> Result<IdentifierKey, KeyError> {
    let name = std::env::var(SECRET_ENV)
        .ok()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| KeyError(format!("{SECRET_ENV} is not set")))?;
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let output = client.get_secret_value().secret_id(&name).send().await.map_err(|error| {
        use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
        KeyError(format!("reading {name}: {}", error.code().unwrap_or("unreachable")))
    })?;
    let secret = output.secret_string().ok_or_else(|| KeyError(format!("{name} has no string value")))?;
    IdentifierKey::from_secret_text(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Field;

    #[test]
    fn keys_are_keyed_labelled_and_case_insensitive() {
        let key = IdentifierKey::for_tests();
        let email = |text| Email::parse_text(Field::Email, text).unwrap();
        let a = key.email(&email("Taro@Example.com"));
        assert_eq!(a, key.email(&email("taro@example.com")));
        assert!(is_hex64(a.as_str()) && !a.as_str().contains("taro"));
        let other = IdentifierKey::from_secret_text(&"s".repeat(40)).unwrap();
        assert_ne!(a, other.email(&email("taro@example.com")), "another secret, another key");
        // Unsalted SHA-256 of the address (the old key) is not what is stored.
        assert_ne!(a.as_str(), hex(&Sha256::digest(b"taro@example.com")));
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        assert_ne!(key.client(ip).as_str(), key.email(&email("203.0.113.9@example.com")).as_str());
        assert!(IdentifierKey::from_secret_text("short").is_err());
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let key = IdentifierKey::for_tests();
        let client = |text: &str| key.client(text.parse().unwrap());
        let one = client("2001:db8:1:2::1");
        for same in ["2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2:abcd::9"] {
            assert_eq!(client(same), one, "{same}");
        }
        for other in ["2001:db8:1:3::1", "2001:db8:2:2::1"] {
            assert_ne!(client(other), one, "{other}");
        }
        // IPv4 stays per address, also IPv4-mapped (not all in ::ffff:0:0/64).
        assert_ne!(client("203.0.113.9"), client("203.0.113.10"));
        assert_eq!(client("::ffff:203.0.113.9"), client("203.0.113.9"));
        assert_ne!(client("::ffff:203.0.113.9"), client("::ffff:203.0.113.10"));
    }

    #[test]
    fn address_counters_are_case_insensitive_and_not_the_reservation() {
        let key = IdentifierKey::for_tests();
        let email = |text| Email::parse_text(Field::Email, text).unwrap();
        let a = key.address(&email("Taro@Example.com"));
        assert_eq!(a, key.address(&email("taro@example.com")));
        assert_ne!(a, key.address(&email("hanako@example.com")));
        assert_ne!(a.as_str(), key.email(&email("taro@example.com")).as_str());
        assert!(is_hex64(a.as_str()));
    }

    #[test]
    fn tokens_parse_strictly_and_hash() {
        let key = IdentifierKey::for_tests();
        let id = ApplicationId::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap();
        let token = key.verification_token(id);
        assert_eq!(token.as_str().len(), 64);
        assert_eq!(VerificationToken::parse(&token.as_str().to_uppercase()), Some(token.clone()));
        assert_ne!(token.hash().as_str(), token.as_str());
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(65), &format!("{} ", token.as_str())] {
            assert_eq!(VerificationToken::parse(bad), None, "{bad}");
        }
        assert_eq!(format!("{token:?}"), "VerificationToken(…)");
        assert_eq!(format!("{key:?}"), "IdentifierKey(…)");
    }

    #[test]
    fn the_key_file_is_made_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = IdentifierKey::load_or_create(dir.path()).unwrap();
        let again = IdentifierKey::load_or_create(dir.path()).unwrap();
        assert_eq!(first.0, again.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
        assert!(IdentifierKey::load_or_create(dir.path()).is_err());
    }
}
