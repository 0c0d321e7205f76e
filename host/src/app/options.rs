//! How to run an application: the `up` command's flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::engine::EngineOptions;
use crate::observability::access_log::LogFormat;
use crate::observability::otlp::OtlpConfig;
use crate::triggers::http::limits::HttpLimits;

/// Event deliveries that may run at once by default.
pub const DEFAULT_MAX_EVENT_INSTANCES: u32 = 64;

/// How to run an application: the `up` command's flags.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub manifest: PathBuf,
    /// Defaults to `.spin` next to the manifest.
    pub state_dir: Option<PathBuf>,
    pub runtime_config_file: Option<PathBuf>,
    /// `--variable name=value`.
    pub variables: Vec<(String, String)>,
    /// `--env KEY=VALUE`: environment variables for every component.
    pub env: Vec<(String, String)>,
    /// `--component-id`: run only these components (and their triggers); empty runs all.
    pub component_ids: Vec<String>,
    pub listen: SocketAddr,
    /// `--metrics-listen`: where to serve `GET /metrics` (Prometheus); off when `None`.
    pub metrics_listen: Option<SocketAddr>,
    pub engine: EngineOptions,
    pub request_timeout: Duration,
    /// `--max-event-instances`: event deliveries running at once (client requests have
    /// `engine.max_instances`).
    pub max_event_instances: u32,
    /// What the HTTP server allows one client (timeouts, body and connection limits).
    pub http_limits: HttpLimits,
    /// Echo component output to the console, prefixed with the component id, and every
    /// request and event delivery in `log_format`.
    pub console_logs: bool,
    /// `--log-format`: how requests and event deliveries are echoed on the console.
    pub log_format: LogFormat,
    /// Where to export spans (from the `OTEL_*` environment variables); off when `None`.
    pub otlp: Option<OtlpConfig>,
}

impl AppOptions {
    /// Defaults for the manifest at `manifest`.
    pub fn new(manifest: impl Into<PathBuf>) -> Self {
        Self {
            manifest: manifest.into(),
            state_dir: None,
            runtime_config_file: None,
            variables: Vec::new(),
            env: Vec::new(),
            component_ids: Vec::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            metrics_listen: None,
            engine: EngineOptions::default(),
            request_timeout: Duration::from_secs(30),
            max_event_instances: DEFAULT_MAX_EVENT_INSTANCES,
            http_limits: HttpLimits::default(),
            console_logs: true,
            log_format: LogFormat::Text,
            otlp: None,
        }
    }
}
