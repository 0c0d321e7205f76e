//! Every guest fixture (`fixtures/*`, located and built by `wasmart_testing::fixtures`) is
//! used by a test of this suite.

use wasmart_testing::fixtures::{conformance_dir, names};

/// Every fixture folder must be used by some test: its name must appear as
/// `source("<name>")` or `wasm("<name>")` in a test module (this file aside).
#[test]
fn every_fixture_has_a_test() {
    let mut sources = String::new();
    for entry in std::fs::read_dir(conformance_dir()).unwrap() {
        let path = entry.unwrap().path();
        let is_test_module = path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "fixtures.rs");
        if is_test_module {
            sources.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    let untested: Vec<String> = names()
        .into_iter()
        .filter(|name| {
            !sources.contains(&format!("source(\"{name}\")"))
                && !sources.contains(&format!("wasm(\"{name}\")"))
        })
        .collect();
    assert!(untested.is_empty(), "fixtures without a test: {untested:?}");
    assert!(
        names().len() >= 10,
        "expected the 10 fixtures, found {:?}",
        names()
    );
}
