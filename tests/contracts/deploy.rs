//! The deployment manifests under `deploy/` stay valid and in step with `spin.toml`: every
//! Kubernetes object has the envelope every kind shares, every SpinApp passes
//! `deploy/schemas/spinapp.schema.json`, every kustomization names files that exist, every
//! component a SpinApp names exists in `spin.toml` (so renaming one there without updating
//! the manifests fails), the one-app topology runs every component, and the split topology
//! runs each component in exactly one SpinApp.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{components, workspace_root};

/// Every YAML document under `dir`, with the file it came from.
fn documents(dir: &Path) -> Vec<(PathBuf, Value)> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for part in text.split("\n---") {
            let value: Value = serde_norway::from_str(part)
                .unwrap_or_else(|error| panic!("{}: not YAML: {error}", file.display()));
            if !value.is_null() {
                out.push((file.clone(), value));
            }
        }
    }
    out
}

fn validator(schema: &str) -> jsonschema::Validator {
    let path = workspace_root().join("deploy/schemas").join(schema);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap_or_else(|error| panic!("{schema}: {error}"))
}

fn spinkube() -> Vec<(PathBuf, Value)> {
    documents(&workspace_root().join("deploy/spinkube"))
}

/// The component lists of the SpinApps in `file`s whose name matches `keep`.
fn groups(
    documents: &[(PathBuf, Value)],
    keep: impl Fn(&Path) -> bool,
) -> BTreeMap<String, Vec<String>> {
    documents
        .iter()
        .filter(|(file, doc)| keep(file) && doc["kind"] == "SpinApp")
        .map(|(_, doc)| {
            let name = doc["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let components = doc["spec"]["components"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect();
            (name, components)
        })
        .collect()
}

#[test]
fn every_manifest_passes_its_schema() {
    let object = validator("k8s-object.schema.json");
    let spinapp = validator("spinapp.schema.json");
    let mut errors = Vec::new();
    let documents = spinkube();
    assert!(documents.len() >= 10, "only {} documents", documents.len());
    for (file, document) in &documents {
        let name = file
            .strip_prefix(workspace_root())
            .unwrap()
            .display()
            .to_string();
        if document["kind"] == "Kustomization" {
            for resource in document["resources"].as_array().into_iter().flatten() {
                let target = file
                    .parent()
                    .unwrap()
                    .join(resource.as_str().unwrap_or_default());
                if !target.exists() {
                    errors.push(format!("{name}: resource {resource} does not exist"));
                }
            }
            continue;
        }
        let validator = if document["kind"] == "SpinApp" {
            &spinapp
        } else {
            &object
        };
        for error in validator.iter_errors(document) {
            errors.push(format!(
                "{name} {}: {error} at {}",
                document["kind"],
                error.instance_path()
            ));
        }
    }
    assert!(errors.is_empty(), "{errors:#?}");
}

/// Why the SpinApps among `documents` do not fit `spin.toml`: components or variables they
/// name that it lacks.
fn mismatches(documents: &[(PathBuf, Value)]) -> Vec<String> {
    let components: BTreeSet<String> = components().into_iter().collect();
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(workspace_root().join("spin.toml")).unwrap())
            .unwrap();
    let variables: BTreeSet<&String> = manifest["variables"].as_table().unwrap().keys().collect();
    let mut errors = Vec::new();
    for (file, document) in documents.iter().filter(|(_, d)| d["kind"] == "SpinApp") {
        let name = file.file_name().unwrap().to_string_lossy();
        let names = |key: &str, field: Option<&str>| -> Vec<String> {
            document["spec"][key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|item| field.map_or(item, |f| &item[f]).as_str().map(str::to_owned))
                .collect()
        };
        for component in names("components", None) {
            if !components.contains(&component) {
                errors.push(format!("{name}: component {component} is not in spin.toml"));
            }
        }
        for variable in names("variables", Some("name")) {
            if !variables.contains(&variable) {
                errors.push(format!("{name}: variable {variable} is not in spin.toml"));
            }
        }
    }
    errors
}

#[test]
fn spinapps_run_exactly_the_components_and_variables_of_spin_toml() {
    let components: BTreeSet<String> = components().into_iter().collect();
    let documents = spinkube();
    let errors = mismatches(&documents);
    assert!(errors.is_empty(), "{errors:#?}");

    let whole = groups(&documents, |file| file.ends_with("wasmart-all.yaml"));
    let all: BTreeSet<String> = whole.values().flatten().cloned().collect();
    assert_eq!(all, components, "wasmart-all.yaml must run every component");

    let split = groups(&documents, |file| {
        file.parent().is_some_and(|dir| dir.ends_with("split"))
    });
    assert!(
        split.len() >= 3,
        "the split topology has {} SpinApps",
        split.len()
    );
    for component in &components {
        let homes: Vec<&String> = split
            .iter()
            .filter(|(_, members)| members.contains(component))
            .map(|(app, _)| app)
            .collect();
        assert_eq!(
            homes.len(),
            1,
            "{component} runs in {homes:?} of the split topology"
        );
    }
}

#[test]
fn the_checks_catch_a_renamed_component_and_a_typo() {
    let spinapp = validator("spinapp.schema.json");
    let typo: Value = serde_norway::from_str(
        "apiVersion: core.spinkube.dev/v1alpha1\nkind: SpinApp\nmetadata: {name: x}\n\
         spec: {image: i, executor: e, replica: 2}\n",
    )
    .unwrap();
    assert!(!spinapp.is_valid(&typo), "an unknown spec field is refused");
    let both: Value = serde_norway::from_str(
        "apiVersion: core.spinkube.dev/v1alpha1\nkind: SpinApp\nmetadata: {name: x}\n\
         spec: {image: i, executor: e, replicas: 2, enableAutoscaling: true}\n",
    )
    .unwrap();
    assert!(
        !spinapp.is_valid(&both),
        "replicas with autoscaling is refused"
    );
    let documents = vec![(
        PathBuf::from("split/a.yaml"),
        serde_norway::from_str::<Value>(
            "kind: SpinApp\nmetadata: {name: a}\nspec: {components: [catalogue]}\n",
        )
        .unwrap(),
    )];
    assert_eq!(
        mismatches(&documents),
        ["a.yaml: component catalogue is not in spin.toml"],
        "a renamed id is caught"
    );
}

#[test]
fn the_production_runtime_config_covers_every_store_label() {
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(workspace_root().join("spin.toml")).unwrap())
            .unwrap();
    let mut granted: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for component in manifest["component"].as_table().unwrap().values() {
        for (key, table) in [
            ("key_value_stores", "key_value_store"),
            ("sqlite_databases", "sqlite_database"),
        ] {
            for label in component
                .get(key)
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                granted
                    .entry(table)
                    .or_default()
                    .insert(label.as_str().unwrap().to_owned());
            }
        }
    }
    let config: toml::Table = toml::from_str(
        &std::fs::read_to_string(workspace_root().join("deploy/runtime-config.toml")).unwrap(),
    )
    .unwrap();
    for (table, labels) in granted {
        let configured: BTreeSet<String> = config
            .get(table)
            .and_then(|t| t.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(
            configured, labels,
            "[{table}.*] in deploy/runtime-config.toml"
        );
    }
}
