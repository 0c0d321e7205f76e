//! `scripts/up` builds the host alone; `scripts/test` builds it with the components and the
//! test crates in one cargo run, which turns on more features of shared dependencies. Unless
//! the host's build turns them on too (the `workspace-hack` crate), cargo compiles wasmtime
//! and cranelift twice, about half of a first `scripts/test`.

use std::collections::BTreeSet;
use std::process::Command;

use wasmart_testing::workspace_root;

/// The compilation units cargo plans for `cargo <args>`: each unit's package, features and
/// profile. `--unit-graph` is unstable, hence RUSTC_BOOTSTRAP (nothing is built).
fn planned_units(args: &[String]) -> BTreeSet<String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .args([
            "--release",
            "--offline",
            "-Z",
            "unstable-options",
            "--unit-graph",
        ])
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(workspace_root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "cargo {args:?}: {stderr}");
    let graph: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    graph["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|unit| unit["mode"] == "build")
        .map(|unit| {
            format!(
                "{} {} {}",
                unit["pkg_id"], unit["features"], unit["profile"]
            )
        })
        .collect()
}

/// `-p NAME` for every package whose tests `scripts/test` runs, as `scripts/lib.sh` lists
/// them.
fn test_packages() -> Vec<String> {
    let output = Command::new("bash")
        .args(["-c", "source scripts/lib.sh && test_packages"])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .map(String::from)
        .collect()
}

#[test]
fn the_test_build_reuses_every_unit_of_the_host_build() {
    let words = |line: &str| line.split(' ').map(String::from).collect::<Vec<_>>();
    let host = planned_units(&words("build -p wasmart-host"));
    let mut test_run = words("test --no-run");
    test_run.extend(test_packages());
    let tests = planned_units(&test_run);

    let rebuilt: Vec<&String> = host.difference(&tests).collect();
    assert!(
        rebuilt.is_empty(),
        "scripts/test would compile these again with other features; add the features to \
         workspace-hack/Cargo.toml: {rebuilt:#?}"
    );
}
