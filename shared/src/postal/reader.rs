//! The table read in place: [`Table`] over the embedded bytes and its views
//! ([`Matches`], [`Address`], [`Office`], [`Kana`]), which decode a field only
//! when it is asked for, so a lookup allocates nothing.

use super::format::{
    AddressRecord, BUCKETS, DATA_VERSION_LEN, HEADER_LEN, LAYOUT_VERSION, LayoutError, MAGIC, OFFICE_BIT,
    OfficeRecord, data_version_of, offset,
};
use super::kana;
use std::fmt;

/// A table read in place from its bytes. Building one only checks the header and
/// slices the sections: `const`, so the embedded table is checked at compile time.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    data_version: &'a str,
    area_codes: u32,
    office_codes: u32,
    codes: u32,
    buckets: &'a [[u8; 4]],
    lows: &'a [[u8; 2]],
    munis: &'a [[u8; 2]],
    blobs: &'a [[u8; 4]],
    muni_blobs: &'a [[u8; 4]],
    pool: &'a [u8],
}

const fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

const fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Splits `n` fixed-width items off the front of `rest`.
const fn take<const N: usize>(rest: &[u8], n: usize) -> Result<(&[[u8; N]], &[u8]), LayoutError> {
    let Some(len) = n.checked_mul(N) else {
        return Err(LayoutError::BadSectionSizes);
    };
    if len > rest.len() {
        return Err(LayoutError::BadSectionSizes);
    }
    let (section, rest) = rest.split_at(len);
    Ok((section.as_chunks::<N>().0, rest))
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Err(e),
        }
    };
}

impl<'a> Table<'a> {
    pub const fn new(bytes: &'a [u8]) -> Result<Table<'a>, LayoutError> {
        if bytes.len() < HEADER_LEN {
            return Err(LayoutError::TooShort);
        }
        let (header, rest) = bytes.split_at(HEADER_LEN);
        let mut i = 0;
        while i < MAGIC.len() {
            if header[i] != MAGIC[i] {
                return Err(LayoutError::BadMagic);
            }
            i += 1;
        }
        if u16_at(header, offset::LAYOUT_VERSION) != LAYOUT_VERSION {
            return Err(LayoutError::OtherLayoutVersion);
        }
        // Always there: `format` checks at compile time that the fields fit the header.
        let Some(version_field) = header.split_at(offset::DATA_VERSION).1.first_chunk::<DATA_VERSION_LEN>()
        else {
            return Err(LayoutError::TooShort);
        };
        let data_version = tri!(data_version_of(version_field));
        let entries = u32_at(header, offset::ENTRIES) as usize;
        let codes = u32_at(header, offset::CODES);
        let municipalities = u32_at(header, offset::MUNICIPALITIES) as usize;
        let pool_len = u32_at(header, offset::POOL_LEN) as usize;
        let area_codes = u32_at(header, offset::AREA_CODES);
        let office_codes = u32_at(header, offset::OFFICE_CODES);

        let (buckets, rest) = tri!(take::<4>(rest, BUCKETS + 1));
        let (lows, rest) = tri!(take::<2>(rest, entries));
        let (munis, rest) = tri!(take::<2>(rest, entries));
        let (blobs, rest) = tri!(take::<4>(rest, entries));
        let (muni_blobs, pool) = tri!(take::<4>(rest, municipalities));
        if pool.len() != pool_len || u32::from_le_bytes(buckets[BUCKETS]) as usize != entries {
            return Err(LayoutError::BadSectionSizes);
        }
        Ok(Table {
            data_version,
            area_codes,
            office_codes,
            codes,
            buckets,
            lows,
            munis,
            blobs,
            muni_blobs,
            pool,
        })
    }

    /// The month of Japan Post's data, "YYYY-MM".
    pub const fn data_version(&self) -> &'a str {
        self.data_version
    }

