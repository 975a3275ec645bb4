//! The browser's copy of the field table and error codes (`web/js/fields.js`)
//! is the generated module, byte for byte: regenerate it with
//! `cargo run -p xtask -- web-fields` after changing the table.

use shared::browser::{FIELDS_MODULE_PATH, fields_module};

#[test]
fn the_committed_fields_module_is_the_generated_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(FIELDS_MODULE_PATH);
    let committed = std::fs::read_to_string(&path).expect("web/js/fields.js exists");
    assert!(
        committed == fields_module(),
        "{FIELDS_MODULE_PATH} differs from the field table: run `cargo run -p xtask -- web-fields`"
    );
}
