//! Every component of `spin.toml` ships as a release `.wasm` under 2 MB (see
//! `scripts/release` and the table in `docs/performance.md`).

use crate::built_components_wasm;

/// The most a component's release `.wasm` may weigh.
const LIMIT_BYTES: u64 = 2 * 1024 * 1024;

#[test]
fn every_release_component_is_under_two_megabytes() {
    let mut too_large = Vec::new();
    for (component, wasm) in built_components_wasm() {
        let bytes = std::fs::metadata(&wasm)
            .unwrap_or_else(|error| panic!("{}: {error}", wasm.display()))
            .len();
        println!("{component}: {bytes} bytes");
        if bytes > LIMIT_BYTES {
            too_large.push(format!("{component}: {bytes} bytes"));
        }
    }
    assert!(
        too_large.is_empty(),
        "over the {LIMIT_BYTES}-byte limit: {too_large:?}"
    );
}
