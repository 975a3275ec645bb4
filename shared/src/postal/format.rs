//! The binary layout of the postal table: written once by the importer
//! (`xtask import-postal`), embedded in the binary and read in place, without
//! any parsing at start-up.
//!
//! This module is what the writer (`xtask/src/postal/writer.rs`) and the reader
//! ([`Table`](super::Table)) must agree on, so that neither can drift from the
//! other: the constants, where each header field lives, the checks of the data
//! version, and the records that go in and come back out.
//!
//! All integers are little-endian and read byte-wise, so the table needs no
//! alignment (`include_bytes!` guarantees none).
//!
//! ```text
//! header   48 bytes  magic "JPPOSTAL", layout version (u16), reserved (u16),
//!                    data version ("2026-10", 8 bytes, NUL-padded),
//!                    entries, codes, municipalities, pool length (u32 each),
//!                    area codes, office codes (u32 each), reserved (4 bytes)
//! buckets  1001 × u32   first entry of each 3-digit prefix (000..=999), then the end
//! lows     E × u16      the last 4 digits of each entry's code, sorted within a bucket
//! munis    E × u16      each entry's municipality
//! blobs    E × u32      each entry's blob in the pool; bit 31 marks a business office
//! muni     M × u32      each municipality's blob in the pool
//! pool     bytes        length-prefixed (u8) strings, interned:
//!                         municipality: prefecture, city, prefecture kana, city kana
//!                         area:         town, town kana
//!                         office:       town, town kana, street, name, name kana
//! ```
//!
//! Readings are stored in [`kana`](super::kana) encoding (one byte per katakana
//! instead of three), which keeps the binary under its size budget; every other
//! string is UTF-8.

use std::fmt;

pub const MAGIC: [u8; 8] = *b"JPPOSTAL";
/// Bump on any change to the layout above; the reader refuses other versions at compile time.
pub const LAYOUT_VERSION: u16 = 1;
pub const HEADER_LEN: usize = 48;
/// Codes are bucketed by their first three digits.
pub const BUCKETS: usize = 1000;
/// Marks an entry's blob as a business office's. Taken from the offset's top bit,
/// so the writer must keep the pool under 2 GiB.
pub const OFFICE_BIT: u32 = 1 << 31;
/// The data version field: "YYYY-MM" and one NUL.
pub const DATA_VERSION_LEN: usize = 8;

/// Where each header field starts (the magic is at 0), named once so that the
/// writer puts every count where the reader looks for it.
pub mod offset {
    /// u16.
    pub const LAYOUT_VERSION: usize = 8;
    /// [`DATA_VERSION_LEN`](super::DATA_VERSION_LEN) bytes.
    pub const DATA_VERSION: usize = 12;
    /// u32 each, from here on.
    pub const ENTRIES: usize = 20;
    pub const CODES: usize = 24;
    pub const MUNICIPALITIES: usize = 28;
    pub const POOL_LEN: usize = 32;
    pub const AREA_CODES: usize = 36;
    pub const OFFICE_CODES: usize = 40;
}

// The header's fields, in order, each after the one before and all within the header.
const _: () = assert!(
    MAGIC.len() <= offset::LAYOUT_VERSION
        && offset::LAYOUT_VERSION + 2 <= offset::DATA_VERSION
        && offset::DATA_VERSION + DATA_VERSION_LEN <= offset::ENTRIES
        && offset::ENTRIES + 4 <= offset::CODES
        && offset::CODES + 4 <= offset::MUNICIPALITIES
        && offset::MUNICIPALITIES + 4 <= offset::POOL_LEN
        && offset::POOL_LEN + 4 <= offset::AREA_CODES
        && offset::AREA_CODES + 4 <= offset::OFFICE_CODES
        && offset::OFFICE_CODES + 4 <= HEADER_LEN
);

/// Why bytes are not a table of this layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutError {
    TooShort,
    BadMagic,
    OtherLayoutVersion,
    BadDataVersion,
    BadSectionSizes,
}

impl LayoutError {
    pub const fn message(self) -> &'static str {
        match self {
            LayoutError::TooShort => "postal table: shorter than its header",
            LayoutError::BadMagic => "postal table: bad magic (not a JPPOSTAL table)",
            LayoutError::OtherLayoutVersion => {
                "postal table: written for another layout version; \
                 regenerate it with `cargo run -p xtask -- import-postal`"
            }
            LayoutError::BadDataVersion => "postal table: data version is not YYYY-MM",
            LayoutError::BadSectionSizes => "postal table: section sizes do not match its length",
        }
    }
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for LayoutError {}

/// The data version field's text: "YYYY-MM" in the first 7 bytes, NUL padding
/// after. One check for both sides: the writer refuses what the reader would.
pub const fn data_version_of(field: &[u8; DATA_VERSION_LEN]) -> Result<&str, LayoutError> {
    let (version, padding) = field.split_at(7);
    let shape = b"0000-00";
    let mut i = 0;
    while i < 7 {
        let ok = if shape[i] == b'-' { version[i] == b'-' } else { version[i].is_ascii_digit() };
        if !ok {
            return Err(LayoutError::BadDataVersion);
        }
        i += 1;
    }
    if padding[0] != 0 {
        return Err(LayoutError::BadDataVersion);
    }
    match std::str::from_utf8(version) {
        Ok(version) => Ok(version),
        Err(_) => Err(LayoutError::BadDataVersion),
    }
}

/// A business office (大口事業所 or 私書箱) behind an individual code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OfficeRecord {
    pub name: String,
    pub name_kana: String,
    /// 小字・丁目・番地 and building, after the town.
    pub street: String,
}

/// One address of a postal code: what the importer's cleaning stage produces and
/// what [`Table`](super::Table) gives back. Readings are full-width katakana.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddressRecord {
    /// The seven digits as a number (0600000 is 600000).
    pub code: u32,
    pub prefecture: String,
    pub city: String,
    pub town: String,
    pub prefecture_kana: String,
    pub city_kana: String,
    pub town_kana: String,
    pub office: Option<OfficeRecord>,
}
