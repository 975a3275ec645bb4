//! The Japan Post table (every area and business code) and its lookup.
//!
//! [`layout`] defines the table's bytes, written by `xtask import-postal` into
//! `data/postal.bin`. With the `postal` feature that file is embedded in the
//! binary and read in place: [`TABLE`] is built and checked by the compiler, so
//! start-up parses nothing and a table of another layout does not compile.

pub mod layout;

pub use layout::{Address, AddressRecord, Kana, Matches, Office, OfficeRecord, Table};

#[cfg(feature = "postal")]
mod embedded {
    use super::layout::Table;
    use crate::domain::PostalCode;

    static BYTES: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/postal.bin"));

    /// The embedded table, checked at compile time.
    pub static TABLE: Table<'static> = match Table::new(BYTES) {
        Ok(table) => table,
        Err(error) => panic!("{}", error.message()),
    };

    /// The month of the embedded data, "YYYY-MM".
    pub const DATA_VERSION: &str = match Table::new(BYTES) {
        Ok(table) => table.data_version(),
        Err(error) => panic!("{}", error.message()),
    };

    /// The embedded table's bytes, for checks of the committed artifact.
    pub fn bytes() -> &'static [u8] {
        BYTES
    }

    /// Every address of `code`; empty when Japan Post does not know it.
    #[inline]
    pub fn lookup(code: &PostalCode) -> super::Matches<'static> {
        TABLE.lookup(code.number())
    }
}

#[cfg(feature = "postal")]
pub use embedded::{DATA_VERSION, TABLE, bytes, lookup};
