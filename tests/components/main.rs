//! The application's own components, run through the host harness: `web` with its static
//! files, and the root `spin.toml` as a whole.

mod web;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The workspace root.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// Builds every component under `components/` once per test process (a no-op when fresh)
/// and returns `<target>/wasm32-wasip2/release`.
fn built_components() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut command =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        command.args(["build", "--quiet", "--target", "wasm32-wasip2", "--release"]);
        for entry in std::fs::read_dir(workspace_root().join("components")).unwrap() {
            command.arg("-p").arg(entry.unwrap().file_name());
        }
        let status = command
            .current_dir(workspace_root())
            .status()
            .expect("running cargo");
        assert!(
            status.success(),
            "building the components failed: {command:?}"
        );
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target"));
        target.join("wasm32-wasip2").join("release")
    })
}
