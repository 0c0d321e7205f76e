//! Builds the guest fixtures (once per test process) and locates their components.
//!
//! Every folder under `conformance/fixtures/` is a crate named `fixture-<folder>`. The
//! first call to [`wasm`] runs, from the workspace root:
//!
//! ```text
//! cargo build --target wasm32-wasip2 --release -p fixture-<a> -p fixture-<b> ...
//! ```
//!
//! and takes the `.wasm` paths from cargo's JSON messages. With
//! `WASMART_FIXTURES_PREBUILT=1` nothing is built: the components must already be in
//! `<target>/wasm32-wasip2/release/fixture_<name>.wasm`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Fixture name -> absolute path of its component, or why they could not be built.
static BUILT: OnceLock<Result<BTreeMap<String, PathBuf>, String>> = OnceLock::new();

/// The workspace root (where the root `Cargo.toml` is). Every crate that includes this
/// module (`tests/`, and `host/` for its CLI tests) sits one level below it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

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

/// The cargo arguments that build every fixture.
pub fn build_args() -> Vec<String> {
    let mut args: Vec<String> = ["build", "--target", "wasm32-wasip2", "--release"]
        .map(String::from)
        .to_vec();
    for name in names() {
        args.push("-p".into());
        args.push(format!("fixture-{name}"));
    }
    args
}

/// The absolute path of fixture `name`'s component; builds all fixtures on first use.
pub fn wasm(name: &str) -> PathBuf {
    match BUILT.get_or_init(build_all) {
        Ok(built) => built.get(name).cloned().unwrap_or_else(|| {
            panic!(
                "no fixture {name:?}; known: {:?}",
                built.keys().collect::<Vec<_>>()
            )
        }),
        Err(message) => panic!("{message}"),
    }
}

/// Fixture `name`'s component path as a TOML literal string, for a manifest's `source`.
pub fn source(name: &str) -> String {
    format!("'{}'", wasm(name).display())
}

fn build_all() -> Result<BTreeMap<String, PathBuf>, String> {
    let command = format!("cargo {}", build_args().join(" "));
    if std::env::var_os("WASMART_FIXTURES_PREBUILT").is_some() {
        return prebuilt(&command);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut child = Command::new(cargo)
        .args(build_args())
        .arg("--message-format=json-render-diagnostics")
        .current_dir(workspace_root())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run `{command}`: {e}"))?;
    let mut built = BTreeMap::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(crate_name) = message["target"]["name"].as_str() else {
            continue;
        };
        let wasm = message["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
            .find(|f| f.ends_with(".wasm"));
        if let (Some(name), Some(wasm)) = (crate_name.strip_prefix("fixture_"), wasm) {
            built.insert(name.to_owned(), PathBuf::from(wasm));
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!(
            "building the fixtures failed ({status}): `{command}`"
        ));
    }
    // Cargo names crates with `_`; fixtures are looked up by folder name.
    Ok(names()
        .into_iter()
        .filter_map(|name| Some((name.clone(), built.get(&name.replace('-', "_"))?.clone())))
        .collect())
}

fn prebuilt(command: &str) -> Result<BTreeMap<String, PathBuf>, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let release = target.join("wasm32-wasip2").join("release");
    names()
        .into_iter()
        .map(|name| {
            let path = release.join(format!("fixture_{}.wasm", name.replace('-', "_")));
            if path.is_file() {
                Ok((name, path))
            } else {
                Err(format!(
                    "WASMART_FIXTURES_PREBUILT is set but {} is missing; \
                     build the fixtures first, from {}: `{command}`",
                    path.display(),
                    workspace_root().display()
                ))
            }
        })
        .collect()
}

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
