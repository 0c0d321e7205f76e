//! Key-value stores: granted labels work, ungranted ones are `access-denied`, an
//! undefined label is a start-up error, data persists per label, a label is shared
//! between components and labels are isolated from each other.

use wasmart_testing::TestOptions;

use crate::support::{error_of, http_component, manifest, new_dir, route, write_file, Running};
use wasmart_testing::fixtures::source;

const RUNTIME_CONFIG: &str = r#"
[key_value_store.other]
type = "spin"
path = "other.db"
"#;

/// Component `a` (at `/a/...`) may use `default` and `other`; `b` (at `/b/...`) only
/// `default`.
fn kv_manifest() -> String {
    let kv = source("kv");
    let body = [
        http_component(
            "a",
            &route("/a/..."),
            &kv,
            r#"key_value_stores = ["default", "other"]"#,
        ),
        http_component(
            "b",
            &route("/b/..."),
            &kv,
            r#"key_value_stores = ["default"]"#,
        ),
    ]
    .concat();
    manifest("key-value", &body)
}

/// Starts the kv app from `dir`, with the runtime config defining `other`.
async fn start_kv_in(dir: tempfile::TempDir) -> Running {
    let config = write_file(dir.path(), "runtime-config.toml", RUNTIME_CONFIG);
    let options = TestOptions {
        runtime_config: Some(config),
        ..Default::default()
    };
    Running::start_in(dir, &kv_manifest(), options).await
}

async fn put(app: &Running, path: &str, value: &'static [u8]) {
    let response = app.send("PUT", path, &[], value).await;
    assert_eq!(response.status, 200, "PUT {path}: {}", response.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granted_store_supports_every_operation() {
    let app = start_kv_in(new_dir()).await;
    assert_eq!(app.fetch("/a/open/default").await.status, 200);
    put(&app, "/a/kv/default/greeting", b"hello").await;
    put(&app, "/a/kv/default/other-key", b"x").await;

    let got = app.fetch("/a/kv/default/greeting").await;
    assert_eq!((got.status, got.text().as_str()), (200, "hello"));
    assert_eq!(
        app.fetch("/a/kv/default/greeting?exists").await.json()["exists"],
        true
    );
    let keys = app.fetch("/a/keys/default").await.json();
    assert_eq!(keys, serde_json::json!(["greeting", "other-key"]));
    assert_eq!(
        app.kv_get("default", "greeting").unwrap().as_deref(),
        Some(&b"hello"[..])
    );

    let deleted = app.send("DELETE", "/a/kv/default/greeting", &[], "").await;
    assert_eq!(deleted.status, 200);
    assert_eq!(app.fetch("/a/kv/default/greeting").await.status, 404);
    assert_eq!(
        app.fetch("/a/kv/default/greeting?exists").await.json()["exists"],
        false
    );
    assert_eq!(app.kv_get("default", "greeting").unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_are_binary_safe() {
    let app = start_kv_in(new_dir()).await;
    let value: &'static [u8] = &[0, 1, 2, 0xff, 0xfe, b'\n', 0];
    put(&app, "/a/kv/default/binary", value).await;
    assert_eq!(app.fetch("/a/kv/default/binary").await.body.as_ref(), value);
    assert_eq!(
        app.kv_get("default", "binary").unwrap().as_deref(),
        Some(value)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ungranted_label_is_access_denied() {
    let app = start_kv_in(new_dir()).await;
    // `other` exists but `b` was not granted it.
    let response = app.fetch("/b/open/other").await;
    assert_eq!(
        (response.status, error_of(&response).as_str()),
        (403, "access-denied")
    );
    let response = app.fetch("/b/kv/other/key").await;
    assert_eq!(
        (response.status, error_of(&response).as_str()),
        (403, "access-denied")
    );
    // A label nobody defined nor granted.
    let response = app.fetch("/a/open/nowhere").await;
    assert_eq!(
        (response.status, error_of(&response).as_str()),
        (403, "access-denied")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granted_but_undefined_label_fails_at_start() {
    let body = http_component(
        "kv",
        &route("/..."),
        &source("kv"),
        r#"key_value_stores = ["nowhere"]"#,
    );
    let error = Running::start_error(
        &manifest("kv-undefined", &body),
        "an app granting an undefined key-value label",
    )
    .await;
    assert!(
        error.contains("nowhere"),
        "the error does not name the label: {error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_granted_the_same_label_share_it() {
    let app = start_kv_in(new_dir()).await;
    put(&app, "/a/kv/default/shared", b"written by a").await;
    assert_eq!(
        app.fetch("/b/kv/default/shared").await.text(),
        "written by a"
    );
    put(&app, "/b/kv/default/shared", b"written by b").await;
    assert_eq!(
        app.fetch("/a/kv/default/shared").await.text(),
        "written by b"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_are_isolated() {
    let app = start_kv_in(new_dir()).await;
    put(&app, "/a/kv/default/key", b"in default").await;
    put(&app, "/a/kv/other/key", b"in other").await;
    put(&app, "/a/kv/other/only-other", b"x").await;
    assert_eq!(app.fetch("/a/kv/default/key").await.text(), "in default");
    assert_eq!(app.fetch("/a/kv/other/key").await.text(), "in other");
    assert_eq!(app.fetch("/a/kv/default/only-other").await.status, 404);
    assert_eq!(
        app.fetch("/a/keys/default").await.json(),
        serde_json::json!(["key"])
    );
    assert_eq!(
        app.kv_get("other", "key").unwrap().as_deref(),
        Some(&b"in other"[..])
    );
    assert_eq!(app.kv_get("default", "only-other").unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_persists_across_restarts() {
    let app = start_kv_in(new_dir()).await;
    put(&app, "/a/kv/other/durable", b"still here").await;
    let dir = app.stop().await;
    assert!(
        dir.path().join("other.db").is_file(),
        "`other` is not in other.db next to the config"
    );

    let app = start_kv_in(dir).await;
    assert_eq!(app.fetch("/a/kv/other/durable").await.text(), "still here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_can_be_served_by_redis() {
    let server = wasmart_testing::RedisServer::start()
        .await
        .expect("starting redis-server (is it on PATH?)");
    let dir = new_dir();
    let config = format!(
        "[key_value_store.other]\ntype = \"redis\"\nurl = \"{}\"\n",
        server.url()
    );
    let config = write_file(dir.path(), "runtime-config.toml", &config);
    let options = TestOptions {
        runtime_config: Some(config),
        ..Default::default()
    };
    let app = Running::start_in(dir, &kv_manifest(), options).await;

    put(&app, "/a/kv/other/greeting", b"hello").await;
    assert_eq!(
        server.get("greeting").await.unwrap().as_deref(),
        Some(&b"hello"[..])
    );
    let got = app.fetch("/a/kv/other/greeting").await;
    assert_eq!((got.status, got.text().as_str()), (200, "hello"));
    assert_eq!(
        app.fetch("/a/kv/other/greeting?exists").await.json()["exists"],
        true
    );
    assert_eq!(
        app.fetch("/a/keys/other").await.json(),
        serde_json::json!(["greeting"])
    );
    assert_eq!(
        app.send("DELETE", "/a/kv/other/greeting", &[], "")
            .await
            .status,
        200
    );
    assert_eq!(server.get("greeting").await.unwrap(), None);
    // The SQLite default label is untouched by the Redis one.
    assert_eq!(app.kv_get("default", "greeting").unwrap(), None);
}
