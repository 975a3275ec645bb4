//! The 取次店コード (terms 第9条) an approved partner receives: issued once, at
//! approval, unique by construction (the store's uniqueness item, as for
//! reception numbers) and never issued again, even after its application is
//! erased.

use super::identifiers::RECEPTION_ALPHABET;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// `TC-XXXX-XXXX` (TC: 取次, *toritsugi*): the reception numbers' alphabet of
/// 23 characters that cannot be mistaken for one another on paper or on the
/// phone, so 23⁸ ≈ 7.8 × 10¹⁰ codes; a random pick collides with one of
/// 100,000 issued codes with a chance of about 1 in 780,000, and the store
/// refuses a taken code, so the caller draws again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartnerCode([u8; PartnerCode::LEN]);

impl PartnerCode {
    const PREFIX: &'static [u8; 3] = b"TC-";
    const GROUP_LEN: usize = 4;
    /// Its length in characters (all ASCII).
    pub const LEN: usize = Self::PREFIX.len() + 2 * Self::GROUP_LEN + 1;

    /// A random code (the store decides whether it is free).
    pub fn random() -> Self {
        let mut bytes = [b'-'; Self::LEN];
        bytes[..Self::PREFIX.len()].copy_from_slice(Self::PREFIX);
        for (index, byte) in bytes.iter_mut().enumerate().skip(Self::PREFIX.len()) {
            if !Self::is_separator(index) {
                *byte = RECEPTION_ALPHABET[rand::random_range(0..RECEPTION_ALPHABET.len())];
            }
        }
        PartnerCode(bytes)
    }

    fn is_separator(index: usize) -> bool {
        index == Self::PREFIX.len() + Self::GROUP_LEN
    }

    pub fn parse(text: &str) -> Option<Self> {
        let bytes: [u8; Self::LEN] = text.as_bytes().try_into().ok()?;
        let well_formed = bytes.starts_with(Self::PREFIX)
            && bytes.iter().enumerate().skip(Self::PREFIX.len()).all(|(index, byte)| {
                if Self::is_separator(index) { *byte == b'-' } else { RECEPTION_ALPHABET.contains(byte) }
            });
        well_formed.then_some(PartnerCode(bytes))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a partner code is ASCII")
    }
}

impl fmt::Display for PartnerCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PartnerCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PartnerCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        PartnerCode::parse(&text).ok_or_else(|| serde::de::Error::custom("not a partner code"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_codes_parse_back_and_use_only_the_alphabet() {
        for _ in 0..1000 {
            let code = PartnerCode::random();
            assert_eq!(PartnerCode::parse(code.as_str()), Some(code));
            assert!(code.as_str().starts_with("TC-") && code.as_str().as_bytes()[7] == b'-');
            assert!(code.as_str()[3..].bytes().all(|b| b == b'-' || RECEPTION_ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "TC-1234-567",
            "TC-1234-56789",
            "PR-1234-5678",
            "TC-12O4-5678",
            "TC-1234_5678",
            "tc-1234-5678",
        ] {
            assert_eq!(PartnerCode::parse(bad), None, "{bad}");
        }
        assert!(PartnerCode::parse("TC-09AC-XY47").is_some());
    }
}
