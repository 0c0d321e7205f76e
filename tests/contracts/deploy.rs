//! The deployment manifests under `deploy/` stay valid and in step with `spin.toml`: every
//! Kubernetes object has the envelope every kind shares, every SpinApp passes
//! `deploy/schemas/spinapp.schema.json`, every kustomization names files that exist, every
//! component a SpinApp names exists in `spin.toml` (so renaming one there without updating
//! the manifests fails), the one-app topology runs every component, and the split topology
//! runs each component in exactly one SpinApp. Every SpinApp sets exactly the variables its
//! components need (a secret only where a component reads it), and a SpinApp whose
//! components call a service running in another SpinApp points them at that SpinApp's
//! Service and the service's internal route.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use wasmart_testing::{workspace_root, workspace_toml};

use crate::components;

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
    let manifest: toml::Table = workspace_toml("spin.toml");
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

/// The `{{ name }}`s a `spin.toml` template refers to.
fn template_names(template: &str) -> Vec<String> {
    template
        .split("{{")
        .skip(1)
        .filter_map(|part| part.split_once("}}"))
        .map(|(name, _)| name.trim().to_owned())
        .collect()
}

/// Every string inside `value` (a TOML table, array or string).
fn strings(value: &toml::Value) -> Vec<&str> {
    match value {
        toml::Value::String(text) => vec![text.as_str()],
        toml::Value::Array(items) => items.iter().flat_map(strings).collect(),
        toml::Value::Table(table) => table.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// What `spin.toml` says about application variables and who uses them.
struct SpinVariables {
    /// `required = true` variables.
    required: BTreeSet<String>,
    /// `secret = true` variables.
    secret: BTreeSet<String>,
    /// Component id -> the application variables its `[component.<id>.variables]` values
    /// and `allowed_outbound_hosts` name.
    read_by: BTreeMap<String, BTreeSet<String>>,
    /// Component id -> the application variables the application-level settings of its
    /// trigger types name (`[application.trigger.redis] address` -> `redis_host`). Their
    /// defaults are for one machine, so a SpinApp running the component must set them.
    trigger_needs: BTreeMap<String, BTreeSet<String>>,
    /// Component id -> the services it calls: `<svc>` for each component variable
    /// `<svc>_url` whose value names `<svc>_origin`.
    calls: BTreeMap<String, BTreeSet<String>>,
    /// Component id -> the prefix of its HTTP route (`/internal/catalog` for
    /// `/internal/catalog/...`).
    route_prefix: BTreeMap<String, String>,
}

impl SpinVariables {
    fn load() -> Self {
        let manifest: toml::Table = workspace_toml("spin.toml");
        let mut required = BTreeSet::new();
        let mut secret = BTreeSet::new();
        for (name, declaration) in manifest["variables"].as_table().unwrap() {
            let flag = |key: &str| declaration.get(key).and_then(|v| v.as_bool()) == Some(true);
            if flag("required") {
                required.insert(name.clone());
            }
            if flag("secret") {
                secret.insert(name.clone());
            }
        }
        let mut read_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut calls: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (id, component) in manifest["component"].as_table().unwrap() {
            let read = read_by.entry(id.clone()).or_default();
            let hosts = component.get("allowed_outbound_hosts").into_iter();
            let values = component.get("variables").into_iter();
            for text in hosts.chain(values).flat_map(strings) {
                read.extend(template_names(text));
            }
            let variables = component.get("variables").and_then(|v| v.as_table());
            for (name, value) in variables.into_iter().flatten() {
                let (Some(service), Some(value)) = (name.strip_suffix("_url"), value.as_str())
                else {
                    continue;
                };
                if template_names(value).contains(&format!("{service}_origin")) {
                    calls
                        .entry(id.clone())
                        .or_default()
                        .insert(service.to_owned());
                }
            }
        }
        let mut trigger_needs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut route_prefix = BTreeMap::new();
        let app_triggers = manifest["application"].get("trigger");
        for (kind, triggers) in manifest["trigger"].as_table().unwrap() {
            let settings: Vec<String> = app_triggers
                .and_then(|t| t.get(kind))
                .map(|settings| {
                    strings(settings)
                        .into_iter()
                        .flat_map(template_names)
                        .collect()
                })
                .unwrap_or_default();
            for trigger in triggers.as_array().unwrap() {
                let id = trigger["component"].as_str().unwrap().to_owned();
                // A trigger's own settings (a channel, say) may name variables too.
                read_by
                    .entry(id.clone())
                    .or_default()
                    .extend(strings(trigger).into_iter().flat_map(template_names));
                if let Some(prefix) = trigger
                    .get("route")
                    .and_then(|r| r.as_str())
                    .and_then(|r| r.strip_suffix("/..."))
                {
                    route_prefix.insert(id.clone(), prefix.to_owned());
                }
                trigger_needs
                    .entry(id)
                    .or_default()
                    .extend(settings.iter().cloned());
            }
        }
        Self {
            required,
            secret,
            read_by,
            trigger_needs,
            calls,
            route_prefix,
        }
    }
}

/// The `components` of a SpinApp; all of `spin.toml`'s when it names none.
fn retained(document: &Value) -> Vec<String> {
    match document["spec"]["components"].as_array() {
        Some(list) => list
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect(),
        None => components(),
    }
}

/// ConfigMap or Secret (`configMapKeyRef`/`secretKeyRef`, name) -> its keys and values.
type KeySources = BTreeMap<(String, String), BTreeMap<String, String>>;

/// The variables `spin.toml` declares.
fn declared_variables() -> BTreeSet<String> {
    let manifest: toml::Table = workspace_toml("spin.toml");
    manifest["variables"]
        .as_table()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// The ConfigMaps and Secrets among `documents`, with their keys and values.
fn key_sources(documents: &[(PathBuf, Value)]) -> KeySources {
    let mut sources = KeySources::new();
    for (_, document) in documents {
        let (kind, field) = match document["kind"].as_str() {
            Some("ConfigMap") => ("configMapKeyRef", "data"),
            Some("Secret") => ("secretKeyRef", "stringData"),
            _ => continue,
        };
        let name = document["metadata"]["name"].as_str().unwrap_or_default();
        let entries = document[field].as_object().into_iter().flatten();
        sources.insert(
            (kind.to_owned(), name.to_owned()),
            entries
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect(),
        );
    }
    sources
}

/// One SpinApp as the variable checks see it.
struct SpinAppVariables<'a> {
    app: &'a str,
    /// The components it runs.
    runs: Vec<String>,
    /// The variables those components or their triggers read.
    read: BTreeSet<&'a str>,
    /// The variables it sets, with their entries.
    set: BTreeMap<&'a str, &'a Value>,
}

impl<'a> SpinAppVariables<'a> {
    fn new(spin: &'a SpinVariables, document: &'a Value) -> Self {
        let runs = retained(document);
        let read = runs
            .iter()
            .flat_map(|c| spin.read_by.get(c).into_iter().flatten())
            .chain(
                runs.iter()
                    .flat_map(|c| spin.trigger_needs.get(c).into_iter().flatten()),
            )
            .map(String::as_str)
            .collect();
        let set = document["spec"]["variables"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["name"].as_str().map(|name| (name, v)))
            .collect();
        Self {
            app: document["metadata"]["name"].as_str().unwrap_or_default(),
            runs,
            read,
            set,
        }
    }

    /// The components it runs that read `variable`.
    fn readers(&self, spin: &SpinVariables, variable: &str) -> Vec<&str> {
        self.runs
            .iter()
            .filter(|c| spin.read_by.get(*c).is_some_and(|r| r.contains(variable)))
            .map(String::as_str)
            .collect()
    }

    /// The value `variable` gets, when the manifests say it (literally or from a key).
    fn value_of(&self, sources: &KeySources, variable: &str) -> Option<String> {
        let entry = self.set.get(variable)?;
        if let Some(literal) = entry["value"].as_str() {
            return Some(literal.to_owned());
        }
        let from = entry["valueFrom"].as_object()?;
        let (kind, reference) = from.iter().next()?;
        let name = reference["name"].as_str()?.to_owned();
        sources
            .get(&(kind.clone(), name))
            .and_then(|keys| keys.get(reference["key"].as_str()?))
            .cloned()
    }
}

/// Why the SpinApps among `documents` do not get the variables their components need: a
/// required variable missing (Spin refuses to start without it, even where no retained
/// component reads it), a secret given to a SpinApp none of whose components reads it, a
/// variable set that nothing reads, a trigger's variable left at its one-machine default,
/// a call to a service in another SpinApp without that service's `_origin` and `_path`
/// (or with ones that do not lead to it), a ConfigMap or Secret key that is missing or
/// names no variable.
fn variable_mismatches(documents: &[(PathBuf, Value)]) -> Vec<String> {
    let spin = SpinVariables::load();
    let sources = key_sources(documents);
    let spinapps: Vec<(&PathBuf, &Value)> = documents
        .iter()
        .filter(|(_, d)| d["kind"] == "SpinApp")
        .map(|(file, d)| (file, d))
        .collect();
    let mut errors = Vec::new();
    let mut referenced_sources = BTreeSet::new();
    for &(file, document) in &spinapps {
        let app = SpinAppVariables::new(&spin, document);
        referenced_sources.extend(key_reference_mismatches(&app, &sources, &mut errors));
        set_variable_mismatches(&spin, &app, &mut errors);
        required_variable_mismatches(&spin, &app, &mut errors);
        // Another SpinApp beside this one: its name and the components it runs.
        let peers: Vec<(&str, Vec<String>)> = spinapps
            .iter()
            .filter(|(other, _)| other.parent() == file.parent())
            .map(|(_, d)| {
                (
                    d["metadata"]["name"].as_str().unwrap_or_default(),
                    retained(d),
                )
            })
            .collect();
        call_mismatches(&spin, &app, &sources, &peers, &mut errors);
    }
    let declared = declared_variables();
    for ((kind, source), keys) in &sources {
        if !referenced_sources.contains(&(kind.clone(), source.clone())) {
            continue;
        }
        for key in keys.keys().filter(|k| !declared.contains(*k)) {
            errors.push(format!(
                "{source}: key {key} is not a variable of spin.toml"
            ));
        }
    }
    errors
}

/// Variables of `app` taken from a ConfigMap or Secret key that is misnamed or missing;
/// returns the ConfigMaps and Secrets it reads.
fn key_reference_mismatches(
    app: &SpinAppVariables<'_>,
    sources: &KeySources,
    errors: &mut Vec<String>,
) -> BTreeSet<(String, String)> {
    let name = app.app;
    let mut referenced = BTreeSet::new();
    for (variable, entry) in &app.set {
        let Some((kind, reference)) = entry["valueFrom"]
            .as_object()
            .and_then(|from| from.iter().next())
        else {
            continue;
        };
        let source = reference["name"].as_str().unwrap_or_default().to_owned();
        let key = reference["key"].as_str().unwrap_or_default();
        if key != *variable {
            errors.push(format!(
                "SpinApp {name}: {variable} reads key {key} (keys are named like the variables)"
            ));
        }
        match sources.get(&(kind.clone(), source.clone())) {
            Some(keys) if keys.contains_key(key) => {}
            Some(_) => errors.push(format!(
                "SpinApp {name}: {variable} reads key {key}, which {source} lacks"
            )),
            None => errors.push(format!(
                "SpinApp {name}: {variable} reads {kind} {source}, which no manifest defines"
            )),
        }
        referenced.insert((kind.clone(), source));
    }
    referenced
}

/// Variables `app` sets that none of its components reads, or secrets it takes from
/// elsewhere than a Secret.
fn set_variable_mismatches(
    spin: &SpinVariables,
    app: &SpinAppVariables<'_>,
    errors: &mut Vec<String>,
) {
    let (name, runs) = (app.app, &app.runs);
    for (variable, entry) in &app.set {
        let from_secret = entry["valueFrom"]["secretKeyRef"].is_object();
        if app.read.contains(variable) {
            if spin.secret.contains(*variable) && !from_secret {
                errors.push(format!(
                    "SpinApp {name}: {variable} is a secret read by {:?}, but not taken from a Secret",
                    app.readers(spin, variable)
                ));
            }
        } else if !spin.required.contains(*variable) {
            errors.push(format!(
                "SpinApp {name}: sets {variable}, which none of {runs:?} reads"
            ));
        } else if entry.get("value").is_none() {
            errors.push(format!(
                "SpinApp {name}: {variable} is required but none of {runs:?} reads it: give it a placeholder `value`, not the real one"
            ));
        }
    }
}

/// Required variables, and variables its triggers need, that `app` leaves unset.
fn required_variable_mismatches(
    spin: &SpinVariables,
    app: &SpinAppVariables<'_>,
    errors: &mut Vec<String>,
) {
    let name = app.app;
    for variable in &spin.required {
        if !app.set.contains_key(variable.as_str()) {
            errors.push(if app.read.contains(variable.as_str()) {
                format!(
                    "SpinApp {name}: {variable} is required and read by {:?}, but not set",
                    app.readers(spin, variable)
                )
            } else {
                format!(
                    "SpinApp {name}: {variable} is required (Spin will not start without it), but not set"
                )
            });
        }
    }
    let trigger_needs: BTreeSet<&String> = app
        .runs
        .iter()
        .flat_map(|c| spin.trigger_needs.get(c).into_iter().flatten())
        .collect();
    for variable in trigger_needs {
        if !app.set.contains_key(variable.as_str()) {
            let users: Vec<&String> = app
                .runs
                .iter()
                .filter(|c| {
                    spin.trigger_needs
                        .get(*c)
                        .is_some_and(|n| n.contains(variable))
                })
                .collect();
            errors.push(format!(
                "SpinApp {name}: the triggers of {users:?} use {variable}, but it is not set"
            ));
        }
    }
}

/// Calls between services: another SpinApp's (among `peers`) are reached at its Service and
/// the service's internal route; one in this SpinApp by service chaining (the defaults).
fn call_mismatches(
    spin: &SpinVariables,
    app: &SpinAppVariables<'_>,
    sources: &KeySources,
    peers: &[(&str, Vec<String>)],
    errors: &mut Vec<String>,
) {
    let name = app.app;
    let called: BTreeMap<&String, &String> = app
        .runs
        .iter()
        .flat_map(|c| spin.calls.get(c).into_iter().flatten().map(move |s| (s, c)))
        .collect();
    for (service, caller) in called {
        let names = [format!("{service}_origin"), format!("{service}_path")];
        if app.runs.contains(service) {
            for variable in names.iter().filter(|n| app.set.contains_key(n.as_str())) {
                errors.push(format!(
                    "SpinApp {name}: sets {variable}, but {service} runs in it (service chaining reaches it)"
                ));
            }
            continue;
        }
        for variable in names.iter().filter(|n| !app.set.contains_key(n.as_str())) {
            errors.push(format!(
                "SpinApp {name}: {caller} calls {service}, which runs elsewhere, but {variable} is not set"
            ));
        }
        let home = peers
            .iter()
            .find(|(_, members)| members.contains(service))
            .map(|(peer, _)| *peer);
        let Some(home) = home else {
            errors.push(format!(
                "SpinApp {name}: {caller} calls {service}, which no SpinApp beside it runs"
            ));
            continue;
        };
        if let Some(origin) = app.value_of(sources, &names[0]) {
            let host = origin
                .split_once("://")
                .map_or("", |(_, rest)| rest)
                .split([':', '/'])
                .next()
                .unwrap_or_default();
            if host.split('.').next() != Some(home) {
                errors.push(format!(
                    "SpinApp {name}: {} is {origin}, but {service} runs in SpinApp {home}",
                    names[0]
                ));
            }
        }
        if let (Some(path), Some(prefix)) = (
            app.value_of(sources, &names[1]),
            spin.route_prefix.get(service),
        ) {
            if &path != prefix {
                errors.push(format!(
                    "SpinApp {name}: {} is {path:?}, but the route of {service} is {prefix}/...",
                    names[1]
                ));
            }
        }
    }
}

#[test]
fn every_spinapp_sets_the_variables_its_components_need_and_no_others() {
    let errors = variable_mismatches(&spinkube());
    assert!(errors.is_empty(), "{errors:#?}");
}

/// The `kind` named `name` among `documents`, to change.
fn document<'a>(documents: &'a mut [(PathBuf, Value)], kind: &str, name: &str) -> &'a mut Value {
    documents
        .iter_mut()
        .map(|(_, d)| d)
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The `variables` of SpinApp `app` among `documents`, to change.
fn variables<'a>(documents: &'a mut [(PathBuf, Value)], app: &str) -> &'a mut Vec<Value> {
    document(documents, "SpinApp", app)["spec"]["variables"]
        .as_array_mut()
        .unwrap()
}

