//! Guest environment: the manifest's per-component `environment`, and variables given to
//! every component at start (`--env`, here `TestOptions::env`).

use wasmart_testing::TestOptions;

use crate::support::{http_component, manifest, route, Running};
use wasmart_testing::fixtures::source;

fn environment_manifest() -> String {
    let echo = source("echo");
    let body = [
        http_component(
            "a",
            &route("/a"),
            &echo,
            r#"environment = { COMPONENT_NAME = "a", ONLY_A = "yes" }"#,
        ),
        http_component(
            "b",
            &route("/b"),
            &echo,
            r#"environment = { COMPONENT_NAME = "b" }"#,
        ),
    ]
    .concat();
    manifest("environment", &body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_is_per_component() {
    let app = Running::start(&environment_manifest(), TestOptions::default()).await;
    let a = app.fetch("/a").await.json();
    let b = app.fetch("/b").await.json();
    assert_eq!(a["component_name"], "a");
    assert_eq!(a["env"]["ONLY_A"], "yes");
    assert_eq!(b["component_name"], "b");
    assert!(
        b["env"].get("ONLY_A").is_none(),
        "b sees a's environment: {b:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_environment_reaches_every_component() {
    let options = TestOptions {
        env: vec![("SHARED_SETTING".into(), "for everyone".into())],
        ..Default::default()
    };
    let app = Running::start(&environment_manifest(), options).await;
    for path in ["/a", "/b"] {
        let echo = app.fetch(path).await.json();
        assert_eq!(
            echo["env"]["SHARED_SETTING"], "for everyone",
            "{path}: {echo:#}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_environment_does_not_leak_into_guests() {
    let app = Running::start(&environment_manifest(), TestOptions::default()).await;
    let echo = app.fetch("/a").await.json();
    let env = echo["env"].as_object().unwrap();
    for name in ["PATH", "HOME", "CARGO_MANIFEST_DIR"] {
        assert!(
            !env.contains_key(name),
            "host variable {name} visible to the guest: {env:?}"
        );
    }
}
