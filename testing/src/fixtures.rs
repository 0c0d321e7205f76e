//! The conformance suite's guest fixtures: every folder under `tests/conformance/fixtures/`
//! is a crate named `fixture-<folder>`, built (once per test process, by
//! [`built_components`](crate::built_components)) into
//! `<target>/wasm32-wasip2/release/fixture_<folder>.wasm`.

use std::path::PathBuf;

use crate::workspace::{built_components, workspace_root};

/// `tests/conformance/`.
pub fn conformance_dir() -> PathBuf {
    workspace_root().join("tests").join("conformance")
}

/// The fixture names: the folders under `conformance/fixtures/`, sorted.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(conformance_dir().join("fixtures"))
        .expect("reading conformance/fixtures")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The absolute path of fixture `name`'s component; builds all fixtures on first use.
pub fn wasm(name: &str) -> PathBuf {
    let known = names();
    assert!(
        known.iter().any(|known| known == name),
        "no fixture {name:?}; known: {known:?}"
    );
    let packages: Vec<String> = known.iter().map(|n| format!("fixture-{n}")).collect();
    let packages: Vec<&str> = packages.iter().map(String::as_str).collect();
    let path = built_components(&packages).join(format!("fixture_{}.wasm", name.replace('-', "_")));
    assert!(
        path.is_file(),
        "{} is missing; build the fixtures first, from {}: cargo build --target wasm32-wasip2 \
         --release {}",
        path.display(),
        workspace_root().display(),
        packages
            .iter()
            .map(|p| format!("-p {p}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    path
}

/// Fixture `name`'s component path as a TOML literal string, for a manifest's `source`.
pub fn source(name: &str) -> String {
    format!("'{}'", wasm(name).display())
}