#[test]
fn the_variable_check_catches_missing_extra_and_misdirected_variables() {
    let mut documents = spinkube();
    let from = |kind: &str, source: &str, key: &str| -> Value {
        serde_json::json!({ "name": key, "valueFrom": { kind: { "name": source, "key": key } } })
    };
    // catalog presents and checks the internal key: dropping it is caught.
    variables(&mut documents, "wasmart-catalog").retain(|v| v["name"] != "internal_api_key");
    // No component of wasmart-catalog reads the JWT key: giving it the real one is caught.
    for variable in variables(&mut documents, "wasmart-catalog") {
        if variable["name"] == "jwt_signing_key" {
            *variable = from("secretKeyRef", "wasmart-secrets", "jwt_signing_key");
        }
    }
    // cart calls catalog in another SpinApp: without catalog_path it would call the wrong route.
    variables(&mut documents, "wasmart-shopping").retain(|v| v["name"] != "catalog_path");
    // Nothing in wasmart-edge reads admin_email.
    variables(&mut documents, "wasmart-edge").push(from(
        "configMapKeyRef",
        "wasmart-config",
        "admin_email",
    ));
    // orders' Redis trigger would connect to 127.0.0.1:6379.
    variables(&mut documents, "wasmart-orders").retain(|v| v["name"] != "redis_host");
    // In the one app, catalog is reached by service chaining.
    variables(&mut documents, "wasmart").push(from(
        "configMapKeyRef",
        "wasmart-config",
        "catalog_origin",
    ));
    // cart runs in wasmart-shopping, not wasmart-orders; and the routes are /internal/<service>.
    let config = &mut document(&mut documents, "ConfigMap", "wasmart-config")["data"];
    config["cart_origin"] = "http://wasmart-orders.wasmart.svc.cluster.local".into();
    config["orders_path"] = "/orders".into();
    // A key the gateway reads is gone, and a stale one (the old single URL) is left behind.
    let stale = config.as_object_mut().unwrap().remove("notifications_path");
    config["notifications_url"] = stale.unwrap();

    let mut errors = variable_mismatches(&documents);
    errors.sort();
    let mut expected = [
        "SpinApp wasmart-catalog: internal_api_key is required and read by [\"catalog\"], but not set",
        "SpinApp wasmart-catalog: jwt_signing_key is required but none of [\"catalog\"] reads it: give it a placeholder `value`, not the real one",
        "SpinApp wasmart-shopping: cart calls catalog, which runs elsewhere, but catalog_path is not set",
        "SpinApp wasmart-edge: sets admin_email, which none of [\"web\", \"gateway\", \"telemetry\", \"alerts\"] reads",
        "SpinApp wasmart-orders: the triggers of [\"orders\", \"payments\", \"notifications\"] use redis_host, but it is not set",
        "SpinApp wasmart: sets catalog_origin, but catalog runs in it (service chaining reaches it)",
        "SpinApp wasmart-edge: cart_origin is http://wasmart-orders.wasmart.svc.cluster.local, but cart runs in SpinApp wasmart-shopping",
        "SpinApp wasmart-orders: cart_origin is http://wasmart-orders.wasmart.svc.cluster.local, but cart runs in SpinApp wasmart-shopping",
        "SpinApp wasmart-edge: orders_path is \"/orders\", but the route of orders is /internal/orders/...",
        "SpinApp wasmart-edge: notifications_path reads key notifications_path, which wasmart-config lacks",
        "wasmart-config: key notifications_url is not a variable of spin.toml",
    ]
    .map(str::to_owned)
    .to_vec();
    expected.sort();
    assert_eq!(errors, expected);
}

#[test]
fn the_production_runtime_config_covers_every_store_label() {
    let manifest: toml::Table = workspace_toml("spin.toml");
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
