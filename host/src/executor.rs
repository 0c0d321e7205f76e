//! Runs components: one pre-instantiated component per id, a fresh [`Store`] per request or
//! event whose data carries that component's grants, a per-invocation deadline, and a queue
//! in front of the instance pool.
//!
//! Every guest failure (trap, timeout, no response) stays inside the one invocation: it is
//! logged and becomes a 500 for that request, and the host carries on.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::allowed_hosts::AllowedHosts;
use crate::bindings::redis_handler::RedisHandlerPre;
use crate::capabilities::key_value::KeyValueStore;
use crate::capabilities::outbound_http::OutboundHttp;
use crate::capabilities::outbound_redis::RedisConnections;
use crate::capabilities::sqlite::SqliteDatabase;
use crate::observability::access_log::{self, AccessLog, AccessRecord, EventRecord};
use crate::observability::component_log::ComponentLog;
use crate::observability::metrics::Metrics;
use crate::triggers::http::headers;
use crate::triggers::http::router::{RouteMatch, Router};

/// What one component may touch, fixed at start-up from its manifest entry.
pub struct Grants {
    pub key_value: HashMap<String, Arc<dyn KeyValueStore>>,
    pub sqlite: HashMap<String, Arc<SqliteDatabase>>,
    pub variables: BTreeMap<String, String>,
    pub allowed_hosts: Arc<AllowedHosts>,
}

/// A host folder a component sees at `guest` (read-only).
pub struct Mount {
    pub host: PathBuf,
    pub guest: String,
}

/// A compiled, linked component ready to instantiate.
pub struct Component {
    pub id: String,
    pub grants: Grants,
    pub environment: Vec<(String, String)>,
    pub mounts: Vec<Mount>,
    pub log: Arc<ComponentLog>,
    /// Set when the component exports `wasi:http/incoming-handler`.
    pub http: Option<ProxyPre<HostState>>,
    /// Set when the component exports `fermyon:spin/inbound-redis`.
    pub redis: Option<RedisHandlerPre<HostState>>,
}

/// Host resources shared by every component.
#[derive(Default)]
pub struct Services {
    pub redis: RedisConnections,
}

/// The data of one `Store`: WASI contexts plus the grants of the component it runs.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    outbound: OutboundHttp,
    component: Arc<Component>,
    executor: Arc<Executor>,
    deadline: Instant,
}

impl HostState {
    /// The grants of the running component.
    pub fn grants(&self) -> &Grants {
        &self.component.grants
    }

