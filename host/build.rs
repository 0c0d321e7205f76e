//! Finds Spin's WIT files inside the `spin-sdk` 5.x crate that the workspace's components
//! depend on, and writes the `bindgen!` invocations that bind them for the host.
//!
//! Nothing from Spin is copied into the repository: the WIT is read from cargo's registry
//! checkout of exactly the `spin-sdk` version that `Cargo.lock` pins.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Spin interfaces the host implements, one world per capability module, and the
/// export of Redis-triggered components.
const HOST_WORLDS: &str = r#"package wasmart:host;

world key-value {
  import fermyon:spin/key-value@2.0.0;
}

world sqlite {
  import fermyon:spin/sqlite@2.0.0;
  import spin:sqlite/sqlite@3.0.0;
}

world variables {
  import fermyon:spin/variables@2.0.0;
}

world redis {
  import fermyon:spin/redis@2.0.0;
}

/// What a Redis-triggered component exports.
world redis-handler {
  export fermyon:spin/inbound-redis;
}
"#;

/// One `bindgen!` file written to `OUT_DIR`: its name, its world, and the host type of each
/// resource (WIT resource, Rust path).
type Binding = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The capability bindings. Each capability module includes its own file, so bindings and
/// implementation live together.
const BINDINGS: &[Binding] = &[
    (
        "key_value.rs",
        "key-value",
        &[(
            "fermyon:spin/key-value@2.0.0.store",
            "crate::capabilities::key_value::StoreHandle",
        )],
    ),
    (
        "sqlite.rs",
        "sqlite",
        &[
            (
                "fermyon:spin/sqlite@2.0.0.connection",
                "crate::capabilities::sqlite::ConnectionHandle",
            ),
            (
                "spin:sqlite/sqlite@3.0.0.connection",
                "crate::capabilities::sqlite::ConnectionHandle",
            ),
        ],
    ),
    ("variables.rs", "variables", &[]),
    (
        "redis.rs",
        "redis",
        &[(
            "fermyon:spin/redis@2.0.0.connection",
            "crate::capabilities::outbound_redis::ConnectionHandle",
        )],
    ),
];

/// The WIT packages under spin-sdk's `wit/deps` that the worlds above need.
fn is_needed_package(dir_name: &str) -> bool {
    dir_name.ends_with("@0.2.0")
        || dir_name.ends_with("2023-10-18")
        || matches!(
            dir_name,
            "spin@2.0.0" | "spin-sqlite@3.0.0" | "spin@unversioned"
        )
}

fn main() {
    let workspace = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.lock").display()
    );
    println!("cargo:rerun-if-changed=build.rs");

    let sdk_wit = spin_sdk_wit_dir(&workspace);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let wit = out.join("wit");
    let _ = std::fs::remove_dir_all(&wit);
    std::fs::create_dir_all(wit.join("deps")).unwrap();
    std::fs::write(wit.join("host.wit"), HOST_WORLDS).unwrap();
    for entry in std::fs::read_dir(sdk_wit.join("deps")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        if is_needed_package(&name) {
            std::os::unix::fs::symlink(entry.path(), wit.join("deps").join(&name)).unwrap();
        }
    }

    write_bindings(&out, &wit);
}

/// Writes one `bindgen!` file per capability world, and the Redis handler's, to `out`.
fn write_bindings(out: &Path, wit: &Path) {
    let wit_path = wit.display().to_string();
    for (file, world, resources) in BINDINGS {
        let with: String = resources
            .iter()
            .map(|(resource, host_type)| format!("{resource:?}: {host_type},\n"))
            .collect();
        let bindings = format!(
            r#"wasmtime::component::bindgen!({{
    path: {wit_path:?},
    world: "wasmart:host/{world}",
    imports: {{ default: async | trappable }},
    with: {{ {with} }},
}});
"#
        );
        std::fs::write(out.join(file), bindings).unwrap();
    }
    let redis_handler = format!(
        r#"wasmtime::component::bindgen!({{
    path: {wit_path:?},
    world: "wasmart:host/redis-handler",
    exports: {{ default: async }},
}});
"#
    );
    std::fs::write(out.join("redis_handler.rs"), redis_handler).unwrap();
}

/// Asks cargo where the locked `spin-sdk` 5.x sources live and returns their `wit/` folder.
fn spin_sdk_wit_dir(workspace: &Path) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(workspace.join("Cargo.toml"))
        .output()
        .expect("running `cargo metadata` to locate spin-sdk");
    assert!(
        output.status.success(),
        "`cargo metadata` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let sdk = packages
        .iter()
        .find(|p| p["name"] == "spin-sdk" && p["version"].as_str().unwrap_or("").starts_with("5."))
        .expect("spin-sdk 5.x is not in the workspace's dependency graph; a component must depend on it");
    let manifest = PathBuf::from(sdk["manifest_path"].as_str().unwrap());
    manifest.parent().unwrap().join("wit")
}
