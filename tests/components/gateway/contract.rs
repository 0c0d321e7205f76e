//! `docs/openapi.yaml` as a checker: every response the gateway gives in these tests must
//! be one the document describes, status, media type and body.

use std::sync::OnceLock;

use serde_json::{json, Value};

use wasmart_testing::workspace_root;

/// The OpenAPI document, parsed once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let text = std::fs::read_to_string(workspace_root().join("docs/openapi.yaml")).unwrap();
        serde_norway::from_str(&text).expect("docs/openapi.yaml parses")
    })
}

/// Why a response to `method path` (no query string) breaks the document; empty if it
/// does not. Outside the documented operations, the only answers allowed are a 404 problem
/// (no such path), a 405 problem (no such method) and a CORS preflight's 204 or 403.
pub fn violations(
    method: &str,
    path: &str,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> Vec<String> {
    let document = document();
    let operation = path_item(document, path)
        .and_then(|(template, item)| Some((template, item.get(method.to_ascii_lowercase())?)));
    let Some((template, operation)) = operation else {
        return undocumented_violations(method, path, status, content_type, body);
    };
    let responses = &operation["responses"];
    let Some(response) = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
    else {
        return vec![format!(
            "{method} {template}: status {status} is not documented"
        )];
    };
    let response = resolve(document, response);
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Vec::new();
    };
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    let Some(media) = content.get(media_type) else {
        return vec![format!(
            "{method} {template} {status}: content type {content_type:?} is not documented (documented: {:?})",
            content.keys().collect::<Vec<_>>()
        )];
    };
    let Some(schema) = media.get("schema") else {
        return Vec::new();
    };
    if !media_type.ends_with("json") {
        return Vec::new();
    }
    let instance: Value = match serde_json::from_slice(body) {
        Ok(instance) => instance,
        Err(error) => {
            return vec![format!(
                "{method} {template} {status}: body is not JSON: {error}"
            )]
        }
    };
    schema_violations(document, schema, &instance)
        .into_iter()
        .map(|error| format!("{method} {template} {status}: {error}"))
        .collect()
}

/// What an answer to a request the document does not describe must be.
fn undocumented_violations(
    method: &str,
    path: &str,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> Vec<String> {
    let documented_path = path_item(document(), path).is_some();
    let allowed = match (method, documented_path) {
        ("OPTIONS", _) => [204, 403].as_slice(),
        (_, true) => &[405],
        (_, false) => &[404],
    };
    if !allowed.contains(&status) {
        return vec![format!(
            "{method} {path} is not documented, yet answered {status}"
        )];
    }
    if status == 204 {
        return Vec::new();
    }
    if content_type != "application/problem+json" {
        return vec![format!(
            "{method} {path} {status}: not a problem+json but {content_type:?}"
        )];
    }
    let problem = json!({"$ref": "#/components/schemas/Problem"});
    match serde_json::from_slice(body) {
        Ok(instance) => schema_violations(document(), &problem, &instance),
        Err(error) => vec![format!(
            "{method} {path} {status}: body is not JSON: {error}"
        )],
    }
}

/// The documented path (template and item) that `path` falls under; literal segments win
/// over parameters.
fn path_item<'a>(document: &'a Value, path: &str) -> Option<(&'a str, &'a Value)> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &str, &Value)> = None;
    for (template, item) in document["paths"].as_object()? {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let matches = parts.iter().zip(&segments).all(|(part, segment)| {
            if part.starts_with('{') && part.ends_with('}') {
                !segment.is_empty()
            } else {
                literal += 1;
                part == segment
            }
        });
        if matches && best.is_none_or(|(score, _, _)| literal > score) {
            best = Some((literal, template, item));
        }
    }
    best.map(|(_, template, item)| (template, item))
}

/// Follows a `$ref` to `#/components/...`.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => document
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("docs/openapi.yaml: dangling $ref {pointer}")),
        None => value,
    }
}

/// Validates `instance` against `schema`, whose `$ref`s point into the document's
/// `components`.
fn schema_violations(document: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let mut root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
    });
    root["components"] = document["components"].clone();
    let validator = jsonschema::validator_for(&root).expect("the document's schemas compile");
    validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

#[test]
fn the_checker_catches_a_wrong_body_and_an_undocumented_status() {
    let ok = violations(
        "GET",
        "/api/v1/health",
        200,
        "application/json",
        br#"{"status": "up", "services": []}"#,
    );
    assert!(ok.is_empty(), "{ok:?}");
    let wrong = violations(
        "GET",
        "/api/v1/health",
        200,
        "application/json",
        br#"{"status": "sunny"}"#,
    );
    assert!(!wrong.is_empty());
    let undocumented = violations("GET", "/api/v1/health", 418, "application/json", b"{}");
    assert!(!undocumented.is_empty());
    let unknown = violations("GET", "/api/v1/nowhere", 200, "application/json", b"{}");
    assert!(!unknown.is_empty());
    let problem = br#"{"type": "https://wasmart.dev/problems/not-found", "title": "Not found", "status": 404, "detail": "No resource."}"#;
    let not_found = violations(
        "GET",
        "/api/v1/nowhere",
        404,
        "application/problem+json",
        problem,
    );
    assert!(not_found.is_empty(), "{not_found:?}");
    let wrong_method = violations(
        "PATCH",
        "/api/v1/health",
        404,
        "application/problem+json",
        problem,
    );
    assert!(
        !wrong_method.is_empty(),
        "a documented path answers 405, not 404"
    );
    let media = violations("GET", "/api/v1/health", 200, "text/html", b"<p>");
    assert!(!media.is_empty());
}
