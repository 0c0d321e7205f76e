//! Contracts suite: each built component imports only what its WIT world in `wit/` allows
//! and exports what its world requires, and stays small enough to ship; the architecture
//! map, `spin.cloud.toml` and the deployment manifests under `deploy/` stay in step with
//! `spin.toml`; the set-up steps the scripts share install what is missing, or say how.

#![forbid(unsafe_code)]

mod architecture;
mod build_features;
mod cloud_manifest;
mod deploy;
mod setup;
mod sizes;
mod worlds;

use std::path::PathBuf;

use wasmart_testing::{built_components, workspace_toml};

/// The component ids of the root `spin.toml`.
fn components() -> Vec<String> {
    workspace_toml("spin.toml")["component"]
        .as_table()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// Every component of the root `spin.toml` with its release `.wasm` (built unless
/// `WASMART_COMPONENTS_PREBUILT` is set).
fn built_components_wasm() -> Vec<(String, PathBuf)> {
    let components = components();
    let packages: Vec<&str> = components.iter().map(String::as_str).collect();
    let dir = built_components(&packages);
    components
        .into_iter()
        .map(|component| {
            let wasm = dir.join(format!("{}.wasm", component.replace('-', "_")));
            (component, wasm)
        })
        .collect()
}
