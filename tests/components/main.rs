//! The application's own components, run through the host harness: each service on its
//! private routes (called the way service chaining calls it), the event flows between them
//! over a real Redis, and `web` with its static files.

mod accounts;
mod alerts;
mod bad_input;
mod browser;
mod cart;
mod catalog;
mod checkout;
mod cloud;
mod events;
mod gateway;
mod hostile;
mod internal_routes;
mod isolation;
mod notifications;
mod observability;
mod orders;
mod payments;
mod processes;
mod split;
mod support;
mod tracing;
mod web;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The workspace root.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// `<target>/wasm32-wasip2/release`, where the components are built.
fn wasm_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("wasm32-wasip2").join("release")
}

/// Builds the named component packages once per test process (a no-op when fresh) and
/// returns [`wasm_dir`]. `WASMART_COMPONENTS_PREBUILT=1` skips the build (`scripts/test`
/// builds everything up front).
fn built_components(packages: &[&str]) -> PathBuf {
    static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = built.get_or_insert_with(HashSet::new);
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|package| !built.contains(*package))
        .collect();
    if missing.is_empty() || std::env::var_os("WASMART_COMPONENTS_PREBUILT").is_some() {
        return wasm_dir();
    }
    let mut command =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(["build", "--quiet", "--target", "wasm32-wasip2", "--release"]);
    for package in &missing {
        command.arg("-p").arg(package);
    }
    let status = command
        .current_dir(workspace_root())
        .status()
        .expect("running cargo");
    assert!(status.success(), "building {missing:?} failed: {command:?}");
    built.extend(missing.iter().map(|package| package.to_string()));
    wasm_dir()
}
