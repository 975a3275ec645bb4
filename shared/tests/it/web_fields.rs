//! The browser's copy of the field table and error codes (`web/js/fields.js`)
//! and of the routes (`web/js/routes.js`) are the generated modules, byte for
//! byte: regenerate them with `cargo run -p xtask -- web-fields` after
//! changing the table or `shared/src/routes.rs`.

use shared::browser::{FIELDS_MODULE_PATH, ROUTES_MODULE_PATH, fields_module, routes_module};

#[test]
fn the_committed_fields_module_is_the_generated_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(FIELDS_MODULE_PATH);
    let committed = std::fs::read_to_string(&path).expect("web/js/fields.js exists");
    assert!(
        committed == fields_module(),
        "{FIELDS_MODULE_PATH} differs from the field table: run `cargo run -p xtask -- web-fields`"
    );
}

#[test]
fn the_committed_routes_module_is_the_generated_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(ROUTES_MODULE_PATH);
    let committed = std::fs::read_to_string(&path).expect("web/js/routes.js exists");
    assert!(
        committed == routes_module(),
        "{ROUTES_MODULE_PATH} differs from shared/src/routes.rs: run `cargo run -p xtask -- web-fields`"
    );
}
