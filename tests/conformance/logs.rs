//! Observability: one JSON access-log line per request (method, route, component,
//! status, duration, request id), and component stdout in the component's log, each line
//! prefixed with the request and trace ids of the request that wrote it.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;
use wasmart_testing::eventually;
use wasmart_testing::TestOptions;

use crate::support::{echo_component, http_component, manifest, route, Running};
use wasmart_testing::fixtures::source;

async fn logs_app() -> Running {
    let trap = http_component("trap", &route("/trap/..."), &source("trap"), "");
    let body = [trap, echo_component("echo", &route("/echo"))].concat();
    Running::start(&manifest("logs", &body), TestOptions::default()).await
}

/// Waits until the access log has at least `n` lines and returns them.
async fn access_entries(app: &Running, n: usize) -> Vec<Value> {
    eventually(Duration::from_secs(5), || async {
        let entries = app.access_entries();
        (entries.len() >= n).then_some(entries)
    })
    .await
    .unwrap_or_else(|| panic!("timed out waiting for {n} access log lines"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_has_one_line_per_request() {
    let app = logs_app().await;
    let requests = [
        ("GET", "/trap/ok", 200),
        ("POST", "/echo", 200),
        ("GET", "/trap/panic", 500),
        ("GET", "/unrouted", 404),
    ];
    for (method, path, status) in requests {
        let response = app.send(method, path, &[], "").await;
        assert_eq!(response.status, status, "{method} {path}");
    }
    let entries = access_entries(&app, requests.len()).await;
    assert_eq!(
        entries.len(),
        requests.len(),
        "access log:\n{}",
        app.access_log()
    );

    let mut ids = HashSet::new();
    for ((method, path, status), entry) in requests.iter().zip(&entries) {
        assert_eq!(entry["method"], *method, "{path}: {entry}");
        assert_eq!(entry["status"], *status, "{path}: {entry}");
        assert!(entry["duration_ms"].is_number(), "{path}: {entry}");
        let id = entry["request_id"].as_str().unwrap_or_default();
        assert!(
            !id.is_empty() && ids.insert(id.to_owned()),
            "{path}: bad request_id in {entry}"
        );
    }
    assert_eq!(entries[0]["route"], "/trap/...");
    assert_eq!(entries[0]["component"], "trap");
    assert_eq!(entries[1]["route"], "/echo");
    assert_eq!(entries[1]["component"], "echo");
    assert_eq!(entries[2]["component"], "trap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_stdout_goes_to_its_log() {
    let app = logs_app().await;
    assert_eq!(app.fetch("/trap/ok").await.status, 200);
    assert_eq!(app.fetch("/echo").await.status, 200);
    let log = eventually(Duration::from_secs(5), || async {
        let log = app.component_log("trap");
        log.contains("trap: /ok").then_some(log)
    })
    .await
    .expect("timed out waiting for the trap fixture's line");
    assert!(
        !log.contains("echo: "),
        "another component's output in trap's log:\n{log}"
    );
    eventually(Duration::from_secs(5), || async {
        app.component_log("echo")
            .contains("echo: GET /echo")
            .then_some(())
    })
    .await
    .expect("timed out waiting for the echo fixture's line");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cause_of_a_500_is_found_by_its_request_id() {
    let app = logs_app().await;
    assert_eq!(app.fetch("/trap/ok").await.status, 200);
    assert_eq!(app.fetch("/trap/panic").await.status, 500);
    let entries = access_entries(&app, 2).await;
    let failed = entries
        .iter()
        .find(|entry| entry["status"] == 500)
        .unwrap_or_else(|| panic!("no 500 in the access log:\n{}", app.access_log()));
    let request_id = failed["request_id"].as_str().unwrap_or_default();
    let trace_id = failed["trace_id"].as_str().unwrap_or_default();
    assert!(
        !request_id.is_empty() && !trace_id.is_empty(),
        "ids in {failed}"
    );

    let log = eventually(Duration::from_secs(5), || async {
        let log = app.component_log("trap");
        log.contains("request failed").then_some(log)
    })
    .await
    .expect("timed out waiting for the host's note of the failure");
    let prefix = format!("[req={request_id} trace={trace_id}] ");
    let lines: Vec<&str> = log.lines().filter(|l| l.starts_with(&prefix)).collect();
    let has = |text: &str| lines.iter().any(|line| line.contains(text));
    assert!(has("trap: /panic"), "the guest's own line, in:\n{log}");
    assert!(
        has("trap fixture: asked to panic"),
        "the panic message, in:\n{log}"
    );
    assert!(
        has("[host] request failed: trapped"),
        "the host's note, in:\n{log}"
    );
    assert!(
        !has("trap: /ok"),
        "another request's line carries this request's id:\n{log}"
    );
}
