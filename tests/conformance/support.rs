//! The conformance suite's helpers: manifests around the fixtures, apps started in temp
//! dirs, and the `outbound` fixture's reports.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wasmart_testing::{TestApp, TestOptions, TestResponse};

use wasmart_testing::fixtures::source;

/// A manifest (Spin manifest version 2) for application `name` followed by `body`.
pub fn manifest(name: &str, body: &str) -> String {
    format!("spin_manifest_version = 2\n\n[application]\nname = \"{name}\"\n{body}")
}

/// An HTTP trigger on `route` (a TOML value, e.g. [`route`]`("/x/...")` or
/// `{ private = true }`) for component `id` running `source` (a TOML value, e.g.
/// `source("kv")`), followed by `settings`: more of the component's table (grants,
/// environment, subtables).
pub fn http_component(id: &str, route: &str, source: &str, settings: &str) -> String {
    format!(
        "\n[[trigger.http]]\nroute = {route}\ncomponent = \"{id}\"\n\n[component.{id}]\nsource = {source}\n{settings}\n"
    )
}

/// An HTTP trigger on `route` (a TOML value) for component `id`, running fixture `echo`
/// with `COMPONENT_NAME = id`.
pub fn echo_component(id: &str, route: &str) -> String {
    http_component(
        id,
        route,
        &source("echo"),
        &format!("environment = {{ COMPONENT_NAME = \"{id}\" }}"),
    )
}

/// `"<route>"` as a TOML string, for [`echo_component`].
pub fn route(path: &str) -> String {
    format!("\"{path}\"")
}

/// A running app together with the temp dir holding its manifest (and anything else
/// written next to it, like a runtime config or files to mount).
pub struct Running {
    pub app: TestApp,
    pub dir: tempfile::TempDir,
}

impl Deref for Running {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl Running {
    /// Starts `manifest` from a fresh temp dir; panics if it does not start.
    pub async fn start(manifest: &str, options: TestOptions) -> Running {
        Self::start_in(new_dir(), manifest, options).await
    }

    /// Starts `manifest` from `dir`; panics if it does not start.
    pub async fn start_in(dir: tempfile::TempDir, manifest: &str, options: TestOptions) -> Running {
        Self::try_start_in(dir, manifest, options)
            .await
            .unwrap_or_else(|e| panic!("the app did not start: {e:#}\nmanifest:\n{manifest}"))
    }

    /// Starts `manifest` from `dir`.
    pub async fn try_start_in(
        dir: tempfile::TempDir,
        manifest: &str,
        options: TestOptions,
    ) -> anyhow::Result<Running> {
        let app = TestApp::start_toml(dir.path(), manifest, options).await?;
        Ok(Running { app, dir })
    }

    /// Why `manifest` does not start (with default options); panics, saying `what` started,
    /// if it does.
    pub async fn start_error(manifest: &str, what: &str) -> String {
        match Self::try_start_in(new_dir(), manifest, TestOptions::default()).await {
            Ok(_) => panic!("{what} started"),
            Err(error) => format!("{error:#}"),
        }
    }

    /// Stops the app and hands back its dir (to start again over the same files).
    pub async fn stop(self) -> tempfile::TempDir {
        self.app.stop().await.expect("stopping the app");
        self.dir
    }

    /// Sends a request; panics if there is no response within 30 s.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<bytes::Bytes>,
    ) -> TestResponse {
        let request = self.app.request(method, path, headers, body);
        match tokio::time::timeout(Duration::from_secs(30), request).await {
            Ok(response) => response.unwrap_or_else(|e| panic!("{method} {path}: {e:#}")),
            Err(_) => panic!("{method} {path}: no response within 30 s"),
        }
    }

    /// `GET path`; panics if there is no response within 30 s.
    pub async fn fetch(&self, path: &str) -> TestResponse {
        self.send("GET", path, &[], bytes::Bytes::new()).await
    }

    /// The access log's lines, parsed.
    pub fn access_entries(&self) -> Vec<serde_json::Value> {
        self.app
            .access_log()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("access log line is not JSON ({e}): {line}"))
            })
            .collect()
    }
}

/// A fresh temp dir for an app.
pub fn new_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("creating a temp dir")
}

/// Writes `contents` to `dir/relative` (creating folders) and returns the full path.
pub fn write_file(dir: &Path, relative: &str, contents: &str) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, contents).unwrap();
    path
}

/// The JSON error variant of a fixture's error response (`{"error": ".."}`).
pub fn error_of(response: &TestResponse) -> String {
    response.json()["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in: {}", response.text()))
        .to_owned()
}

/// An HTTP trigger on `route` for component `id`, running fixture `outbound` with the
/// given `allowed_outbound_hosts`.
pub fn outbound_component(id: &str, route: &str, allowed_hosts: &[&str]) -> String {
    http_component(
        id,
        &self::route(route),
        &source("outbound"),
        &format!("allowed_outbound_hosts = {allowed_hosts:?}"),
    )
}

/// Asks the `outbound` fixture at `route` to GET `target`; returns the fixture's status
/// and JSON report.
pub async fn outbound_get(app: &Running, route: &str, target: &str) -> (u16, serde_json::Value) {
    let response = app.send("GET", route, &[("x-target", target)], "").await;
    (response.status, response.json())
}

/// Asserts the `outbound` fixture's request was refused by the allow-list.
pub fn assert_denied(status: u16, report: &serde_json::Value) {
    assert_eq!(status, 502, "expected a failed send, got {report:#}");
    let error = report["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("HttpRequestDenied"),
        "expected HttpRequestDenied, got {error:?}"
    );
}

/// The upstream body the `outbound` fixture got, parsed as JSON (an echo of the request).
pub fn upstream_echo(status: u16, report: &serde_json::Value) -> serde_json::Value {
    assert_eq!(status, 200, "the outbound request failed: {report:#}");
    assert_eq!(report["status"], 200, "upstream status: {report:#}");
    let body = report["body"].as_str().unwrap();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("upstream body not JSON ({e}): {body}"))
}
