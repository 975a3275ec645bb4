//! The identifiers of an application, each parsed once at the edge (a request
//! header, a stored item, a stream image) and trusted everywhere after: mail
//! headers, file names, keys and logs take these types, never a `String`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};

/// Implements `Display`, `Serialize` and `Deserialize` (through `parse`) for an
/// identifier that has `as_str`-like text.
macro_rules! text_identifier {
    ($name:ident, $what:literal) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_text())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                $name::parse(&text).ok_or_else(|| serde::de::Error::custom(concat!("not ", $what)))
            }
        }
    };
}

/// Declares an identifier that is a ULID (sortable by creation time), read
/// back only in its canonical spelling: one id, one key.
macro_rules! ulid_identifier {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(ulid::Ulid);

        impl $name {
            /// The canonical 26 characters of Crockford base 32 (upper case only).
            pub fn parse(text: &str) -> Option<Self> {
                if text.bytes().any(|b| b.is_ascii_lowercase()) {
                    return None;
                }
                ulid::Ulid::from_string(text).ok().map($name)
            }

            fn to_text(self) -> String {
                self.0.to_string()
            }
        }

        text_identifier!($name, $what);
    };
}

ulid_identifier!(
    /// An application's identifier: a ULID, so that ids sort by time of receipt.
    ApplicationId,
    "an application id"
);

impl ApplicationId {
    /// A new identifier for an application received at `at` (millisecond precision).
    pub fn new(at: OffsetDateTime) -> Self {
        let millis = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let since_epoch = std::time::Duration::from_millis(millis);
        ApplicationId(ulid::Ulid::from_datetime(std::time::UNIX_EPOCH + since_epoch))
    }
}

ulid_identifier!(
    /// A notice's identifier: the record of a submission for an address that
    /// already has a verified application, which only sends a mail.
    NoticeId,
    "a notice id"
);

ulid_identifier!(
    /// A document's identifier (one uploaded file of a request), which also
    /// names its object in storage: nothing the applicant typed is in a key.
    DocumentId,
    "a document id"
);

impl DocumentId {
    pub fn new() -> Self {
        DocumentId(ulid::Ulid::from_datetime(std::time::SystemTime::now()))
    }
}

impl Default for DocumentId {
    fn default() -> Self {
        DocumentId::new()
    }
}

ulid_identifier!(
    /// An operator's note's identifier (time first, so notes sort as they were written).
    NoteId,
    "a note id"
);

impl NoteId {
    /// A new id, later than every id this process made before.
    pub fn new() -> Self {
        static GENERATOR: std::sync::Mutex<ulid::Generator> = std::sync::Mutex::new(ulid::Generator::new());
        let mut generator = GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        NoteId(
            generator.generate().unwrap_or_else(|_| ulid::Ulid::from_datetime(std::time::SystemTime::now())),
        )
    }
}

impl Default for NoteId {
    fn default() -> Self {
        NoteId::new()
    }
}

ulid_identifier!(
    /// An audit entry's identifier: a ULID, so entries made in one second still sort.
    AuditId,
    "an audit entry id"
);

impl AuditId {
    /// A new id, later than every id this process made before (ULIDs of one
    /// millisecond are otherwise in random order, and the audit lists by id).
    pub fn new() -> Self {
        static GENERATOR: std::sync::Mutex<ulid::Generator> = std::sync::Mutex::new(ulid::Generator::new());
        let mut generator = GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        AuditId(
            generator.generate().unwrap_or_else(|_| ulid::Ulid::from_datetime(std::time::SystemTime::now())),
        )
    }
}

impl Default for AuditId {
    fn default() -> Self {
        AuditId::new()
    }
}

impl NoticeId {
    pub fn new() -> Self {
        NoticeId(ulid::Ulid::from_datetime(std::time::SystemTime::now()))
    }
}

impl Default for NoticeId {
    fn default() -> Self {
        NoticeId::new()
    }
}

/// Reception numbers use the ten digits and only the capitals that cannot be
/// mistaken for a digit or for one another, on paper or on the phone: no O/Q/D
/// (0), I/L (1), Z (2), S (5), G (6), B (8), no U/V, and no M/N (エム/エヌ).
pub const RECEPTION_ALPHABET: &[u8; 23] = b"0123456789ACEFHJKPRTWXY";

/// `PR-XXXX-XXXX`: short, unambiguous, meant to be read out on the phone;
/// 23⁸ ≈ 7.8 × 10¹⁰ values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceptionNumber([u8; ReceptionNumber::LEN]);

