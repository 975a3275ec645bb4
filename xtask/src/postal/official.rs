//! Japan Post's own files, as downloaded from
//! <https://www.post.japanpost.jp/zipcode/download.html>:
//! - `utf_ken_all.csv`: area codes, UTF-8, one line per record, readings in katakana;
//! - `KEN_ALL.CSV`: the same in Shift_JIS, half-width readings, long records split
//!   over several lines;
//! - `JIGYOSYO.CSV`: business codes, Shift_JIS.
//!
//! Both area files have 15 columns, JIGYOSYO 13. The encoding is detected: a file
//! that is not valid UTF-8 is read as Shift_JIS (Windows-31J, as Japan Post writes it).

use super::raw::{RawArea, RawOffice};
use anyhow::{Context, Result, bail};
use std::path::Path;

/// Decodes a Japan Post file to text.
pub fn decode(bytes: &[u8]) -> Result<String> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.strip_prefix('\u{FEFF}').unwrap_or(text).to_owned());
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        bail!("neither UTF-8 nor Shift_JIS");
    }
    Ok(text.into_owned())
}

fn rows(text: &str, columns: usize) -> Result<Vec<csv::StringRecord>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (line, row) in reader.records().enumerate() {
        let row = row.with_context(|| format!("line {}", line + 1))?;
        if row.len() != columns {
            bail!("line {}: {} columns, expected {columns}", line + 1, row.len());
        }
        rows.push(row);
    }
    Ok(rows)
}

/// KEN_ALL.CSV or utf_ken_all.csv. Lines of a split record stay separate: the
/// cleaning stage joins them.
pub fn read_areas(text: &str) -> Result<Vec<RawArea>> {
    let mut areas = Vec::new();
    for row in rows(text, 15)? {
        // Column 14, 更新の表示: 2 is 廃止, which only the monthly difference files hold.
        if &row[13] == "2" {
            continue;
        }
        areas.push(RawArea {
            jis: row[0].to_owned(),
            code: row[2].to_owned(),
            prefecture_kana: row[3].to_owned(),
            city_kana: row[4].to_owned(),
            town_kana: row[5].to_owned(),
            prefecture: row[6].to_owned(),
            city: row[7].to_owned(),
            town: row[8].to_owned(),
            joined_lines: false,
        });
    }
    Ok(areas)
}

/// JIGYOSYO.CSV.
pub fn read_offices(text: &str) -> Result<Vec<RawOffice>> {
    let mut offices = Vec::new();
    for row in rows(text, 13)? {
        // Column 13, 修正コード: 5 is 廃止 (difference files only).
        if &row[12] == "5" {
            continue;
        }
        offices.push(RawOffice {
            jis: row[0].to_owned(),
            name_kana: row[1].to_owned(),
            name: row[2].to_owned(),
            prefecture: row[3].to_owned(),
            city: row[4].to_owned(),
            town: row[5].to_owned(),
            street: row[6].to_owned(),
            code: row[7].to_owned(),
        });
    }
    Ok(offices)
}

pub fn read(ken_all: &Path, jigyosyo: &Path) -> Result<super::raw::RawSource> {
    let load = |path: &Path| -> Result<String> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        decode(&bytes).with_context(|| format!("decoding {}", path.display()))
    };
    Ok(super::raw::RawSource {
        areas: read_areas(&load(ken_all)?).with_context(|| ken_all.display().to_string())?,
        offices: read_offices(&load(jigyosyo)?).with_context(|| jigyosyo.display().to_string())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap()
    }

    #[test]
    fn fixtures_are_in_the_official_encodings() {
        // The Shift_JIS fixtures are real Shift_JIS bytes: 北海道 is 96 6B 8A 43 93 B9.
        let ken_all = fixture("KEN_ALL.CSV");
        assert!(std::str::from_utf8(&ken_all).is_err());
        assert!(ken_all.windows(6).any(|w| w == [0x96, 0x6B, 0x8A, 0x43, 0x93, 0xB9]));
        assert!(ken_all.windows(2).any(|w| w == b"\r\n"));
        assert!(std::str::from_utf8(&fixture("JIGYOSYO.CSV")).is_err());
        assert!(std::str::from_utf8(&fixture("utf_ken_all.csv")).is_ok());
    }

    #[test]
    fn reads_ken_all_lines_as_published() {
        let areas = read_areas(&decode(&fixture("KEN_ALL.CSV")).unwrap()).unwrap();
        let first = &areas[0];
        assert_eq!(
            (first.jis.as_str(), first.code.as_str(), first.prefecture_kana.as_str(), first.town.as_str()),
            ("01101", "0600000", "ﾎｯｶｲﾄﾞｳ", "以下に掲載がない場合")
        );
        let split: Vec<_> = areas.iter().filter(|a| a.code == "6020847").collect();
        assert_eq!(split.len(), 3);
        assert_eq!(split[0].town, "大宮町（今出川通河原町西入、今出川通寺町東入、");
        assert!(areas.iter().all(|a| a.code != "9999999"), "廃止 lines are skipped");
    }

    #[test]
    fn reads_jigyosyo_as_published() {
        let offices = read_offices(&decode(&fixture("JIGYOSYO.CSV")).unwrap()).unwrap();
        let post_office = offices.iter().find(|o| o.code == "1008994").unwrap();
        assert_eq!(
            (post_office.name.as_str(), post_office.name_kana.as_str(), post_office.street.as_str()),
            ("東京中央郵便局", "ﾄｳｷﾖｳﾁﾕｳｵｳﾕｳﾋﾞﾝｷﾖｸ", "２丁目７－２")
        );
        assert!(offices.iter().all(|o| o.code != "1009999"), "廃止 lines are skipped");
    }

    #[test]
    fn rejects_what_is_not_a_japan_post_file() {
        assert!(decode(&[0x82, 0xFF, 0xFF]).is_err());
        assert!(read_areas("01101,\"060  \",\"0600000\"\r\n").is_err());
        assert!(read_offices(&decode(&fixture("KEN_ALL.CSV")).unwrap()).is_err());
    }
}