    /// Distinct codes: area codes, office codes, and both together.
    pub const fn code_counts(&self) -> (u32, u32, u32) {
        (self.area_codes, self.office_codes, self.codes)
    }

    pub const fn entry_count(&self) -> usize {
        self.lows.len()
    }

    /// Every address of `code` (0..=9_999_999), in the source's order; empty for
    /// an unknown code.
    #[inline]
    pub fn lookup(&self, code: u32) -> Matches<'a> {
        let table = *self;
        let bucket = (code / 10_000) as usize;
        if bucket >= BUCKETS {
            return Matches { table, next: 0, end: 0 };
        }
        let low = (code % 10_000) as u16;
        let start = u32::from_le_bytes(self.buckets[bucket]) as usize;
        let end = u32::from_le_bytes(self.buckets[bucket + 1]) as usize;
        let Some(lows) = self.lows.get(start..end) else {
            return Matches { table, next: 0, end: 0 };
        };
        let first = lows.partition_point(|l| u16::from_le_bytes(*l) < low);
        let count = lows[first..].iter().take_while(|l| u16::from_le_bytes(**l) == low).count();
        Matches { table, next: start + first, end: start + first + count }
    }

    /// Every entry of the table, in code order, with its code.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Address<'a>)> + '_ {
        let table = *self;
        (0..BUCKETS).flat_map(move |bucket| {
            let start = u32::from_le_bytes(table.buckets[bucket]) as usize;
            let end = u32::from_le_bytes(table.buckets[bucket + 1]) as usize;
            (start..end).map(move |index| {
                let code = bucket as u32 * 10_000 + u32::from(u16::from_le_bytes(table.lows[index]));
                (code, Address { table, index })
            })
        })
    }

    /// The `n`th length-prefixed string of the blob at `offset`.
    fn field(&self, offset: usize, n: usize) -> &'a [u8] {
        let mut at = offset;
        for _ in 0..n {
            at += 1 + usize::from(self.pool[at]);
        }
        let len = usize::from(self.pool[at]);
        &self.pool[at + 1..at + 1 + len]
    }
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("the postal table holds UTF-8 (checked by its round-trip test)")
}

/// The addresses of one code.
#[derive(Debug, Clone)]
pub struct Matches<'a> {
    table: Table<'a>,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Matches<'a> {
    type Item = Address<'a>;

    fn next(&mut self) -> Option<Address<'a>> {
        (self.next < self.end).then(|| {
            self.next += 1;
            Address { table: self.table, index: self.next - 1 }
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Matches<'_> {}

/// One address, read from the table on access.
#[derive(Debug, Clone, Copy)]
pub struct Address<'a> {
    table: Table<'a>,
    index: usize,
}

impl<'a> Address<'a> {
    fn muni_field(&self, n: usize) -> &'a [u8] {
        let muni = usize::from(u16::from_le_bytes(self.table.munis[self.index]));
        self.table.field(u32::from_le_bytes(self.table.muni_blobs[muni]) as usize, n)
    }

    fn blob(&self) -> u32 {
        u32::from_le_bytes(self.table.blobs[self.index])
    }

    fn own_field(&self, n: usize) -> &'a [u8] {
        self.table.field((self.blob() & !OFFICE_BIT) as usize, n)
    }

    pub fn prefecture(&self) -> &'a str {
        text(self.muni_field(0))
    }
    pub fn city(&self) -> &'a str {
        text(self.muni_field(1))
    }
    pub fn prefecture_kana(&self) -> Kana<'a> {
        Kana(self.muni_field(2))
    }
    pub fn city_kana(&self) -> Kana<'a> {
        Kana(self.muni_field(3))
    }
    /// 町域; empty where the code covers the whole city (以下に掲載がない場合).
    pub fn town(&self) -> &'a str {
        text(self.own_field(0))
    }
    pub fn town_kana(&self) -> Kana<'a> {
        Kana(self.own_field(1))
    }
    pub fn office(&self) -> Option<Office<'a>> {
        (self.blob() & OFFICE_BIT != 0).then(|| Office {
            street: text(self.own_field(2)),
            name: text(self.own_field(3)),
            name_kana: Kana(self.own_field(4)),
        })
    }

    /// An owned copy, for comparisons.
    pub fn to_record(&self, code: u32) -> AddressRecord {
        AddressRecord {
            code,
            prefecture: self.prefecture().to_owned(),
            city: self.city().to_owned(),
            town: self.town().to_owned(),
            prefecture_kana: self.prefecture_kana().to_string(),
            city_kana: self.city_kana().to_string(),
            town_kana: self.town_kana().to_string(),
            office: self.office().map(|office| OfficeRecord {
                name: office.name.to_owned(),
                name_kana: office.name_kana.to_string(),
                street: office.street.to_owned(),
            }),
        }
    }
}