impl ReceptionNumber {
    const PREFIX: &'static [u8; 3] = b"PR-";
    const GROUPS: usize = 2;
    const GROUP_LEN: usize = 4;
    /// Its length in characters (all ASCII).
    pub const LEN: usize = Self::PREFIX.len() + Self::GROUPS * Self::GROUP_LEN + (Self::GROUPS - 1);

    /// A random reception number.
    pub fn random() -> Self {
        let mut bytes = [b'-'; Self::LEN];
        bytes[..Self::PREFIX.len()].copy_from_slice(Self::PREFIX);
        for (index, byte) in bytes.iter_mut().enumerate().skip(Self::PREFIX.len()) {
            if !Self::is_separator(index) {
                *byte = RECEPTION_ALPHABET[rand::random_range(0..RECEPTION_ALPHABET.len())];
            }
        }
        ReceptionNumber(bytes)
    }

    /// Positions of the hyphens after the prefix.
    fn is_separator(index: usize) -> bool {
        let offset = index - Self::PREFIX.len();
        (offset + 1).is_multiple_of(Self::GROUP_LEN + 1)
    }

    pub fn parse(text: &str) -> Option<Self> {
        let bytes: [u8; Self::LEN] = text.as_bytes().try_into().ok()?;
        let well_formed = bytes.starts_with(Self::PREFIX)
            && bytes.iter().enumerate().skip(Self::PREFIX.len()).all(|(index, byte)| {
                if Self::is_separator(index) { *byte == b'-' } else { RECEPTION_ALPHABET.contains(byte) }
            });
        well_formed.then_some(ReceptionNumber(bytes))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a reception number is ASCII")
    }

    fn to_text(self) -> String {
        self.as_str().to_owned()
    }
}

text_identifier!(ReceptionNumber, "a reception number");

/// Japan Standard Time (no daylight saving).
pub const JST: UtcOffset = offset!(+9);

/// A moment as this system records it (received, verified, expires): whole seconds, in JST. Its text
/// (`2026-11-28T18:30:00+09:00`) sorts as time does, which the status index uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// `at`, truncated to the second, in JST.
    pub fn new(at: OffsetDateTime) -> Self {
        let at = at.to_offset(JST);
        Timestamp(at.replace_nanosecond(0).expect("0 is a valid nanosecond"))
    }

    pub fn now() -> Self {
        Timestamp::new(OffsetDateTime::now_utc())
    }

    /// Reads back the text [`Timestamp`] writes: RFC 3339 with `+09:00`.
    pub fn parse(text: &str) -> Option<Self> {
        let at = OffsetDateTime::parse(text, &Rfc3339).ok().filter(|at| at.offset() == JST)?;
        (at.nanosecond() == 0).then_some(Timestamp(at))
    }

    pub fn time(self) -> OffsetDateTime {
        self.0
    }

    /// Seconds since the Unix epoch (DynamoDB's TTL attribute).
    pub fn epoch(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The moment of `epoch` (seconds since the Unix epoch), if representable.
    pub fn from_epoch(epoch: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(epoch).ok().map(Timestamp::new)
    }

    /// `seconds` later.
    pub fn plus_secs(self, seconds: i64) -> Self {
        Timestamp(self.0 + time::Duration::seconds(seconds))
    }

    /// `2026年11月28日 18:30:05(日本時間)`, for mails.
    pub fn japanese(self) -> String {
        let at = self.0;
        format!(
            "{}年{}月{}日 {:02}:{:02}:{:02}(日本時間)",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        )
    }

    fn to_text(self) -> String {
        let format = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
        );
        self.0.format(&format).expect("every JST time formats")
    }
}

text_identifier!(Timestamp, "an RFC 3339 time in JST");

