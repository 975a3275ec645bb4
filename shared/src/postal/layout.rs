//! The binary layout of the postal table: written once by the importer
//! (`xtask import-postal`), embedded in the binary and read in place, without
//! any parsing at start-up.
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
//! Readings are stored in [`kana`] encoding (one byte per katakana instead of
//! three), which keeps the binary under its size budget; every other string is UTF-8.

use std::fmt;

pub const MAGIC: [u8; 8] = *b"JPPOSTAL";
/// Bump on any change to the layout above; the reader refuses other versions at compile time.
pub const LAYOUT_VERSION: u16 = 1;
pub const HEADER_LEN: usize = 48;
/// Codes are bucketed by their first three digits.
pub const BUCKETS: usize = 1000;
const OFFICE_BIT: u32 = 1 << 31;

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
                "postal table: written for another layout version; regenerate it with `cargo run -p xtask -- import-postal`"
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

/// A business office (大口事業所 or 私書箱) behind an individual code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OfficeRecord {
    pub name: String,
    pub name_kana: String,
    /// 小字・丁目・番地 and building, after the town.
    pub street: String,
}

/// One address of a postal code: what the importer's cleaning stage produces and
/// what [`Table`] gives back. Readings are full-width katakana.
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

/// "YYYY-MM" in the first 7 bytes, NUL padding after.
const fn data_version_of(field: &[u8]) -> Result<&str, LayoutError> {
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
        if u16_at(header, 8) != LAYOUT_VERSION {
            return Err(LayoutError::OtherLayoutVersion);
        }
        let data_version = tri!(data_version_of(header.split_at(12).1.split_at(8).0));
        let entries = u32_at(header, 20) as usize;
        let codes = u32_at(header, 24);
        let municipalities = u32_at(header, 28) as usize;
        let pool_len = u32_at(header, 32) as usize;
        let area_codes = u32_at(header, 36);
        let office_codes = u32_at(header, 40);

        let (buckets, rest) = tri!(take::<4>(rest, BUCKETS + 1));
        let (lows, rest) = tri!(take::<2>(rest, entries));
        let (munis, rest) = tri!(take::<2>(rest, entries));
        let (blobs, rest) = tri!(take::<4>(rest, entries));
        let (muni_blobs, pool) = tri!(take::<4>(rest, municipalities));
        if pool.len() != pool_len || u32::from_le_bytes(buckets[BUCKETS]) as usize != entries {
            return Err(LayoutError::BadSectionSizes);
        }
        Ok(Table { data_version, area_codes, office_codes, codes, buckets, lows, munis, blobs, muni_blobs, pool })
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

/// One byte per character for readings: ASCII as itself, U+30A0..=U+30FF
/// (katakana, ・, ー) as 0x80..=0xDF, anything else as 0xFF then its UTF-8 bytes.
pub mod kana {
    const KATAKANA_BASE: u32 = 0x30A0;
    const ESCAPE: u8 = 0xFF;

    pub fn encode(text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() / 2);
        for c in text.chars() {
            match c as u32 {
                0..=0x7F => out.push(c as u8),
                cp @ KATAKANA_BASE..=0x30FF => out.push(0x80 + (cp - KATAKANA_BASE) as u8),
                _ => {
                    out.push(ESCAPE);
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
            }
        }
        out
    }

    /// Hands the UTF-8 text to `write` in chunks, without allocating.
    pub fn decode<E>(bytes: &[u8], mut write: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
        let mut buf = [0u8; 96];
        let mut len = 0;
        let mut i = 0;
        while i < bytes.len() {
            if len + 4 > buf.len() {
                write(std::str::from_utf8(&buf[..len]).expect("decoded kana is UTF-8"))?;
                len = 0;
            }
            let b = bytes[i];
            i += 1;
            match b {
                0..=0x7F => {
                    buf[len] = b;
                    len += 1;
                }
                ESCAPE => {
                    let width = utf8_width(bytes.get(i).copied().unwrap_or(0));
                    let end = (i + width).min(bytes.len());
                    buf[len..len + (end - i)].copy_from_slice(&bytes[i..end]);
                    len += end - i;
                    i = end;
                }
                _ => {
                    let c = char::from_u32(KATAKANA_BASE + u32::from(b - 0x80)).unwrap_or('\u{FFFD}');
                    len += c.encode_utf8(&mut buf[len..]).len();
                }
            }
        }
        write(std::str::from_utf8(&buf[..len]).unwrap_or("\u{FFFD}"))
    }

    fn utf8_width(lead: u8) -> usize {
        match lead {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        }
    }
}

/// Writes `records` as a table. Records are grouped by code (stable: each code
/// keeps its records' order); identical strings are stored once.
pub fn write(data_version: &str, records: &[AddressRecord]) -> Result<Vec<u8>, String> {
    let version = data_version.as_bytes();
    let mut version_field = [0u8; 8];
    if version.len() != 7 {
        return Err(format!("data version {data_version:?} is not YYYY-MM"));
    }
    version_field[..7].copy_from_slice(version);
    data_version_of(&version_field).map_err(|e| e.to_string())?;

    let mut sorted: Vec<&AddressRecord> = records.iter().collect();
    sorted.sort_by_key(|r| r.code);
    if let Some(r) = sorted.iter().find(|r| r.code > 9_999_999) {
        return Err(format!("code {} has more than 7 digits", r.code));
    }

    let mut pool = Pool::default();
    let mut muni_index: std::collections::HashMap<[&str; 4], u16> = Default::default();
    let mut muni_blobs: Vec<u32> = Vec::new();
    let mut buckets = vec![0u32; BUCKETS + 1];
    let (mut lows, mut munis, mut blobs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut codes, mut area_codes, mut office_codes) = (0u32, 0u32, 0u32);
    let mut previous: Option<(u32, bool)> = None;

    for r in &sorted {
        let key = [r.prefecture.as_str(), &r.city, &r.prefecture_kana, &r.city_kana];
        let muni = match muni_index.get(&key) {
            Some(&m) => m,
            None => {
                let m = u16::try_from(muni_blobs.len()).map_err(|_| "over 65,536 municipalities".to_string())?;
                let blob = pool.intern(&[
                    r.prefecture.as_bytes(),
                    r.city.as_bytes(),
                    &kana::encode(&r.prefecture_kana),
                    &kana::encode(&r.city_kana),
                ])?;
                muni_blobs.push(blob);
                muni_index.insert(key, m);
                m
            }
        };
        let town = [r.town.as_bytes(), &kana::encode(&r.town_kana)];
        let blob = match &r.office {
            None => pool.intern(&town)?,
            Some(o) => {
                let office = [o.street.as_bytes(), o.name.as_bytes(), &kana::encode(&o.name_kana)];
                pool.intern(&[&town[..], &office[..]].concat())? | OFFICE_BIT
            }
        };
        let is_office = r.office.is_some();
        match previous {
            Some((code, was_office)) if code == r.code => {
                if was_office != is_office {
                    return Err(format!("code {:07} is both an area and an office code", r.code));
                }
            }
            _ => {
                codes += 1;
                if is_office { office_codes += 1 } else { area_codes += 1 }
            }
        }
        previous = Some((r.code, is_office));
        buckets[(r.code / 10_000) as usize + 1] += 1;
        lows.push((r.code % 10_000) as u16);
        munis.push(muni);
        blobs.push(blob);
    }
    for b in 1..=BUCKETS {
        buckets[b] += buckets[b - 1];
    }

    let entries = u32::try_from(lows.len()).map_err(|_| "too many entries")?;
    let mut out = Vec::with_capacity(HEADER_LEN + lows.len() * 8 + pool.bytes.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&LAYOUT_VERSION.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&version_field);
    for n in [entries, codes, muni_blobs.len() as u32, pool.len()?, area_codes, office_codes, 0] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    debug_assert_eq!(out.len(), HEADER_LEN);
    buckets.iter().for_each(|n| out.extend_from_slice(&n.to_le_bytes()));
    lows.iter().for_each(|n| out.extend_from_slice(&n.to_le_bytes()));
    munis.iter().for_each(|n| out.extend_from_slice(&n.to_le_bytes()));
    blobs.iter().for_each(|n| out.extend_from_slice(&n.to_le_bytes()));
    muni_blobs.iter().for_each(|n| out.extend_from_slice(&n.to_le_bytes()));
    out.extend_from_slice(&pool.bytes);
    Ok(out)
}

/// Length-prefixed strings, each distinct blob stored once.
#[derive(Default)]
struct Pool {
    bytes: Vec<u8>,
    index: std::collections::HashMap<Vec<u8>, u32>,
}

impl Pool {
    fn intern(&mut self, fields: &[&[u8]]) -> Result<u32, String> {
        let mut blob = Vec::new();
        for field in fields {
            let len = u8::try_from(field.len())
                .map_err(|_| format!("a field is over 255 bytes: {}", String::from_utf8_lossy(field)))?;
            blob.push(len);
            blob.extend_from_slice(field);
        }
        if let Some(&offset) = self.index.get(&blob) {
            return Ok(offset);
        }
        let offset = self.len()?;
        if offset & OFFICE_BIT != 0 {
            return Err("the string pool is over 2 GiB".into());
        }
        self.bytes.extend_from_slice(&blob);
        self.index.insert(blob, offset);
        Ok(offset)
    }

    fn len(&self) -> Result<u32, String> {
        u32::try_from(self.bytes.len()).map_err(|_| "the string pool is over 4 GiB".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(code: u32, town: &str, town_kana: &str) -> AddressRecord {
        AddressRecord {
            code,
            prefecture: "大阪府".into(),
            city: "大阪市北区".into(),
            town: town.into(),
            prefecture_kana: "オオサカフ".into(),
            city_kana: "オオサカシキタク".into(),
            town_kana: town_kana.into(),
            office: None,
        }
    }

    fn office(code: u32) -> AddressRecord {
        AddressRecord {
            code,
            prefecture: "東京都".into(),
            city: "千代田区".into(),
            town: "丸の内".into(),
            prefecture_kana: "トウキョウト".into(),
            city_kana: "チヨダク".into(),
            town_kana: "マルノウチ".into(),
            office: Some(OfficeRecord {
                name: "東京中央郵便局".into(),
                name_kana: "トウキヨウチユウオウユウビンキヨク".into(),
                street: "2丁目7-2".into(),
            }),
        }
    }

    fn sample() -> Vec<AddressRecord> {
        vec![
            record(5300011, "大深町", "オオフカチョウ"),
            office(1008994),
            record(5300001, "梅田", "ウメダ"),
            record(5300011, "", ""),
            record(9999999, "(株)𠮷野家・ヴ", "(カブ)ヨシノヤ・ヴ"),
            record(0, "零", "ゼロ"),
        ]
    }

    #[test]
    fn round_trip_keeps_every_record_in_order() {
        let records = sample();
        let bytes = write("2026-10", &records).unwrap();
        let table = Table::new(&bytes).unwrap();
        assert_eq!(table.data_version(), "2026-10");
        assert_eq!(table.code_counts(), (4, 1, 5));
        let mut expected = records.clone();
        expected.sort_by_key(|r| r.code);
        let read: Vec<_> = table.iter().map(|(code, a)| a.to_record(code)).collect();
        assert_eq!(read, expected);
        let found: Vec<_> = table.lookup(5300011).map(|a| a.to_record(5300011)).collect();
        assert_eq!(found, [records[0].clone(), records[3].clone()]);
        assert_eq!(table.lookup(1008994).next().unwrap().office().unwrap().name, "東京中央郵便局");
        for missing in [5300012, 5300000, 1, 10_000_000, u32::MAX] {
            assert_eq!(table.lookup(missing).len(), 0, "{missing}");
        }
    }

    #[test]
    fn writing_is_deterministic_and_interns_strings() {
        let records = sample();
        let once = write("2026-10", &records).unwrap();
        assert_eq!(once, write("2026-10", &records).unwrap());
        let mut doubled = records.clone();
        doubled.extend(records.iter().map(|r| AddressRecord { code: r.code ^ 1, ..r.clone() }));
        let twice = write("2026-10", &doubled).unwrap();
        // Twice the entries (8 bytes each), but no new strings.
        assert_eq!(twice.len() - once.len(), records.len() * 8);
    }

    #[test]
    fn other_layouts_are_refused() {
        let bytes = write("2026-10", &sample()).unwrap();
        let mut other = bytes.clone();
        other[8] = LAYOUT_VERSION as u8 + 1;
        assert_eq!(Table::new(&other).unwrap_err(), LayoutError::OtherLayoutVersion);
        let mut other = bytes.clone();
        other[0] = b'X';
        assert_eq!(Table::new(&other).unwrap_err(), LayoutError::BadMagic);
        let mut other = bytes.clone();
        other[12..19].copy_from_slice(b"2026/10");
        assert_eq!(Table::new(&other).unwrap_err(), LayoutError::BadDataVersion);
        assert_eq!(Table::new(&bytes[..bytes.len() - 1]).unwrap_err(), LayoutError::BadSectionSizes);
        assert_eq!(Table::new(&bytes[..10]).unwrap_err(), LayoutError::TooShort);
        assert!(write("202610", &sample()).is_err());
    }

    #[test]
    fn kana_encoding_round_trips_any_text() {
        for text in ["", "オオフカチョウ", "(カブ) ニホン・ケイザイ", "キタ1ジョウニシ", "ヴァ、ヶ𠮷ー", &"ア".repeat(500)] {
            let encoded = kana::encode(text);
            let mut decoded = String::new();
            kana::decode(&encoded, |s| {
                decoded.push_str(s);
                Ok::<_, ()>(())
            })
            .unwrap();
            assert_eq!(decoded, text);
        }
        assert_eq!(kana::encode("オオフカチョウ").len(), 7);
    }

    #[test]
    fn overlong_fields_are_refused() {
        let long = record(1, &"あ".repeat(100), "");
        assert!(write("2026-10", &[long]).unwrap_err().contains("over 255 bytes"));
    }
}