/// The business office behind an individual code.
#[derive(Debug, Clone, Copy)]
pub struct Office<'a> {
    pub name: &'a str,
    pub name_kana: Kana<'a>,
    /// 番地 and building after the town.
    pub street: &'a str,
}

/// A reading in [`kana`] encoding; `Display` and `Serialize` write it as UTF-8.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Kana<'a>(&'a [u8]);

impl Kana<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Kana<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        kana::decode(self.0, |s| f.write_str(s))
    }
}

impl fmt::Debug for Kana<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

impl PartialEq<&str> for Kana<'_> {
    fn eq(&self, other: &&str) -> bool {
        // Piece by piece, without decoding into a String first.
        let mut rest = *other;
        let matched = kana::decode(self.0, |piece| match rest.strip_prefix(piece) {
            Some(after) => {
                rest = after;
                Ok(())
            }
            None => Err(()),
        });
        matched.is_ok() && rest.is_empty()
    }
}

impl serde::Serialize for Kana<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest table, written by hand from the diagram in `format` rather than
    /// by the writer (whose round trips are tested in xtask): a header, the bucket
    /// ends, and no entries, municipalities or pool.
    fn empty_table() -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(b"JPPOSTAL");
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(b"2026-10\0");
        bytes.extend_from_slice(&[0; 7 * 4]);
        assert_eq!(bytes.len(), HEADER_LEN);
        bytes.extend_from_slice(&[0; (BUCKETS + 1) * 4]);
        bytes
    }

    #[test]
    fn an_empty_table_reads_as_empty() {
        let bytes = empty_table();
        let table = Table::new(&bytes).unwrap();
        assert_eq!(table.data_version(), "2026-10");
        assert_eq!((table.code_counts(), table.entry_count()), ((0, 0, 0), 0));
        assert_eq!(table.iter().count(), 0);
        for code in [0, 5300011, 9_999_999, 10_000_000, u32::MAX] {
            assert_eq!(table.lookup(code).len(), 0, "{code}");
        }
    }

    #[test]
    fn headers_of_other_layouts_are_refused() {
        let bytes = empty_table();
        assert_eq!(Table::new(&bytes[..HEADER_LEN - 1]).unwrap_err(), LayoutError::TooShort);
        assert_eq!(Table::new(&bytes[..HEADER_LEN]).unwrap_err(), LayoutError::BadSectionSizes);
        let mut other = bytes.clone();
        other[7] = b'X';
        assert_eq!(Table::new(&other).unwrap_err(), LayoutError::BadMagic);
        let mut other = bytes.clone();
        other[8] = 2;
        assert_eq!(Table::new(&other).unwrap_err(), LayoutError::OtherLayoutVersion);
        let mut other = bytes.clone();
        other[19] = b' ';
        assert_eq!(Table::new(&other).unwrap_err(), LayoutError::BadDataVersion);
        let mut other = bytes.clone();
        other[20] = 1; // one entry, but no room for it
        assert_eq!(Table::new(&other).unwrap_err(), LayoutError::BadSectionSizes);
    }
}
