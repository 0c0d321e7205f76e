//! Contract tests: each built component imports only what its WIT world in `wit/` allows,
//! and exports what its world requires; and each stays small enough to ship. The set-up
//! steps the scripts share install what is missing, or say how.

mod architecture;
mod build_features;
mod cloud_manifest;
mod deploy;
mod setup;
mod sizes;
mod worlds;

use std::path::{Path, PathBuf};

/// The workspace root.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// `<target>/wasm32-wasip2/release`, after building `packages` (unless
/// `WASMART_COMPONENTS_PREBUILT` is set).
fn built(packages: &[&str]) -> PathBuf {
    if std::env::var_os("WASMART_COMPONENTS_PREBUILT").is_none() {
        let mut command =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        command.args(["build", "--quiet", "--target", "wasm32-wasip2", "--release"]);
        for package in packages {
            command.arg("-p").arg(package);
        }
        let status = command.current_dir(workspace_root()).status().unwrap();
        assert!(status.success(), "building {packages:?} failed");
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("wasm32-wasip2")
        .join("release")
}

/// The component ids of the root `spin.toml`.
fn components() -> Vec<String> {
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(workspace_root().join("spin.toml")).unwrap())
            .unwrap();
    manifest["component"]
        .as_table()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}
