//! The harness against a real `lambda_http` process: the hello binary of this package.

use std::path::Path;
use xtask::coldstart::{Subject, measure};

#[test]
fn measures_a_real_lambda_http_process() {
    let event =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/postal-5300011.json")).unwrap();
    let subject = Subject {
        name: "hello".into(),
        binary: env!("CARGO_BIN_EXE_hello").into(),
        event: event.into(),
        env: vec![],
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let samples = runtime.block_on(measure(&[subject], 2, false, &[])).unwrap();
    assert_eq!(samples[0].len(), 2);
    for sample in &samples[0] {
        assert!(sample.init < sample.first_response, "{sample:?}");
        assert!(sample.peak_rss_kib > 0, "{sample:?}");
    }
}
