//! No component can open another service's data: every key-value store and SQLite database
//! label in `spin.toml` belongs to exactly one component, and for every component and every
//! label it does not own, opening that label is refused at run time.

use std::collections::BTreeMap;

use serde_json::json;
use wasmart_testing::{TestApp, TestOptions};

use wasmart_testing::{built_components, workspace_root, workspace_toml};

/// Each component's (key-value labels, SQLite labels), as `spin.toml` grants them.
fn grants() -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let manifest: toml::Table = workspace_toml("spin.toml");
    let labels = |component: &toml::Value, key: &str| -> Vec<String> {
        component
            .get(key)
            .and_then(|v| v.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|l| l.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    manifest["component"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(id, component)| {
            (
                id.clone(),
                (
                    labels(component, "key_value_stores"),
                    labels(component, "sqlite_databases"),
                ),
            )
        })
        .collect()
}

#[test]
fn every_store_belongs_to_exactly_one_component() {
    let mut owners: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (component, (kv, sql)) in grants() {
        for label in kv.iter().map(|l| format!("key-value {l}")) {
            owners.entry(label).or_default().push(component.clone());
        }
        for label in sql.iter().map(|l| format!("sqlite {l}")) {
            owners.entry(label).or_default().push(component.clone());
        }
    }
    assert!(owners.len() >= 8, "{owners:?}");
    for (label, components) in &owners {
        assert_eq!(components.len(), 1, "{label} is shared by {components:?}");
        assert!(
            !label.ends_with(" default"),
            "{label}: no component uses a default store"
        );
    }
}

/// A probe app: the key-value and SQLite conformance fixtures, granted exactly `component`'s
/// labels, with the application's runtime configuration.
async fn probe(dir: &std::path::Path, kv: &[String], sql: &[String]) -> TestApp {
    let wasm = built_components(&["fixture-kv", "fixture-sqlite"]);
    let list = |labels: &[String]| {
        labels
            .iter()
            .map(|l| format!("{l:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let manifest = format!(
        "spin_manifest_version = 2\n[application]\nname = \"probe\"\n\
         [[trigger.http]]\nroute = \"/kv/...\"\ncomponent = \"kv\"\n\
         [[trigger.http]]\nroute = \"/sql/...\"\ncomponent = \"sql\"\n\
         [component.kv]\nsource = '{}'\nkey_value_stores = [{}]\n\
         [component.sql]\nsource = '{}'\nsqlite_databases = [{}]\n",
        wasm.join("fixture_kv.wasm").display(),
        list(kv),
        wasm.join("fixture_sqlite.wasm").display(),
        list(sql),
    );
    let runtime_config = dir.join("runtime-config.toml");
    std::fs::copy(
        workspace_root().join("runtime-config.toml"),
        &runtime_config,
    )
    .unwrap();
    TestApp::start_toml(
        dir,
        &manifest,
        TestOptions {
            runtime_config: Some(runtime_config),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_component_can_open_another_components_stores() {
    let grants = grants();
    let all_kv: Vec<String> = grants.values().flat_map(|(kv, _)| kv.clone()).collect();
    let all_sql: Vec<String> = grants.values().flat_map(|(_, sql)| sql.clone()).collect();
    let mut pairs = 0;
    for (component, (own_kv, own_sql)) in &grants {
        let dir = tempfile::tempdir().unwrap();
        let app = probe(dir.path(), own_kv, own_sql).await;
        for label in all_kv.iter().chain(["default".to_owned()].iter()) {
            let response = app.get(&format!("/kv/open/{label}")).await.unwrap();
            if own_kv.contains(label) {
                assert_eq!(
                    response.status,
                    200,
                    "{component} opens its {label}: {}",
                    response.text()
                );
            } else {
                assert_eq!(response.status, 403, "{component} opened key-value {label}");
                assert_eq!(response.json(), json!({"error": "access-denied"}));
                pairs += 1;
            }
        }
        for label in all_sql.iter().chain(["default".to_owned()].iter()) {
            let response = app
                .request("POST", &format!("/sql/v2/{label}"), &[], "SELECT 1")
                .await
                .unwrap();
            if own_sql.contains(label) {
                assert_eq!(
                    response.status,
                    200,
                    "{component} opens its {label}: {}",
                    response.text()
                );
            } else {
                assert_eq!(response.status, 403, "{component} opened sqlite {label}");
                assert_eq!(response.json(), json!({"error": "access-denied"}));
                pairs += 1;
            }
        }
        app.stop().await.unwrap();
    }
    // 7 components; 3 + default key-value labels and 5 + default SQLite labels, each
    // denied to all but its owner.
    assert!(pairs >= 40, "only {pairs} pairs tried");
}
