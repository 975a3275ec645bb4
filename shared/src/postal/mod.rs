//! The Japan Post table (every area and business code) and its lookup.
//!
//! [`format`](mod@format) defines the table's bytes, written by `xtask
//! import-postal` into `data/postal.bin`; [`Table`] reads them in place and
//! [`kana`] decodes its readings. With the `postal` feature that file is embedded
//! in the binary: [`TABLE`] is built and checked by the compiler, so start-up
//! parses nothing and a table of another layout does not compile. The writer is
//! the importer's (`xtask/src/postal/writer.rs`), so no function links it.

pub mod format;
pub mod kana;
mod reader;

pub use format::{AddressRecord, LAYOUT_VERSION, LayoutError, OfficeRecord};
pub use reader::{Address, Kana, Matches, Office, Table};

#[cfg(feature = "postal")]
mod embedded {
    use super::Table;
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
