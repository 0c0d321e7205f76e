//! [`TestApp`]: an application started on 127.0.0.1:0 with a fresh temporary state dir, to
//! send requests to and to look into (its stores, logs and metrics).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use wasmart_host::engine::EngineOptions;
use wasmart_host::observability::otlp::OtlpConfig;
use wasmart_host::{App, AppOptions, RunningApp};

use crate::client::{read_response, request_builder, HttpClient, TestResponse};

/// How to start a test application; `Default` gives the same defaults as `up`.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Like `--variable name=value`.
    pub variables: Vec<(String, String)>,
    /// Like `--env KEY=VALUE`.
    pub env: Vec<(String, String)>,
    /// Like `--runtime-config-file`.
    pub runtime_config: Option<PathBuf>,
    /// Like repeated `--component-id` (empty runs all).
    pub component_ids: Vec<String>,
    /// Per-request deadline (default 30 s).
    pub request_timeout: Option<Duration>,
    /// Instances that may run at once.
    pub max_instances: Option<u32>,
    /// Memory cap per instance, in MiB.
    pub instance_memory_mb: Option<u64>,
    /// Serve metrics on a free loopback port (like `--metrics-listen 127.0.0.1:0`).
    pub metrics: bool,
    /// What the HTTP server allows a client (default: as `up`).
    pub http_limits: Option<wasmart_host::triggers::http::limits::HttpLimits>,
    /// Export spans (what `up` reads from `OTEL_EXPORTER_OTLP_*`; tests must not share the
    /// process environment).
    pub otlp: Option<OtlpConfig>,
}

/// A running application with its own temporary state dir.
pub struct TestApp {
    running: RunningApp,
    client: HttpClient,
    runtime_config: Option<PathBuf>,
    _state: tempfile::TempDir,
}

impl TestApp {
    /// Starts the application at `manifest_path` on 127.0.0.1:0.
    pub async fn start(
        manifest_path: impl AsRef<Path>,
        options: TestOptions,
    ) -> anyhow::Result<Self> {
        let state = tempfile::tempdir()?;
        let defaults = EngineOptions::default();
        let app_options = AppOptions {
            manifest: manifest_path.as_ref().to_path_buf(),
            state_dir: Some(state.path().to_path_buf()),
            runtime_config_file: options.runtime_config.clone(),
            variables: options.variables,
            env: options.env,
            component_ids: options.component_ids,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            metrics_listen: options
                .metrics
                .then(|| SocketAddr::from(([127, 0, 0, 1], 0))),
            engine: EngineOptions {
                max_instances: options.max_instances.unwrap_or(32),
                instance_memory_mb: options
                    .instance_memory_mb
                    .unwrap_or(defaults.instance_memory_mb),
                cache_dir: defaults.cache_dir,
            },
            request_timeout: options.request_timeout.unwrap_or(Duration::from_secs(30)),
            max_event_instances: wasmart_host::DEFAULT_MAX_EVENT_INSTANCES,
            http_limits: options.http_limits.unwrap_or_default(),
            console_logs: false,
            log_format: Default::default(),
            otlp: options.otlp,
        };
        let running = App::load(&app_options).await?.start().await?;
        let client = HttpClient::new();
        Ok(Self {
            running,
            client,
            runtime_config: options.runtime_config,
            _state: state,
        })
    }

