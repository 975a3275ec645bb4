//! Fixtures shared by the local server's tests.

use serde_json::Value;

/// The seed's examples as one corporate application: the body of
/// `events/validate-valid.json`, the event the validate tests also use,
/// with `email` (and its confirmation) replaced.
pub fn seed_application(email: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/validate-valid.json");
    let event: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("event file")).expect("JSON");
    let mut application: Value = serde_json::from_str(event["body"].as_str().expect("body")).expect("JSON body");
    application["email"] = Value::from(email);
    application["emailConfirmation"] = Value::from(email);
    application
}
