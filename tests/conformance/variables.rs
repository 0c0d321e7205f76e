//! Spin variables: defaults, overrides at start, `{{ }}` templates, required variables,
//! error variants, and secrets that never reach the logs.

use std::time::Duration;

use wasmart_testing::eventually;
use wasmart_testing::TestOptions;

use crate::support::{manifest, Running};
use wasmart_testing::fixtures::source;

const SECRET: &str = "s3cr3t-v4lue-9d1c";

/// Application variables `greeting` (default), `who` (default), `api_key` (secret) and
/// `token` (required, only when `with_required`), mapped into component `vars`.
fn variables_manifest(with_required: bool) -> String {
    let (required_decl, required_use) = if with_required {
        ("token = { required = true }", "token = \"{{ token }}\"")
    } else {
        ("", "")
    };
    let body = format!(
        r#"
[variables]
greeting = {{ default = "hello" }}
who = {{ default = "world" }}
api_key = {{ secret = true, default = "not-the-real-key" }}
{required_decl}

[[trigger.http]]
route = "/vars/..."
component = "vars"

[component.vars]
source = {source}

[component.vars.variables]
greeting = "{{{{ greeting }}}}"
message = "{{{{ greeting }}}}, {{{{ who }}}}!"
literal = "plain value"
api_key = "{{{{ api_key }}}}"
{required_use}
"#,
        source = source("variables"),
    );
    manifest("variables", &body)
}

fn with_variables(variables: &[(&str, &str)]) -> TestOptions {
    TestOptions {
        variables: variables
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

/// `(status, body)` of `GET /vars/<name>`.
async fn variable(app: &Running, name: &str) -> (u16, String) {
    let response = app.fetch(&format!("/vars/{name}")).await;
    (response.status, response.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_literals_and_templates() {
    let app = Running::start(&variables_manifest(false), TestOptions::default()).await;
    assert_eq!(variable(&app, "greeting").await, (200, "hello".into()));
    assert_eq!(
        variable(&app, "message").await,
        (200, "hello, world!".into())
    );
    assert_eq!(variable(&app, "literal").await, (200, "plain value".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_values_override_defaults() {
    let options = with_variables(&[("greeting", "bonjour"), ("who", "le monde")]);
    let app = Running::start(&variables_manifest(false), options).await;
    assert_eq!(variable(&app, "greeting").await, (200, "bonjour".into()));
    assert_eq!(
        variable(&app, "message").await,
        (200, "bonjour, le monde!".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_component_variables_are_visible() {
    let app = Running::start(&variables_manifest(false), TestOptions::default()).await;
    // `who` is an application variable the component does not map.
    for name in ["who", "not_declared"] {
        let response = app.fetch(&format!("/vars/{name}")).await;
        assert_eq!(response.status, 404, "{name}: {}", response.text());
        assert_eq!(response.json()["error"], "undefined", "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_names_are_rejected() {
    let app = Running::start(&variables_manifest(false), TestOptions::default()).await;
    let response = app.fetch("/vars/Not-A-Valid-Name").await;
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(response.json()["error"], "invalid-name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_variable_without_value_fails_start() {
    let error = Running::start_error(
        &variables_manifest(true),
        "an app without a value for the required variable",
    )
    .await;
    assert!(
        error.contains("token"),
        "the error does not name the variable: {error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_variable_with_value_starts() {
    let app = Running::start(
        &variables_manifest(true),
        with_variables(&[("token", "t-1")]),
    )
    .await;
    assert_eq!(variable(&app, "token").await, (200, "t-1".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_is_readable_but_never_logged() {
    let app = Running::start(
        &variables_manifest(false),
        with_variables(&[("api_key", SECRET)]),
    )
    .await;
    assert_eq!(variable(&app, "api_key").await, (200, SECRET.into()));
    let _ = app.fetch("/vars/api_key?again").await;

    // The component log has the fixture's line (so logging works) but not the value.
    let log = eventually(Duration::from_secs(5), || async {
        let log = app.component_log("vars");
        log.contains("variables: read api_key").then_some(log)
    })
    .await
    .expect("timed out waiting for the component log line");
    assert!(!log.contains(SECRET), "secret in the component log:\n{log}");
    let access = eventually(Duration::from_secs(5), || async {
        let access = app.access_log();
        (access.lines().count() >= 2).then_some(access)
    })
    .await
    .expect("timed out waiting for two access log lines");
    assert!(
        !access.contains(SECRET),
        "secret in the access log:\n{access}"
    );
    for entry in std::fs::read_dir(app.state_dir().join("logs")).unwrap() {
        let path = entry.unwrap().path();
        let contents = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        assert!(!contents.contains(SECRET), "secret in {}", path.display());
    }
}
