//! `spin.cloud.toml` (Fermyon Cloud) must stay the same application as `spin.toml`, wired
//! differently only where Cloud requires it: same components, sources, files, stores and
//! routes; no Redis anywhere; events pushed over HTTP to every subscriber.

use std::collections::BTreeSet;

use toml::{Table, Value};

use wasmart_testing::workspace_toml;

/// The channel each producer publishes on (`service-kit` events, `docs/events.md`).
const CHANNELS: &[(&str, &str)] = &[
    ("catalog", "wasmart.catalog"),
    ("orders", "wasmart.orders"),
    ("payments", "wasmart.payments"),
    ("alerts", "wasmart.ops"),
];

/// Why `cloud` is not `spin` rewired for Cloud (empty when it is).
fn differences(spin: &Table, cloud: &Table) -> Vec<String> {
    let mut errors = Vec::new();
    let spin_components = spin["component"].as_table().unwrap();
    let cloud_components = cloud["component"].as_table().unwrap();
    let ids = |table: &Table| table.keys().cloned().collect::<BTreeSet<_>>();
    if ids(spin_components) != ids(cloud_components) {
        errors.push(format!(
            "components differ: {:?} vs {:?}",
            ids(spin_components),
            ids(cloud_components)
        ));
    }
    for (id, component) in spin_components {
        let Some(other) = cloud_components.get(id) else {
            continue;
        };
        for key in ["source", "files", "key_value_stores", "sqlite_databases"] {
            if component.get(key) != other.get(key) {
                errors.push(format!("{id}.{key} differs"));
            }
        }
    }
    let routes = |table: &Table| -> Vec<String> {
        table["trigger"]["http"]
            .as_array()
            .unwrap()
            .iter()
            .map(|trigger| format!("{} -> {}", trigger["route"], trigger["component"]))
            .collect()
    };
    if routes(spin) != routes(cloud) {
        errors.push("HTTP routes differ".to_owned());
    }
    let text = toml::to_string(cloud).unwrap();
    if cloud["trigger"].get("redis").is_some() || text.contains("redis") {
        errors.push("spin.cloud.toml still uses Redis".to_owned());
    }
    // Every consumer takes pushed events, and every producer pushes to each subscriber of
    // its channel (as spin.cloud.toml lists them) at that subscriber's URL.
    let subscribers = cloud["variables"]["event_subscribers"]["default"]
        .as_str()
        .unwrap_or_default();
    for (id, component) in cloud_components {
        let variables = component.get("variables").and_then(Value::as_table);
        let var = |name: &str| variables.and_then(|v| v.get(name)).and_then(Value::as_str);
        let consumes = subscribers.contains(id.as_str());
        let produces = var("event_subscribers").is_some();
        if (consumes || produces) && var("event_transport") != Some("http") {
            errors.push(format!("{id} does not set event_transport = \"http\""));
        }
        if produces {
            let Some((_, channel)) = CHANNELS.iter().find(|(producer, _)| producer == id) else {
                errors.push(format!(
                    "{id} publishes on a channel CHANNELS does not name"
                ));
                continue;
            };
            let channel = format!("{channel}=");
            let listed = subscribers
                .split(';')
                .find_map(|entry| entry.strip_prefix(&channel))
                .unwrap_or_default();
            for subscriber in listed.split('+').filter(|s| !s.is_empty()) {
                let expected = format!("{{{{ app_origin }}}}/internal/{subscriber}");
                if var(&format!("{subscriber}_url")) != Some(expected.as_str()) {
                    errors.push(format!("{id} cannot push to {subscriber}"));
                }
            }
        }
    }
    errors
}

#[test]
fn the_cloud_manifest_is_the_same_app_without_redis() {
    let errors = differences(
        &workspace_toml("spin.toml"),
        &workspace_toml("spin.cloud.toml"),
    );
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_check_notices_drift_and_missing_pushes() {
    let spin = workspace_toml("spin.toml");
    let mut cloud = workspace_toml("spin.cloud.toml");
    let components = cloud["component"].as_table_mut().unwrap();
    components["catalog"]
        .as_table_mut()
        .unwrap()
        .insert("source".into(), "elsewhere.wasm".into());
    let payments = components["payments"]["variables"].as_table_mut().unwrap();
    payments.remove("notifications_url");
    payments.remove("event_transport");
    let errors = differences(&spin, &cloud);
    for expected in [
        "catalog.source differs",
        "payments cannot push to notifications",
        "payments does not set event_transport = \"http\"",
    ] {
        assert!(
            errors.iter().any(|e| e == expected),
            "{expected}: {errors:#?}"
        );
    }
}
