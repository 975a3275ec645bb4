//! The table's writer: cleaned records → the bytes of `data/postal.bin`, in the
//! layout of [`shared::postal::format`]. It lives in the importer, not in
//! `shared`, because only the importer writes tables: the functions embed one and
//! only read it ([`shared::postal::Table`]).

use shared::postal::format::{
    AddressRecord, BUCKETS, DATA_VERSION_LEN, HEADER_LEN, LAYOUT_VERSION, MAGIC, OFFICE_BIT, data_version_of,
    offset,
};
use shared::postal::kana::{ESCAPE, KATAKANA_BASE, KATAKANA_LAST};

/// Writes `records` as a table. Records are grouped by code (stable: each code
/// keeps its records' order); identical strings are stored once.
pub fn write(data_version: &str, records: &[AddressRecord]) -> Result<Vec<u8>, String> {
    let version = data_version.as_bytes();
    let mut version_field = [0u8; DATA_VERSION_LEN];
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
                let m =
                    u16::try_from(muni_blobs.len()).map_err(|_| "over 65,536 municipalities".to_string())?;
                let blob = pool.intern(&[
                    r.prefecture.as_bytes(),
                    r.city.as_bytes(),
                    &encode_kana(&r.prefecture_kana),
                    &encode_kana(&r.city_kana),
                ])?;
                muni_blobs.push(blob);
                muni_index.insert(key, m);
                m
            }
        };
        let town = [r.town.as_bytes(), &encode_kana(&r.town_kana)];
        let blob = match &r.office {
            None => pool.intern(&town)?,
            Some(o) => {
                let office = [o.street.as_bytes(), o.name.as_bytes(), &encode_kana(&o.name_kana)];
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
    let municipalities = muni_blobs.len() as u32;
    let mut header = [0u8; HEADER_LEN];
    let mut put = |at: usize, bytes: &[u8]| header[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &MAGIC);
    put(offset::LAYOUT_VERSION, &LAYOUT_VERSION.to_le_bytes());
    put(offset::DATA_VERSION, &version_field);
    for (at, n) in [
        (offset::ENTRIES, entries),
        (offset::CODES, codes),
        (offset::MUNICIPALITIES, municipalities),
        (offset::POOL_LEN, pool.len()?),
        (offset::AREA_CODES, area_codes),
        (offset::OFFICE_CODES, office_codes),
    ] {
        put(at, &n.to_le_bytes());
    }
    let mut out = Vec::with_capacity(HEADER_LEN + lows.len() * 8 + pool.bytes.len());
    out.extend_from_slice(&header);
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

/// A reading in the table's one-byte encoding ([`shared::postal::kana`], which
/// decodes it). Here rather than there, since only the writer encodes.
fn encode_kana(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 2);
    for c in text.chars() {
        match c as u32 {
            0..=0x7F => out.push(c as u8),
            cp @ KATAKANA_BASE..=KATAKANA_LAST => out.push(0x80 + (cp - KATAKANA_BASE) as u8),
            _ => {
                out.push(ESCAPE);
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::postal::format::{LayoutError, OfficeRecord};
    use shared::postal::{Table, kana};

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
        for text in [
            "",
            "オオフカチョウ",
            "(カブ) ニホン・ケイザイ",
            "キタ1ジョウニシ",
            "ヴァ、ヶ𠮷ー",
            &"ア".repeat(500),
        ] {
            let encoded = encode_kana(text);
            let mut decoded = String::new();
            kana::decode(&encoded, |s| {
                decoded.push_str(s);
                Ok::<_, ()>(())
            })
            .unwrap();
            assert_eq!(decoded, text);
        }
        assert_eq!(encode_kana("オオフカチョウ").len(), 7);
    }

    #[test]
    fn overlong_fields_are_refused() {
        let long = record(1, &"あ".repeat(100), "");
        assert!(write("2026-10", &[long]).unwrap_err().contains("over 255 bytes"));
    }
}
