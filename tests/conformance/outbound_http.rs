//! Outbound HTTP: self requests (relative URLs, allowed by `http://self`), and the
//! `allowed_outbound_hosts` allow-list for network requests (host, port and scheme).

use wasmart_testing::TestOptions;

use crate::support::{
    assert_denied, echo_component, manifest, outbound_component, outbound_get, route,
    upstream_echo, Running,
};

async fn outbound_app() -> Running {
    let body = [
        outbound_component("self-caller", "/self", &["http://self"]),
        outbound_component("stranger", "/stranger", &[]),
        outbound_component("loopback", "/loopback", &["http://127.0.0.1:*"]),
        outbound_component("port-one", "/port-one", &["http://127.0.0.1:1"]),
        outbound_component("tls-only", "/tls-only", &["https://127.0.0.1:*"]),
        echo_component("public", &route("/public/...")),
    ]
    .concat();
    Running::start(&manifest("outbound", &body), TestOptions::default()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_request_is_allowed_by_http_self() {
    let app = outbound_app().await;
    let (status, report) = outbound_get(&app, "/self", "/public/hello?x=1").await;
    let echo = upstream_echo(status, &report);
    assert_eq!(echo["component_name"], "public");
    assert_eq!(echo["path"], "/public/hello");
    assert_eq!(echo["query"], "x=1");
    assert_eq!(echo["headers"]["spin-path-info"], "/hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_request_without_permission_is_denied() {
    let app = outbound_app().await;
    let (status, report) = outbound_get(&app, "/stranger", "/public/hello").await;
    assert_denied(status, &report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_not_in_the_allow_list_is_denied() {
    let app = outbound_app().await;
    // Denied before any connection is tried: the error is not a connection error.
    let (status, report) = outbound_get(&app, "/self", "http://127.0.0.1:1/").await;
    assert_denied(status, &report);
    let (status, report) = outbound_get(&app, "/stranger", "http://example.com/").await;
    assert_denied(status, &report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_host_with_port_wildcard_is_reached() {
    let app = outbound_app().await;
    let target = format!("{}/public/abs", app.base_url());
    let (status, report) = outbound_get(&app, "/loopback", &target).await;
    let echo = upstream_echo(status, &report);
    // A network request goes through the router like any other.
    assert_eq!(echo["component_name"], "public");
    assert_eq!(echo["headers"]["spin-path-info"], "/abs");
    assert_eq!(echo["headers"]["spin-matched-route"], "/public/...");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_port_is_tried_and_other_ports_are_denied() {
    let app = outbound_app().await;
    // Port 1 is allowed: the request is sent and fails to connect (not denied).
    let (status, report) = outbound_get(&app, "/port-one", "http://127.0.0.1:1/").await;
    assert_eq!(status, 502, "{report:#}");
    let error = report["error"].as_str().unwrap();
    assert!(
        !error.contains("HttpRequestDenied"),
        "allowed port was denied: {error}"
    );
    // Any other port is not.
    let target = format!("{}/public/x", app.base_url());
    let (status, report) = outbound_get(&app, "/port-one", &target).await;
    assert_denied(status, &report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheme_is_part_of_the_allow_list() {
    let app = outbound_app().await;
    let target = format!("{}/public/x", app.base_url());
    let (status, report) = outbound_get(&app, "/tls-only", &target).await;
    assert_denied(status, &report);
}