    /// Host resources shared by all components.
    pub fn services(&self) -> &Services {
        &self.executor.services
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

/// How a guest invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum GuestFailure {
    #[error("component {0:?} is not part of this application")]
    UnknownComponent(String),
    #[error("component {0:?} does not export the handler this trigger calls")]
    NoHandler(String),
    #[error("trapped: {0:?}")]
    Trap(wasmtime::Error),
    #[error("did not finish within its {0:?} deadline")]
    Timeout(Duration),
    #[error("returned without sending a response")]
    NoResponse,
    #[error("handler returned an error")]
    HandlerError,
}

/// Limits on guest execution.
#[derive(Debug, Clone)]
pub struct ExecutionLimits {
    pub request_timeout: Duration,
    pub max_instances: u32,
}

/// Everything needed to run the application's components.
pub struct Executor {
    engine: Engine,
    components: HashMap<String, Arc<Component>>,
    router: Router,
    services: Services,
    limits: ExecutionLimits,
    permits: tokio::sync::Semaphore,
    access_log: AccessLog,
    metrics: Arc<Metrics>,
    listen_addr: OnceLock<SocketAddr>,
}

/// The body type of every response the host produces.
pub type ResponseBody = WasiBody;

/// A short plain-text response made by the host itself.
pub fn host_response(status: http::StatusCode, text: &str) -> http::Response<ResponseBody> {
    let body = Full::new(Bytes::from(format!("{text}\n")))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

impl Executor {
    /// Assembles an executor from linked components.
    pub fn new(
        engine: Engine,
        components: HashMap<String, Arc<Component>>,
        router: Router,
        limits: ExecutionLimits,
        access_log: AccessLog,
        metrics: Metrics,
    ) -> Arc<Self> {
        let permits = tokio::sync::Semaphore::new(limits.max_instances.max(1) as usize);
        Arc::new(Self {
            engine,
            components,
            router,
            services: Services::default(),
            limits,
            permits,
            access_log,
            metrics: Arc::new(metrics),
            listen_addr: OnceLock::new(),
        })
    }

    /// What the host measures of the application (see `--metrics-listen`).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The application's public routes.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Records the address the HTTP trigger listens on (used for `Host` and self requests).
    pub fn set_listen_addr(&self, addr: SocketAddr) {
        let _ = self.listen_addr.set(addr);
    }

    fn default_host(&self) -> String {
        self.listen_addr
            .get()
            .map_or_else(|| "localhost".into(), ToString::to_string)
    }

    fn component(&self, id: &str) -> Result<&Arc<Component>, GuestFailure> {
        self.components
            .get(id)
            .ok_or_else(|| GuestFailure::UnknownComponent(id.to_string()))
    }

    fn new_store(
        self: &Arc<Self>,
        component: &Arc<Component>,
    ) -> wasmtime::Result<Store<HostState>> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(component.log.stream())
            .stderr(component.log.stream())
            .envs(&component.environment);
        for mount in &component.mounts {
            wasi.preopened_dir(&mount.host, &mount.guest, FsPerms::ReadOnly)?;
        }
        let state = HostState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            outbound: OutboundHttp::new(component.grants.allowed_hosts.clone(), self.clone()),
            component: component.clone(),
            executor: self.clone(),
            deadline: Instant::now() + self.limits.request_timeout,
        };
        let mut store = Store::new(&self.engine, state);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|store| {
            Ok(if Instant::now() >= store.data().deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        Ok(store)
    }

    /// Serves a request that arrived at the HTTP trigger: routes it, runs the component and
    /// records the access-log line.
    pub async fn serve_http<B>(
        self: &Arc<Self>,
        mut request: http::Request<B>,
        client: SocketAddr,
    ) -> http::Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let started = Instant::now();
        let method = request.method().to_string();
        let path = request.uri().path().to_string();
        let (request_id, trace_id) = correlate(request.headers_mut());
        let (response, route) = if path == "/.well-known/spin/health" {
            (host_response(http::StatusCode::OK, "OK"), None)
        } else {
            match self.router.route(&path) {
                None => (
                    host_response(http::StatusCode::NOT_FOUND, "Not Found"),
                    None,
                ),
                Some(route) => {
                    let queued = self.metrics.queued();
                    let _permit = self.permits.acquire().await;
                    drop(queued);
                    let _running = self.metrics.running();
                    (self.run_matched(request, &route, client).await, Some(route))
                }
            }
        };
        if let Some(route) = &route {
            self.metrics.record_request(
                &route.component,
                &route.raw_route,
                response.status().as_u16(),
                started.elapsed(),
            );
        }
        self.access_log.record(&AccessRecord {
            kind: "request",
            ts: access_log::unix_now(),
            method: &method,
            path: &path,
            route: route.as_ref().map_or("", |r| r.raw_route.as_str()),
            component: route.as_ref().map_or("", |r| r.component.as_str()),
            status: response.status().as_u16(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            request_id: &request_id,
            trace_id: &trace_id,
        });
        response
    }

    /// Runs the component `route` names for `request`, adding Spin's headers first.
    async fn run_matched<B>(
        self: &Arc<Self>,
        mut request: http::Request<B>,
        route: &RouteMatch,
        client: SocketAddr,
    ) -> http::Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let default_host = self.default_host();
        let path_and_query = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        if !request.headers().contains_key(http::header::HOST) {
            if let Ok(host) = http::HeaderValue::try_from(default_host.as_str()) {
                request.headers_mut().insert(http::header::HOST, host);
            }
        }
        headers::apply(
            request.headers_mut(),
            &path_and_query,
            route,
            client,
            &default_host,
        );
        match self.run_http(&route.component, request).await {
            Ok(response) => response,
            Err(failure) => {
                self.report(&route.component, &failure);
                host_response(
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error",
                )
            }
        }
    }

    fn report(&self, component: &str, failure: &GuestFailure) {
        tracing::error!(component, "component failed: {failure}");
        let kind = match failure {
            GuestFailure::UnknownComponent(_) | GuestFailure::NoHandler(_) => "no_handler",
            GuestFailure::Trap(_) => "trap",
            GuestFailure::Timeout(_) => "timeout",
            GuestFailure::NoResponse => "no_response",
            GuestFailure::HandlerError => "handler_error",
        };
        self.metrics.record_failure(component, kind);
        if let Ok(c) = self.component(component) {
            c.log.host_note(&format!("request failed: {failure}"));
        }
    }

    /// Runs component `id`'s HTTP handler with a fresh instance.
    async fn run_http<B>(
        self: &Arc<Self>,
        id: &str,
        request: http::Request<B>,
    ) -> Result<http::Response<ResponseBody>, GuestFailure>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let component = self.component(id)?.clone();
        let pre = component
            .http
            .clone()
            .ok_or_else(|| GuestFailure::NoHandler(id.to_string()))?;
        let mut store = self.new_store(&component).map_err(GuestFailure::Trap)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .map_err(GuestFailure::Trap)?;
        let outparam = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(GuestFailure::Trap)?;
        let timeout = self.limits.request_timeout;
        let metrics = self.metrics.clone();
        let component_id = id.to_string();
        let task = tokio::spawn(async move {
            let run = async {
                let instantiating = Instant::now();
                let proxy = pre.instantiate_async(&mut store).await?;
                metrics.record_instantiation(&component_id, instantiating.elapsed());
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, outparam)
                    .await
            };
            match tokio::time::timeout(timeout, run).await {
                Ok(result) => result.map_err(GuestFailure::Trap),
                Err(_) => Err(GuestFailure::Timeout(timeout)),
            }
        });
        match receiver.await {
            Ok(Ok(response)) => {
                let this = self.clone();
                let id = id.to_string();
                // The guest may still be streaming the body; report a late failure too.
                tokio::spawn(async move {
                    if let Ok(Err(failure)) = task.await {
                        this.report(&id, &failure);
                    }
                });
                Ok(response)
            }
            Ok(Err(code)) => {
                task.abort();
                Err(GuestFailure::Trap(wasmtime::Error::msg(format!(
                    "guest answered with error {code:?}"
                ))))
            }
            Err(_) => Err(match task.await {
                Ok(Err(failure)) => failure,
                Ok(Ok(())) => GuestFailure::NoResponse,
                Err(join) => GuestFailure::Trap(wasmtime::Error::msg(join.to_string())),
            }),
        }
    }

    /// Service chaining: runs component `id` for a request another component sent to
    /// `http://<id>.spin.internal/...`.
    pub async fn handle_chained_request(
        self: &Arc<Self>,
        id: &str,
        mut request: http::Request<WasiBody>,
    ) -> Result<http::Response<ResponseBody>, wasmtime_wasi_http::Error> {
        if self.components.get(id).is_none_or(|c| c.http.is_none()) {
            return Err(wasmtime_wasi_http::Error::DestinationNotFound);
        }
        let path = request.uri().path().to_string();
        let path_and_query = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let route = RouteMatch::synthetic(id, &path);
        let client = SocketAddr::from(([127, 0, 0, 1], 0));
        headers::apply(
            request.headers_mut(),
            &path_and_query,
            &route,
            client,
            &self.default_host(),
        );
        let started = Instant::now();
        let response = match self.run_http(id, request).await {
            Ok(response) => response,
            Err(failure) => {
                self.report(id, &failure);
                host_response(
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error",
                )
            }
        };
        self.metrics
            .record_request(id, "chained", response.status().as_u16(), started.elapsed());
        Ok(response)
    }

    /// A self request: a relative URL routed through the application's own public routes.
    pub async fn handle_self_request(
        self: &Arc<Self>,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<ResponseBody>, wasmtime_wasi_http::Error> {
        let (mut parts, body) = request.into_parts();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let host = self.default_host();
        parts.uri = format!("http://{host}{path_and_query}")
            .parse()
            .map_err(|_| wasmtime_wasi_http::Error::HttpRequestUriInvalid)?;
        if let Ok(value) = http::HeaderValue::try_from(host.as_str()) {
            parts.headers.insert(http::header::HOST, value);
        }
        let request = http::Request::from_parts(parts, body);
        let client = self
            .listen_addr
            .get()
            .copied()
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
        Ok(match self.router.route(request.uri().path()) {
            Some(route) => self.run_matched(request, &route, client).await,
            None => host_response(http::StatusCode::NOT_FOUND, "Not Found"),
        })
    }

    /// Creates a store and instantiates component `id` `iterations` times without calling it;
    /// returns the mean time of one store-and-instantiate (what every request pays).
    pub async fn time_instantiation(
        self: &Arc<Self>,
        id: &str,
        iterations: u32,
    ) -> anyhow::Result<Duration> {
        let component = self.component(id)?.clone();
        let pre = component
            .http
            .clone()
            .ok_or_else(|| GuestFailure::NoHandler(id.to_string()))?;
        let started = Instant::now();
        for _ in 0..iterations {
            let mut store = self.new_store(&component)?;
            pre.instantiate_async(&mut store).await?;
        }
        Ok(started.elapsed() / iterations.max(1))
    }

    /// Runs component `id`'s Redis handler for one message.
    pub async fn handle_redis_message(
        self: &Arc<Self>,
        id: &str,
        channel: &str,
        payload: &Vec<u8>,
    ) -> Result<(), GuestFailure> {
        let component = self.component(id)?.clone();
        let pre = component
            .redis
            .clone()
            .ok_or_else(|| GuestFailure::NoHandler(id.to_string()))?;
        let queued = self.metrics.queued();
        let _permit = self.permits.acquire().await;
        drop(queued);
        let _running = self.metrics.running();
        let started = Instant::now();
        let mut store = self.new_store(&component).map_err(GuestFailure::Trap)?;
        let timeout = self.limits.request_timeout;
        let run = async {
            let handler = pre.instantiate_async(&mut store).await?;
            self.metrics.record_instantiation(id, started.elapsed());
            handler
                .fermyon_spin_inbound_redis()
                .call_handle_message(&mut store, payload)
                .await
        };
        let outcome = match tokio::time::timeout(timeout, run).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(_))) => Err(GuestFailure::HandlerError),
            Ok(Err(trap)) => Err(GuestFailure::Trap(trap)),
            Err(_) => Err(GuestFailure::Timeout(timeout)),
        };
        if let Err(failure) = &outcome {
            self.report(id, failure);
        }
        self.metrics
            .record_event(id, outcome.is_ok(), started.elapsed());
        let message: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
        self.access_log.record(&EventRecord {
            kind: "event",
            ts: access_log::unix_now(),
            component: id,
            channel,
            outcome: if outcome.is_ok() { "handled" } else { "failed" },
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            event_id: message["id"].as_str(),
            trace_id: message["traceparent"]
                .as_str()
                .and_then(access_log::trace_id),
        });
        outcome
    }
}

/// The request id and trace id of an incoming request: the client's when well-formed, else
/// new ones, written into the request's headers so that the component, the access log and
/// every later hop share them.
fn correlate(headers: &mut http::HeaderMap) -> (String, String) {
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_string);
    let request_id = match request_id {
        Some(id) => id,
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            if let Ok(value) = http::HeaderValue::from_str(&id) {
                headers.insert("x-request-id", value);
            }
            id
        }
    };
    let incoming = headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(access_log::trace_id)
        .map(str::to_string);
    let trace_id = match incoming {
        Some(trace) => trace,
        None => {
            let traceparent = access_log::new_traceparent();
            if let Ok(value) = http::HeaderValue::from_str(&traceparent) {
                headers.insert("traceparent", value);
            }
            access_log::trace_id(&traceparent)
                .unwrap_or_default()
                .to_string()
        }
    };
    (request_id, trace_id)
}
