//! Every component against its WIT world in `wit/`: no import outside the world, no export
//! missing.

use std::collections::BTreeSet;
use std::path::Path;

use wit_parser::{Resolve, WorldItem};

use wasmart_testing::{built_components, workspace_root};

use crate::{built_components_wasm, components};

/// The interfaces a world imports (elaborated: with everything they use) and exports, as
/// `namespace:package/interface@version` names.
struct World {
    imports: BTreeSet<String>,
    exports: BTreeSet<String>,
}

fn world(name: &str) -> World {
    let mut resolve = Resolve::default();
    let (package, _) = resolve
        .push_dir(workspace_root().join("wit"))
        .expect("wit/ parses");
    let id = resolve
        .select_world(&[package], Some(name))
        .unwrap_or_else(|error| panic!("no world {name} in wit/: {error}"));
    let names = |items: &mut dyn Iterator<Item = &WorldItem>| -> BTreeSet<String> {
        items
            .filter_map(|item| match item {
                WorldItem::Interface { id, .. } => resolve.id_of(*id),
                _ => None,
            })
            .collect()
    };
    let world = &resolve.worlds[id];
    World {
        imports: names(&mut world.imports.values()),
        exports: names(&mut world.exports.values()),
    }
}

/// What `wasm` imports and exports.
fn interfaces(wasm: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let engine = wasmtime::Engine::default();
    let component = wasmtime::component::Component::from_file(&engine, wasm)
        .unwrap_or_else(|error| panic!("{}: {error}", wasm.display()));
    let ty = component.component_type();
    let imports = ty
        .imports(&engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    let exports = ty
        .exports(&engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    (imports, exports)
}

/// Why the component at `wasm` does not fit `world` (empty if it does).
fn violations(wasm: &Path, world: &World) -> Vec<String> {
    let (imports, exports) = interfaces(wasm);
    let mut found: Vec<String> = imports
        .difference(&world.imports)
        .map(|name| format!("imports {name}, which its world does not allow"))
        .collect();
    found.extend(
        world
            .exports
            .difference(&exports)
            .map(|name| format!("does not export {name}")),
    );
    found
}

#[test]
fn every_component_stays_inside_its_world() {
    let mut failures = Vec::new();
    for (component, wasm) in built_components_wasm() {
        for problem in violations(&wasm, &world(&component)) {
            failures.push(format!("{component} {problem}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_check_catches_a_capability_outside_the_world() {
    // The key-value fixture imports key-value, which the accounts world does not grant, and
    // exports no Redis handler, which the catalog world requires.
    let dir = built_components(&["fixture-kv"]);
    let wasm = dir.join("fixture_kv.wasm");
    let accounts = violations(&wasm, &world("accounts"));
    assert!(
        accounts
            .iter()
            .any(|v| v.contains("imports fermyon:spin/key-value@2.0.0")),
        "{accounts:?}"
    );
    let catalog = violations(&wasm, &world("catalog"));
    assert!(
        catalog
            .iter()
            .any(|v| v == "does not export fermyon:spin/inbound-redis"),
        "{catalog:?}"
    );
}

#[test]
fn every_world_names_a_component() {
    let components: BTreeSet<String> = components().into_iter().collect();
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_dir(workspace_root().join("wit")).unwrap();
    let shared = ["service-base", "event-consumer"];
    for (_, world) in resolve.worlds.iter() {
        if world.package == Some(package) && !shared.contains(&world.name.as_str()) {
            assert!(
                components.contains(&world.name),
                "world {} has no component in spin.toml",
                world.name
            );
        }
    }
}
