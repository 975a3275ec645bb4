//! The identifiers an application receives: a ULID, a reception number to read
//! out on the phone, and the time of receipt in JST.

use super::Receipt;
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};

/// Japan Standard Time (no daylight saving).
pub const JST: UtcOffset = offset!(+9);

/// Reception numbers use the ten digits and only the capitals that cannot be
/// mistaken for a digit or for one another, on paper or on the phone: no O/Q/D
/// (0), I/L (1), Z (2), S (5), G (6), B (8), no U/V, and no M/N (エム/エヌ).
pub const RECEPTION_ALPHABET: &[u8; 23] = b"0123456789ACEFHJKPRTWXY";

const PREFIX: &str = "PR-";
const GROUPS: usize = 2;
const GROUP_LEN: usize = 4;

/// `PR-XXXX-XXXX`: 12 characters, 23⁸ ≈ 7.8 × 10¹⁰ values.
pub const RECEPTION_NUMBER_LEN: usize = PREFIX.len() + GROUPS * GROUP_LEN + (GROUPS - 1);

impl Receipt {
    /// Fresh identifiers for an application received `now`.
    pub fn issue(now: OffsetDateTime) -> Receipt {
        let millis = (now.unix_timestamp_nanos() / 1_000_000) as u64;
        let since_epoch = std::time::Duration::from_millis(millis);
        let application_id = ulid::Ulid::from_datetime(std::time::UNIX_EPOCH + since_epoch);
        Receipt {
            application_id: application_id.to_string(),
            reception_number: new_reception_number(),
            received_at: format_received_at(now),
        }
    }

    /// Fresh identifiers for an application received now.
    pub fn issue_now() -> Receipt {
        Receipt::issue(OffsetDateTime::now_utc())
    }
}

/// A random reception number, `PR-` and two groups of four.
pub fn new_reception_number() -> String {
    let mut number = String::with_capacity(RECEPTION_NUMBER_LEN);
    number.push_str(PREFIX);
    for group in 0..GROUPS {
        if group > 0 {
            number.push('-');
        }
        for _ in 0..GROUP_LEN {
            let index = rand::random_range(0..RECEPTION_ALPHABET.len());
            number.push(char::from(RECEPTION_ALPHABET[index]));
        }
    }
    number
}

/// True when `s` has the shape of a reception number.
pub fn is_reception_number(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(PREFIX) else {
        return false;
    };
    s.len() == RECEPTION_NUMBER_LEN
        && rest.split('-').count() == GROUPS
        && rest.split('-').all(|g| g.len() == GROUP_LEN && g.bytes().all(|b| RECEPTION_ALPHABET.contains(&b)))
}

/// `2026-11-28T18:30:00+09:00`: whole seconds, JST.
pub fn format_received_at(at: OffsetDateTime) -> String {
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    at.to_offset(JST).format(&format).expect("every JST time formats")
}

/// Reads back a time written by [`format_received_at`].
pub fn parse_received_at(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok().filter(|at| at.offset() == JST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use time::macros::datetime;

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
        let numbers: HashSet<String> = (0..1000).map(|_| new_reception_number()).collect();
        assert!(numbers.len() > 990, "random enough");
        for number in &numbers {
            assert!(number.chars().count() <= 16);
            assert!(is_reception_number(number), "{number}");
        }
        for bad in [
            "",
            "PR-",
            "PR-3479-ACE",
            "PR-3479-ACEO",
            "pr-3479-acef",
            "PX-3479-ACEF",
            "PR-3479ACEF-",
            "PR-3479-ACEF-",
        ] {
            assert!(!is_reception_number(bad), "{bad}");
        }
    }

    #[test]
    fn received_at_is_jst_and_round_trips() {
        let at = datetime!(2026-11-28 09:30:00.123 UTC);
        let text = format_received_at(at);
        assert_eq!(text, "2026-11-28T18:30:00+09:00");
        assert_eq!(parse_received_at(&text), Some(datetime!(2026-11-28 18:30:00 +9)));
        assert_eq!(parse_received_at("2026-11-28T09:30:00Z"), None);
        assert_eq!(parse_received_at("yesterday"), None);
    }

    #[test]
    fn application_ids_sort_by_time() {
        let earlier = Receipt::issue(datetime!(2026-11-28 09:30:00 UTC));
        let later = Receipt::issue(datetime!(2026-11-28 09:30:01 UTC));
        assert!(earlier.application_id < later.application_id);
        assert_eq!(earlier.application_id.len(), 26);
        assert_ne!(earlier.reception_number.len(), 0);
    }
}
