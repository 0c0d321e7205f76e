//! Runs components: one pre-instantiated component per id, a fresh [`Store`] per request or
//! event whose data carries that component's grants, a per-invocation deadline, and a queue
//! in front of the instance pool.
//!
//! Every guest failure (trap, timeout, no response) stays inside the one invocation: it is
//! logged and becomes a 500 for that request, and the host carries on.
//!
//! Tracing: each request gets a SERVER span (a child of its `traceparent`, which is then
//! rewritten to the span, so that the component sees the host's span as its parent), each
//! Redis delivery a CONSUMER span (a child of the event envelope's `traceparent`), and each
//! invocation an INTERNAL execution span under those; host calls and outgoing requests made
//! by the guest are children of the execution span.

use std::borrow::Cow;
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
use crate::observability::envelope::EventEnvelope;
use crate::observability::metrics::{ChannelCounts, Delivery, Metrics, OperationStats};
use crate::observability::trace::{Span, SpanContext, SpanKind, Tracer, TRACEPARENT};
use crate::triggers::http::headers;
use crate::triggers::http::router::{RouteMatch, Router};

/// What one component may touch, fixed at start-up from its manifest entry.
pub struct Grants {
    pub key_value: HashMap<String, Arc<dyn KeyValueStore>>,
    pub sqlite: HashMap<String, Arc<SqliteDatabase>>,
    pub variables: BTreeMap<String, String>,
    pub allowed_hosts: Arc<AllowedHosts>,
}

/// A component's host-call metrics, resolved at load; empty when metrics are off.
#[derive(Default)]
pub struct HostCallMetrics {
    /// By key-value label.
    pub key_value: HashMap<String, Arc<OperationStats>>,
    /// By SQLite label.
    pub sqlite: HashMap<String, Arc<OperationStats>>,
    pub redis: Option<Arc<OperationStats>>,
    pub published: Option<Arc<ChannelCounts>>,
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
    pub metrics: HostCallMetrics,
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
    /// The execution span's context, when traced: the parent of host-call spans.
    trace: Option<SpanContext>,
}

impl HostState {
    /// The grants of the running component.
    pub fn grants(&self) -> &Grants {
        &self.component.grants
    }

    /// The host-call metrics of the running component.
    pub fn host_call_metrics(&self) -> &HostCallMetrics {
        &self.component.metrics
    }

