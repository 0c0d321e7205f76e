//! The request a component sees: method, query, body, client headers, and the `spin-*`
//! headers Spin adds (full URL, path info, matched/component routes, base path, client
//! address, `:name` matches).

use serde_json::Value;
use wasmart_testing::TestOptions;

use crate::support::{echo_component, manifest, route, Running};

async fn headers_app() -> Running {
    let body = [
        echo_component("wild", &route("/static/...")),
        echo_component("params", &route("/items/:category/:id")),
        echo_component("exact", &route("/exact")),
    ]
    .concat();
    Running::start(&manifest("headers", &body), TestOptions::default()).await
}

/// Sends `GET path` to the echo fixture and returns what it saw.
async fn echoed(app: &Running, path: &str) -> Value {
    let response = app.fetch(path).await;
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    response.json()
}

fn header<'a>(echo: &'a Value, name: &str) -> &'a str {
    echo["headers"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} header in {echo:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_route_headers() {
    let app = headers_app().await;
    let echo = echoed(&app, "/static/a/b?x=1&y=2").await;
    assert_eq!(
        header(&echo, "spin-full-url"),
        format!("{}/static/a/b?x=1&y=2", app.base_url())
    );
    assert_eq!(header(&echo, "spin-path-info"), "/a/b");
    assert_eq!(header(&echo, "spin-matched-route"), "/static/...");
    assert_eq!(header(&echo, "spin-component-route"), "/static");
    assert_eq!(header(&echo, "spin-raw-component-route"), "/static/...");
    assert_eq!(header(&echo, "spin-base-path"), "/");
    assert_eq!(echo["path"], "/static/a/b");
    assert_eq!(echo["query"], "x=1&y=2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_prefix_itself_has_empty_path_info() {
    let app = headers_app().await;
    let echo = echoed(&app, "/static").await;
    assert_eq!(header(&echo, "spin-path-info"), "");
    assert_eq!(header(&echo, "spin-matched-route"), "/static/...");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_route_headers() {
    let app = headers_app().await;
    let echo = echoed(&app, "/items/books/42").await;
    assert_eq!(header(&echo, "spin-path-match-category"), "books");
    assert_eq!(header(&echo, "spin-path-match-id"), "42");
    assert_eq!(header(&echo, "spin-matched-route"), "/items/:category/:id");
    assert_eq!(
        header(&echo, "spin-component-route"),
        "/items/:category/:id"
    );
    assert_eq!(
        header(&echo, "spin-raw-component-route"),
        "/items/:category/:id"
    );
    assert_eq!(header(&echo, "spin-path-info"), "");
    assert_eq!(
        header(&echo, "spin-full-url"),
        format!("{}/items/books/42", app.base_url())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_route_headers() {
    let app = headers_app().await;
    let echo = echoed(&app, "/exact").await;
    assert_eq!(header(&echo, "spin-matched-route"), "/exact");
    assert_eq!(header(&echo, "spin-component-route"), "/exact");
    assert_eq!(header(&echo, "spin-path-info"), "");
    assert_eq!(header(&echo, "spin-base-path"), "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_address_is_the_peer() {
    let app = headers_app().await;
    let echo = echoed(&app, "/exact").await;
    let addr = header(&echo, "spin-client-addr");
    let (ip, port) = addr
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("bad client addr {addr}"));
    assert_eq!(ip, "127.0.0.1");
    let port: u16 = port
        .parse()
        .unwrap_or_else(|_| panic!("bad client port in {addr}"));
    assert_ne!(port, 0);
    assert_ne!(
        app.base_url(),
        format!("http://{addr}"),
        "client addr is the server's own"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_body_and_client_headers_reach_the_component() {
    let app = headers_app().await;
    let response = app
        .send(
            "PUT",
            "/static/upload",
            &[("X-Custom-Header", "Some Value")],
            "the body",
        )
        .await;
    assert_eq!(response.status, 200);
    let echo = response.json();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["body"], "the body");
    assert_eq!(header(&echo, "x-custom-header"), "Some Value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_cannot_forge_spin_headers() {
    let app = headers_app().await;
    let forged = [
        ("spin-path-info", "/forged"),
        ("spin-matched-route", "/forged/..."),
        ("spin-client-addr", "10.9.8.7:1"),
    ];
    let response = app.send("GET", "/static/real", &forged, "").await;
    let echo = response.json();
    assert_eq!(header(&echo, "spin-path-info"), "/real");
    assert_eq!(header(&echo, "spin-matched-route"), "/static/...");
    assert!(header(&echo, "spin-client-addr").starts_with("127.0.0.1:"));
}
