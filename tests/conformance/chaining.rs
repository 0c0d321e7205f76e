//! Local service chaining: `http://<component>.spin.internal/...` reaches the component
//! in-process (private routes included) only when the caller's `allowed_outbound_hosts`
//! lists it.

use wasmart_testing::TestOptions;

use crate::support::{
    assert_denied, echo_component, manifest, outbound_component, outbound_get, route,
    upstream_echo, Running,
};

async fn chaining_app() -> Running {
    let body = [
        outbound_component("caller", "/call", &["http://backend.spin.internal"]),
        outbound_component("any-caller", "/any", &["http://*.spin.internal"]),
        outbound_component("stranger", "/stranger", &[]),
        echo_component("backend", "{ private = true }"),
        echo_component("public", &route("/public/...")),
    ]
    .concat();
    Running::start(&manifest("chaining", &body), TestOptions::default()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chained_request_reaches_a_private_component() {
    let app = chaining_app().await;
    let (status, report) =
        outbound_get(&app, "/call", "http://backend.spin.internal/some/path?q=1").await;
    let echo = upstream_echo(status, &report);
    assert_eq!(echo["component_name"], "backend");
    assert_eq!(echo["path"], "/some/path");
    assert_eq!(echo["query"], "q=1");
    assert_eq!(echo["headers"]["spin-path-info"], "/some/path");
    assert_eq!(echo["headers"]["spin-matched-route"], "/...");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaining_ignores_the_target_components_route() {
    let app = chaining_app().await;
    let (status, report) = outbound_get(&app, "/any", "http://public.spin.internal/x/y").await;
    let echo = upstream_echo(status, &report);
    assert_eq!(echo["component_name"], "public");
    assert_eq!(echo["headers"]["spin-path-info"], "/x/y");
    assert_eq!(echo["headers"]["spin-matched-route"], "/...");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_allows_chaining_to_any_component() {
    let app = chaining_app().await;
    let (status, report) = outbound_get(&app, "/any", "http://backend.spin.internal/").await;
    assert_eq!(upstream_echo(status, &report)["component_name"], "backend");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaining_without_permission_is_denied() {
    let app = chaining_app().await;
    let (status, report) = outbound_get(&app, "/stranger", "http://backend.spin.internal/x").await;
    assert_denied(status, &report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_is_per_target_component() {
    let app = chaining_app().await;
    let (status, report) = outbound_get(&app, "/call", "http://public.spin.internal/x").await;
    assert_denied(status, &report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaining_to_an_unknown_component_fails() {
    let app = chaining_app().await;
    let (status, report) = outbound_get(&app, "/any", "http://nobody.spin.internal/x").await;
    assert_ne!(
        status, 200,
        "reached a component that does not exist: {report:#}"
    );
}
