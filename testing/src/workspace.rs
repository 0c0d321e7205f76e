//! Where the workspace and its build output are, and building what a test runs once per
//! test process.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Set (as `scripts/test` does after building everything up front) to skip every build:
/// what a test runs must then already be in [`target_dir`].
pub const PREBUILT: &str = "WASMART_COMPONENTS_PREBUILT";

/// The workspace root (where the root `Cargo.toml` is).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("wasmart-testing sits one level below the workspace root")
}

/// Cargo's target dir: `CARGO_TARGET_DIR`, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// `<target>/wasm32-wasip2/release`, where the components and fixtures are built.
pub fn wasm_dir() -> PathBuf {
    target_dir().join("wasm32-wasip2").join("release")
}

/// Builds the named packages for `wasm32-wasip2` in release, each at most once per test
/// process (a no-op for cargo when fresh), and returns [`wasm_dir`].
pub fn built_components(packages: &[&str]) -> PathBuf {
    let args = ["--target", "wasm32-wasip2", "--release"];
    let packages: Vec<String> = packages.iter().map(|p| p.to_string()).collect();
    build_once(&args, &packages);
    wasm_dir()
}

/// `<target>/release/wasmart`, built once per test process.
pub fn host_binary() -> PathBuf {
    build_once(
        &["--release", "--bin", "wasmart"],
        &["wasmart-host".to_owned()],
    );
    target_dir().join("release").join("wasmart")
}

/// Runs `cargo build --quiet <args> -p <package>...` from the workspace root for the
/// packages not yet built with these `args` by this process; panics if the build fails.
/// Does nothing when [`PREBUILT`] is set. Concurrent callers wait for each other.
fn build_once(args: &[&str], packages: &[String]) {
    static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    if std::env::var_os(PREBUILT).is_some() {
        return;
    }
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = built.get_or_insert_with(HashSet::new);
    let key = |package: &String| format!("{} {package}", args.join(" "));
    let missing: Vec<&String> = packages
        .iter()
        .filter(|p| !built.contains(&key(p)))
        .collect();
    if missing.is_empty() {
        return;
    }
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(["build", "--quiet"]).args(args);
    for package in &missing {
        command.arg("-p").arg(package);
    }
    let status = command
        .current_dir(workspace_root())
        .status()
        .unwrap_or_else(|error| panic!("running {command:?}: {error}"));
    assert!(
        status.success(),
        "building {missing:?} failed ({status}): {command:?}; or build everything first and \
         set {PREBUILT}=1"
    );
    built.extend(missing.into_iter().map(key));
}

/// The workspace's TOML file `relative` (e.g. `spin.toml`), parsed; panics if it is not.
pub fn workspace_toml(relative: &str) -> toml::Table {
    let path = workspace_root().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    toml::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_root_holds_the_workspace_manifest() {
        let manifest = workspace_toml("Cargo.toml");
        let members = manifest["workspace"]["members"].as_array().unwrap();
        assert!(members.iter().any(|m| m.as_str() == Some("testing")));
    }
}
