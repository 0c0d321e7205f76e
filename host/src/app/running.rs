//! A started application: its address, its state, and its orderly shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;
use wasmtime_wasi_http::WasiBody;

use crate::engine::EpochTicker;
use crate::executor::Executor;
use crate::observability::otlp::ExportTask;
use crate::redis_server::PrivateRedis;
use crate::state_dir::StateDir;
use crate::triggers::http::dispatch::HttpTrigger;

/// An application serving requests.
pub struct RunningApp {
    pub(super) addr: SocketAddr,
    pub(super) metrics_addr: Option<SocketAddr>,
    /// The trace exporter and where it sends.
    pub(super) export: Option<(ExportTask, String)>,
    pub(super) executor: Arc<Executor>,
    pub(super) http: Arc<HttpTrigger>,
    pub(super) state: StateDir,
    pub(super) shutdown: CancellationToken,
    pub(super) server: tokio::task::JoinHandle<anyhow::Result<()>>,
    pub(super) tasks: Vec<tokio::task::JoinHandle<()>>,
    pub(super) private_redis: Vec<PrivateRedis>,
    pub(super) _ticker: EpochTicker,
}

impl RunningApp {
    /// The address the HTTP trigger listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of the metrics listener, if one was asked for.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The metrics as `GET /metrics` renders them.
    pub fn metrics_text(&self) -> String {
        self.executor.metrics().render()
    }

    /// Sends `request` to component `id` the way service chaining does
    /// (`http://<id>.spin.internal/...`): private routes included, in-process.
    pub async fn call_component(
        &self,
        id: &str,
        request: http::Request<bytes::Bytes>,
    ) -> anyhow::Result<http::Response<WasiBody>> {
        use http_body_util::{BodyExt, Full};
        let request = request.map(|body| {
            Full::new(body)
                .map_err(|never| match never {})
                .boxed_unsync()
        });
        self.http
            .chained(id, request)
            .await
            .map_err(|error| anyhow::anyhow!("calling component {id}: {error}"))
    }

    /// The application's state dir.
    pub fn state_dir(&self) -> &StateDir {
        &self.state
    }

    /// `spin up`'s banner: the address and every public route.
    pub fn banner(&self) -> String {
        let mut out = format!("Serving http://{}\n", self.addr);
        if let Some(metrics) = self.metrics_addr {
            out.push_str(&format!("Metrics at http://{metrics}/metrics\n"));
        }
        if let Some((_, endpoint)) = &self.export {
            out.push_str(&format!("Exporting traces to {endpoint}\n"));
        }
        out.push_str("Available Routes:\n");
        for (route, component, wildcard) in self.http.router().routes() {
            let path = route.strip_suffix("/...").unwrap_or(route);
            let path = if path.is_empty() { "/" } else { path };
            let suffix = if wildcard { " (wildcard)" } else { "" };
            out.push_str(&format!(
                "  {component}: http://{}{path}{suffix}\n",
                self.addr
            ));
        }
        out
    }

    /// Mean time to create a store and instantiate component `id` (see
    /// [`HttpTrigger::time_instantiation`]).
    pub async fn time_instantiation(&self, id: &str, iterations: u32) -> anyhow::Result<Duration> {
        self.http.time_instantiation(id, iterations).await
    }

    /// Stops accepting, lets in-flight requests finish, stops triggers, exports the last
    /// spans, and stops private Redis.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        let served = self.server.await.context("HTTP server task")?;
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        if let Some((export, _)) = self.export.take() {
            export.shutdown().await;
        }
        for server in &mut self.private_redis {
            server.stop().await;
        }
        served
    }
}