    /// Starts the span of a host call, a child of the execution span (nothing when the
    /// invocation is not traced).
    pub fn host_call_span(&self, name: impl Into<Cow<'static, str>>, kind: SpanKind) -> Span {
        self.executor.tracer.child(name, kind, self.trace.as_ref())
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
    tracer: Tracer,
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
        metrics: Arc<Metrics>,
        tracer: Tracer,
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
            metrics,
            tracer,
            listen_addr: OnceLock::new(),
        })
    }

    /// What the host measures of the application (see `--metrics-listen`).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Starts the spans of the application's work (disabled without OTLP export).
    pub fn tracer(&self) -> &Tracer {
        &self.tracer
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

    /// A store for one invocation of `component`, traced under execution span `trace`.
    fn new_store(
        self: &Arc<Self>,
        component: &Arc<Component>,
        trace: Option<SpanContext>,
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
            outbound: OutboundHttp::new(
                component.grants.allowed_hosts.clone(),
                self.clone(),
                trace,
            ),
            component: component.clone(),
            executor: self.clone(),
            deadline: Instant::now() + self.limits.request_timeout,
            trace,
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
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let request_id = request_id(request.headers_mut());
        let (mut span, trace) = self.server_span(request.headers_mut(), true);
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
                    let response = self
                        .run_matched(request, &route, client, span.context())
                        .await;
                    (response, Some(route))
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
        end_server_span(
            &mut span,
            &method,
            &path,
            route.as_ref(),
            response.status().as_u16(),
        );
        if span.is_recording() {
            span.set("client.address", client.ip().to_string());
            span.set("wasmart.request_id", request_id.clone());
        }
        drop(span);
        self.access_log.record(&AccessRecord {
            kind: "request",
            ts: access_log::unix_now(),
            method: method.as_str(),
            path: &path,
            route: route.as_ref().map_or("", |r| r.raw_route.as_str()),
            component: route.as_ref().map_or("", |r| r.component.as_str()),
            status: response.status().as_u16(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            request_id: &request_id,
            trace_id: &trace.map(|t| t.trace_id_hex()).unwrap_or_default(),
        });
        response
    }

    /// Starts the SERVER span of a request that arrived with `headers`, a child of its
    /// `traceparent`, and writes the span's context into `traceparent` for the component.
    /// Without tracing, a well-formed `traceparent` is kept, and a trace is started for a
    /// request that has none when `correlate` is set (requests from clients, so that their
    /// log lines share a trace id). Returns the span and the trace the component sees.
    fn server_span(
        &self,
        headers: &mut http::HeaderMap,
        correlate: bool,
    ) -> (Span, Option<SpanContext>) {
        let incoming = headers
            .get(TRACEPARENT)
            .and_then(|value| value.to_str().ok())
            .and_then(SpanContext::parse);
        let span = self
            .tracer
            .start("HTTP request", SpanKind::Server, incoming.as_ref());
        let context = match (span.context(), incoming) {
            (Some(context), _) => context,
            (None, Some(incoming)) => return (span, Some(incoming)),
            (None, None) if correlate => SpanContext::new_root(),
            (None, None) => return (span, None),
        };
        if let Ok(value) = http::HeaderValue::from_str(&context.traceparent()) {
            headers.insert(TRACEPARENT, value);
        }
        (span, Some(context))
    }

    /// Starts the INTERNAL span of one invocation of component `id`, under `parent`.
    fn execution_span(&self, id: &str, parent: Option<&SpanContext>) -> Span {
        if parent.is_none() {
            return Span::DISABLED;
        }
        let mut span = self.tracer.child(
            format!("execute_wasm_component {id}"),
            SpanKind::Internal,
            parent,
        );
        if span.is_recording() {
            span.set("wasmart.component", id.to_owned());
        }
        span
    }

    /// Runs the component `route` names for `request`, adding Spin's headers first; the
    /// execution is traced under `trace`.
    async fn run_matched<B>(
        self: &Arc<Self>,
        mut request: http::Request<B>,
        route: &RouteMatch,
        client: SocketAddr,
        trace: Option<SpanContext>,
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
        match self.run_http(&route.component, request, trace).await {
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

    /// Runs component `id`'s HTTP handler with a fresh instance, traced under `trace`.
    async fn run_http<B>(
        self: &Arc<Self>,
        id: &str,
        request: http::Request<B>,
        trace: Option<SpanContext>,
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
        let mut execution = self.execution_span(id, trace.as_ref());
        let mut store = self
            .new_store(&component, execution.context())
            .map_err(GuestFailure::Trap)?;
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
            let outcome = match tokio::time::timeout(timeout, run).await {
                Ok(result) => result.map_err(GuestFailure::Trap),
                Err(_) => Err(GuestFailure::Timeout(timeout)),
            };
            if let Err(failure) = &outcome {
                if execution.is_recording() {
                    execution.set_error(failure.to_string());
                }
            }
            outcome
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
        let method = request.method().clone();
        let (mut span, _) = self.server_span(request.headers_mut(), false);
        let started = Instant::now();
        let response = match self.run_http(id, request, span.context()).await {
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
        end_server_span(
            &mut span,
            &method,
            &path,
            Some(&route),
            response.status().as_u16(),
        );
        Ok(response)
    }

    /// A self request: a relative URL routed through the application's own public routes.
    pub async fn handle_self_request(
        self: &Arc<Self>,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<ResponseBody>, wasmtime_wasi_http::Error> {
        let (mut parts, body) = request.into_parts();
        let (mut span, _) = self.server_span(&mut parts.headers, false);
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
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let route = self.router.route(&path);
        let response = match &route {
            Some(route) => {
                self.run_matched(request, route, client, span.context())
                    .await
            }
            None => host_response(http::StatusCode::NOT_FOUND, "Not Found"),
        };
        end_server_span(
            &mut span,
            &method,
            &path,
            route.as_ref(),
            response.status().as_u16(),
        );
        Ok(response)
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
            let mut store = self.new_store(&component, None)?;
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
        let envelope = EventEnvelope::read(payload);
        let mut delivery = self.delivery_span(id, channel, &envelope);
        let queued = self.metrics.queued();
        let _permit = self.permits.acquire().await;
        drop(queued);
        let _running = self.metrics.running();
        let started = Instant::now();
        let mut execution = self.execution_span(id, delivery.context().as_ref());
        let mut store = self
            .new_store(&component, execution.context())
            .map_err(GuestFailure::Trap)?;
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
            if execution.is_recording() {
                execution.set_error(failure.to_string());
                delivery.set_error(failure.to_string());
            }
        }
        drop(execution);
        drop(delivery);
        self.metrics.record_event(&Delivery {
            component: id,
            channel,
            event_id: envelope.id.as_deref(),
            handled: outcome.is_ok(),
            elapsed: started.elapsed(),
        });
        let trace_id = envelope.trace_context().map(|c| c.trace_id_hex());
        self.access_log.record(&EventRecord {
            kind: "event",
            ts: access_log::unix_now(),
            component: id,
            channel,
            outcome: if outcome.is_ok() { "handled" } else { "failed" },
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            event_id: envelope.id.as_deref(),
            trace_id: trace_id.as_deref(),
        });
        outcome
    }

    /// Starts the CONSUMER span of delivering a message on `channel` to component `id`: a
    /// child of the event's `traceparent`, else the root of a new trace.
    fn delivery_span(&self, id: &str, channel: &str, envelope: &EventEnvelope) -> Span {
        if !self.tracer.is_enabled() {
            return Span::DISABLED;
        }
        let parent = envelope.trace_context();
        let mut span = self.tracer.start(
            format!("{channel} receive"),
            SpanKind::Consumer,
            parent.as_ref(),
        );
        if span.is_recording() {
            span.set("messaging.system", "redis");
            span.set("messaging.operation.type", "process");
            span.set("messaging.destination.name", channel.to_owned());
            span.set("wasmart.component", id.to_owned());
            if let Some(event_id) = &envelope.id {
                span.set("messaging.message.id", event_id.clone());
            }
            if let Some(event_type) = &envelope.event_type {
                span.set("wasmart.event.type", event_type.clone());
            }
        }
        span
    }
}

/// Names a SERVER span after its route and records what the response was.
fn end_server_span(
    span: &mut Span,
    method: &http::Method,
    path: &str,
    route: Option<&RouteMatch>,
    status: u16,
) {
    if !span.is_recording() {
        return;
    }
    span.set("http.request.method", method.as_str().to_owned());
    span.set("url.path", path.to_owned());
    span.set("url.scheme", "http");
    span.set("http.response.status_code", i64::from(status));
    match route {
        Some(route) => {
            span.set_name(format!("{method} {}", route.raw_route));
            span.set("http.route", route.raw_route.clone());
            span.set("wasmart.component", route.component.clone());
        }
        None => span.set_name(method.as_str().to_owned()),
    }
    if status >= 500 {
        span.set_error(format!("HTTP {status}"));
    }
}

/// The request id of an incoming request: the client's `X-Request-Id` when well-formed,
/// else a new one written into the request, so that the component, the access log and every
/// later hop share it.
fn request_id(headers: &mut http::HeaderMap) -> String {
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_string);
    match request_id {
        Some(id) => id,
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            if let Ok(value) = http::HeaderValue::from_str(&id) {
                headers.insert("x-request-id", value);
            }
            id
        }
    }
}