/// The client's name for one submission attempt (header `Idempotency-Key`): 16
/// to 128 ASCII letters, digits and `-_.:`. Long enough not to collide between
/// applicants (a UUID has 36 characters), short enough for a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const LEN: std::ops::RangeInclusive<usize> = 16..=128;

    pub fn parse(text: &str) -> Option<Self> {
        let well_formed = Self::LEN.contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        well_formed.then(|| IdempotencyKey(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn to_text(&self) -> String {
        self.0.clone()
    }
}

text_identifier!(IdempotencyKey, "an idempotency key");

/// What an idempotent request asked, as a digest: a replay under the same
/// [`IdempotencyKey`] must carry the same. Made only by
/// [`crate::keyed::IdentifierKey::request_hash`] (keyed, so a stored record
/// cannot be matched against a guessed request), from the request as
/// normalised, so equal requests hash alike however they were typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestHash(String);

impl RequestHash {
    /// A digest as stored (64 lower-case hex digits), or `None`.
    pub fn parse(text: &str) -> Option<Self> {
        crate::keyed::is_hex64(text).then(|| RequestHash(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use time::macros::datetime;

    #[test]
    fn request_hashes_parse_back_and_nothing_else_does() {
        let hash = crate::keyed::IdentifierKey::for_tests().request_hash(b"abc");
        assert_eq!(RequestHash::parse(hash.as_str()), Some(hash.clone()));
        assert_eq!(RequestHash::parse(&hash.as_str().to_uppercase()), None);
        assert_eq!(RequestHash::parse(&hash.as_str()[1..]), None);
        assert_eq!(RequestHash::parse("another request"), None);
    }

    #[test]
    fn alphabet_has_no_look_alikes_or_duplicates() {
        let set: HashSet<u8> = RECEPTION_ALPHABET.iter().copied().collect();
        assert_eq!(set.len(), RECEPTION_ALPHABET.len());
        for confusable in b"OQDILZSGBUVMN" {
            assert!(!set.contains(confusable), "{}", char::from(*confusable));
        }
    }

    #[test]
    fn reception_numbers_are_short_well_formed_and_varied() {
        let numbers: HashSet<ReceptionNumber> = (0..1000).map(|_| ReceptionNumber::random()).collect();
        assert!(numbers.len() > 990, "random enough");
        for number in &numbers {
            assert_eq!(number.as_str().len(), 12);
            assert_eq!(ReceptionNumber::parse(number.as_str()), Some(*number), "{number}");
        }
        assert!(ReceptionNumber::parse("PR-3479-ACEF").is_some());
        for bad in [
            "",
            "PR-",
            "PR-3479-ACE",
            "PR-3479-ACEO",
            "pr-3479-acef",
            "PX-3479-ACEF",
            "PR-3479ACEF-",
            "PR-3479-ACEF-",
            "PR-34790ACEF",
        ] {
            assert_eq!(ReceptionNumber::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn received_at_is_jst_whole_seconds_and_round_trips() {
        let at = Timestamp::new(datetime!(2026-11-28 09:30:00.123 UTC));
        assert_eq!(at.to_string(), "2026-11-28T18:30:00+09:00");
        assert_eq!(Timestamp::parse(&at.to_string()), Some(at));
        assert_eq!(at.time(), datetime!(2026-11-28 18:30:00 +9));
        assert_eq!(at.japanese(), "2026年11月28日 18:30:00(日本時間)");
        for bad in ["2026-11-28T09:30:00Z", "yesterday", "2026-11-28T18:30:00.5+09:00"] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn application_ids_sort_by_time_and_have_one_spelling() {
        let earlier = ApplicationId::new(datetime!(2026-11-28 09:30:00 UTC));
        let later = ApplicationId::new(datetime!(2026-11-28 09:30:01 UTC));
        assert!(earlier < later && earlier.to_string() < later.to_string());
        assert_eq!(earlier.to_string().len(), 26);
        assert_eq!(ApplicationId::parse(&earlier.to_string()), Some(earlier));
        assert_eq!(ApplicationId::parse(&earlier.to_string().to_lowercase()), None);
        assert_eq!(ApplicationId::parse("A\r\nBcc: x@example.com"), None);
        // Crockford's look-alikes (I, L, O, U) are not in a canonical ULID.
        for alias in
            ["01ARZ3NDEKTSV4RRFFQ69G5FAI", "01ARZ3NDEKTSV4RRFFQ69G5FAL", "01ARZ3NDEKTSV4RRFFQ69G5FAO"]
        {
            assert_eq!(ApplicationId::parse(alias), None, "{alias}");
        }
    }

    #[test]
    fn idempotency_keys() {
        let uuid = "7f6c1d5e-9b1a-4c8e-8f3e-2a1b3c4d5e6f";
        assert_eq!(IdempotencyKey::parse(uuid).unwrap().as_str(), uuid);
        for bad in ["short", "has space in the key!", "キーキーキーキーキーキーキーキー", &"k".repeat(129)]
        {
            assert_eq!(IdempotencyKey::parse(bad), None, "{bad}");
        }
        assert!(IdempotencyKey::parse(&"k".repeat(128)).is_some());
    }

    #[test]
    fn identifiers_are_json_strings() {
        let number = ReceptionNumber::parse("PR-3479-ACEF").unwrap();
        assert_eq!(serde_json::to_value(number).unwrap(), "PR-3479-ACEF");
        let back: ReceptionNumber = serde_json::from_value(serde_json::json!("PR-3479-ACEF")).unwrap();
        assert_eq!(back, number);
        assert!(serde_json::from_value::<ReceptionNumber>(serde_json::json!("PR-OOOO-OOOO")).is_err());
    }
}