    /// Writes `manifest_toml` to `<dir>/spin.toml` and starts it.
    pub async fn start_toml(
        dir: &Path,
        manifest_toml: &str,
        options: TestOptions,
    ) -> anyhow::Result<Self> {
        let path = dir.join("spin.toml");
        std::fs::write(&path, manifest_toml)?;
        Self::start(path, options).await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.running.addr())
    }

    /// The state dir (a temporary folder removed when the app is dropped).
    pub fn state_dir(&self) -> &Path {
        self.running.state_dir().root()
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> anyhow::Result<TestResponse> {
        self.request("GET", path, &[], Bytes::new()).await
    }

    /// Sends one request and reads the whole response.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> anyhow::Result<TestResponse> {
        self.client
            .request(&self.base_url(), method, path, headers, body)
            .await
    }

    /// Sends one request straight to component `id`, as service chaining does (private
    /// routes included), and reads the whole response. `path` is the full path and query.
    pub async fn call_component(
        &self,
        id: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> anyhow::Result<TestResponse> {
        let request = request_builder(method, &format!("http://{id}.spin.internal{path}"), headers);
        let response = self
            .running
            .call_component(id, request.body(body.into())?)
            .await?;
        read_response(response).await
    }

    /// The value of `key` in key-value label `label`, read from its backend's SQLite file.
    pub fn kv_get(&self, label: &str, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        use rusqlite::OptionalExtension;
        let path = self.state_dir().join("sqlite_key_value.db");
        let path = if label == "default" {
            path
        } else {
            self.labelled_file("key_value_store", label)?
        };
        let connection = rusqlite::Connection::open(&path)?;
        Ok(connection
            .query_row(
                "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                (label, key),
                |row| row.get(0),
            )
            .optional()?)
    }

    /// The rows `sql` returns from SQLite label `label`'s database.
    pub fn sqlite_query(
        &self,
        label: &str,
        sql: &str,
    ) -> anyhow::Result<Vec<Vec<serde_json::Value>>> {
        let path = if label == "default" {
            self.state_dir().join("sqlite_db.db")
        } else {
            self.labelled_file("sqlite_database", label)?
        };
        let connection = rusqlite::Connection::open(&path)?;
        let mut statement = connection.prepare(sql)?;
        let width = statement.column_count();
        let rows = statement.query_map([], |row| {
            (0..width)
                .map(|i| {
                    Ok(match row.get::<_, rusqlite::types::Value>(i)? {
                        rusqlite::types::Value::Null => serde_json::Value::Null,
                        rusqlite::types::Value::Integer(n) => n.into(),
                        rusqlite::types::Value::Real(f) => f.into(),
                        rusqlite::types::Value::Text(s) => s.into(),
                        rusqlite::types::Value::Blob(b) => b.into(),
                    })
                })
                .collect()
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A non-default label's file, as the runtime config names it (relative to that file).
    fn labelled_file(&self, section: &str, label: &str) -> anyhow::Result<PathBuf> {
        let config = self
            .runtime_config
            .as_ref()
            .context("no runtime config file was given")?;
        let table: toml::Table = toml::from_str(&std::fs::read_to_string(config)?)?;
        let path = table
            .get(section)
            .and_then(|s| s.get(label))
            .and_then(|s| s.get("path"))
            .and_then(|p| p.as_str())
            .with_context(|| format!("[{section}.{label}] has no `path`"))?;
        Ok(config.parent().unwrap_or(Path::new(".")).join(path))
    }

    /// `<state-dir>/logs/<component>.log`.
    pub fn component_log(&self, component_id: &str) -> String {
        std::fs::read_to_string(self.running.state_dir().component_log(component_id))
            .unwrap_or_default()
    }

    /// The metrics listener's base URL, when [`TestOptions::metrics`] asked for one.
    pub fn metrics_url(&self) -> Option<String> {
        self.running
            .metrics_addr()
            .map(|address| format!("http://{address}"))
    }

    /// The metrics as `GET /metrics` renders them (Prometheus text format).
    pub fn metrics_text(&self) -> String {
        self.running.metrics_text()
    }

    /// `<state-dir>/logs/access.log`; waits briefly for the background writer.
    pub fn access_log(&self) -> String {
        std::thread::sleep(Duration::from_millis(50));
        std::fs::read_to_string(self.running.state_dir().access_log()).unwrap_or_default()
    }

    /// Stops the application, letting in-flight requests finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.running.shutdown().await
    }
}
