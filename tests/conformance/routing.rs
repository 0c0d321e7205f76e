//! HTTP routing: exact routes, `/...` wildcards, `:name` segments, precedence, 404s,
//! private routes and `--component-id` selection.

use wasmart_testing::TestOptions;

use crate::support::{echo_component, http_component, manifest, route, Running};
use wasmart_testing::fixtures::source;

/// Components (all `echo`) on overlapping routes; `hidden` has a private route.
fn routing_manifest() -> String {
    let body = [
        echo_component("exact", &route("/exact")),
        echo_component("wild", &route("/wild/...")),
        echo_component("deeper", &route("/wild/deeper/...")),
        echo_component("deeper-exact", &route("/wild/deeper/exact")),
        echo_component("user", &route("/users/:id")),
        echo_component("me", &route("/users/me")),
        echo_component("users", &route("/users/...")),
        echo_component("hidden", "{ private = true }"),
    ]
    .concat();
    manifest("routing", &body)
}

/// Which component answered `path` (`None` for a 404); panics on any other status.
async fn served_by(app: &Running, path: &str) -> Option<String> {
    let response = app.fetch(path).await;
    match response.status {
        200 => Some(
            response.json()["component_name"]
                .as_str()
                .unwrap_or_else(|| panic!("GET {path}: not an echo: {}", response.text()))
                .to_owned(),
        ),
        404 => None,
        other => panic!("GET {path}: unexpected status {other}: {}", response.text()),
    }
}

/// Asserts which component serves each path (`None` = 404), reporting all mismatches.
async fn assert_routes(app: &Running, expected: &[(&str, Option<&str>)]) {
    let mut wrong = Vec::new();
    for (path, component) in expected {
        let actual = served_by(app, path).await;
        if actual.as_deref() != *component {
            wrong.push(format!("{path}: expected {component:?}, got {actual:?}"));
        }
    }
    assert!(wrong.is_empty(), "wrong routing:\n{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_component_answers() {
    let body = http_component("hello", &route("/..."), &source("hello"), "");
    let app = Running::start(&manifest("hello", &body), TestOptions::default()).await;
    for (method, path) in [("GET", "/"), ("POST", "/any/path?q=1")] {
        let response = app.send(method, path, &[], "ignored").await;
        assert_eq!(response.status, 200, "{method} {path}");
        assert_eq!(response.text(), "hello, wasmart\n");
        assert_eq!(response.headers["content-type"], "text/plain");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_route_matches_only_its_path() {
    let app = Running::start(&routing_manifest(), TestOptions::default()).await;
    assert_routes(
        &app,
        &[
            ("/exact", Some("exact")),
            ("/exact/more", None),
            ("/exactly", None),
            ("/exact?query=1", Some("exact")),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_matches_its_prefix_and_below_on_segment_boundaries() {
    let app = Running::start(&routing_manifest(), TestOptions::default()).await;
    assert_routes(
        &app,
        &[
            ("/wild", Some("wild")),
            ("/wild/a", Some("wild")),
            ("/wild/a/b/c", Some("wild")),
            ("/wildcard", None),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn most_specific_route_wins() {
    let app = Running::start(&routing_manifest(), TestOptions::default()).await;
    assert_routes(
        &app,
        &[
            // Longer wildcard prefix over shorter, but only on a segment boundary.
            ("/wild/deeper", Some("deeper")),
            ("/wild/deeper/x/y", Some("deeper")),
            ("/wild/deeperx", Some("wild")),
            // Exact over wildcard.
            ("/wild/deeper/exact", Some("deeper-exact")),
            ("/wild/deeper/exact/more", Some("deeper")),
            // Exact over parameter over wildcard.
            ("/users/me", Some("me")),
            ("/users/42", Some("user")),
            ("/users/42/posts", Some("users")),
            ("/users", Some("users")),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_path_is_404() {
    let app = Running::start(&routing_manifest(), TestOptions::default()).await;
    assert_routes(
        &app,
        &[("/", None), ("/nothing/here", None), ("/user", None)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_route_is_not_reachable_from_outside() {
    let app = Running::start(&routing_manifest(), TestOptions::default()).await;
    for path in ["/hidden", "/private", "/hidden/x", "/"] {
        let served = served_by(&app, path).await;
        assert_ne!(
            served.as_deref(),
            Some("hidden"),
            "{path} reached the private component"
        );
    }
    assert_routes(&app, &[("/hidden", None), ("/private", None)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_wildcard_catches_everything_else() {
    let body = [
        echo_component("catch-all", &route("/...")),
        echo_component("exact", &route("/exact")),
    ]
    .concat();
    let app = Running::start(&manifest("catch-all", &body), TestOptions::default()).await;
    assert_routes(
        &app,
        &[
            ("/", Some("catch-all")),
            ("/anything/deep/below", Some("catch-all")),
            ("/exact", Some("exact")),
            ("/exact/below", Some("catch-all")),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_id_selection_serves_only_selected_components() {
    let options = TestOptions {
        component_ids: vec!["exact".into(), "user".into()],
        ..Default::default()
    };
    let app = Running::start(&routing_manifest(), options).await;
    assert_routes(
        &app,
        &[
            ("/exact", Some("exact")),
            ("/users/7", Some("user")),
            ("/wild", None),
            // With `me` not selected, its path falls back to the `:id` route.
            ("/users/me", Some("user")),
            ("/users/7/posts", None),
        ],
    )
    .await;
}
