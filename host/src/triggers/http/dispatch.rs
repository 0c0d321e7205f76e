//! The HTTP trigger's dispatch. A request from a client is routed, given a request id and
//! Spin's headers, run in an admitted instance and recorded (access log, metrics, SERVER
//! span). Chained and self requests from components come back in through
//! [`InProcessRequests`], without a permit of their own (their caller holds one).

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::{Error, WasiBody};

use super::body::{self, BodyError, BodyLimits};
use super::handler;
use super::headers;
use super::limits::HttpLimits;
use super::problem::problem;
use super::router::{RouteMatch, Router};
use crate::capabilities::outbound_http::InProcessRequests;
use crate::executor::{Budget, Executor, GuestFailure, Invocation};
use crate::observability::access_log::{self, AccessRecord};
use crate::observability::component_log::Correlation;
use crate::observability::spans::{self, ServedRoute};
use crate::observability::trace::{Span, SpanContext};

/// Spin's health check, answered by the host itself.
const HEALTH_PATH: &str = "/.well-known/spin/health";

/// A short plain-text response made by the host itself.
pub fn host_response(status: StatusCode, text: &str) -> http::Response<WasiBody> {
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

/// What the host answers for a request body it did not take; the connection is closed.
fn body_refusal(error: &BodyError) -> http::Response<WasiBody> {
    let (status, slug, title) = match error {
        BodyError::TooLarge(_) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
        ),
        BodyError::Stalled(_) | BodyError::TooSlow(_) => (
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            "Request body too slow",
        ),
        BodyError::Read(_) => (StatusCode::BAD_REQUEST, "bad-body", "Unreadable body"),
    };
    problem(status, slug, title, &error.to_string(), true)
}

/// What the host answers for a failed invocation.
fn failed() -> http::Response<WasiBody> {
    host_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// The application's HTTP routes, and how a request reaches a component.
pub struct HttpTrigger {
    executor: Arc<Executor>,
    router: Router,
    limits: HttpLimits,
    listen_addr: OnceLock<SocketAddr>,
}

/// One request on its way through the trigger: what its records are made of.
struct Served<'a> {
    method: http::Method,
    path: String,
    route: Option<&'a RouteMatch>,
    status: u16,
}

impl Served<'_> {
    fn route(&self) -> Option<ServedRoute<'_>> {
        self.route.map(|r| ServedRoute {
            route: &r.raw_route,
            component: &r.component,
        })
    }
}

impl HttpTrigger {
    /// The trigger of the application run by `executor`, with public routes `router`,
    /// serving clients within `limits`.
    pub fn new(executor: Arc<Executor>, router: Router, limits: HttpLimits) -> Arc<Self> {
        Arc::new(Self {
            executor,
            router,
            limits,
            listen_addr: OnceLock::new(),
        })
    }

    /// What the server allows one client.
    pub fn limits(&self) -> &HttpLimits {
        &self.limits
    }

    /// The application's public routes.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Records the address the trigger listens on (used for `Host` and self requests).
    pub fn set_listen_addr(&self, addr: SocketAddr) {
        let _ = self.listen_addr.set(addr);
    }

    fn default_host(&self) -> String {
        self.listen_addr
            .get()
            .map_or_else(|| "localhost".into(), ToString::to_string)
    }

    fn invocation(
        self: &Arc<Self>,
        correlation: Correlation,
        parent: Option<SpanContext>,
    ) -> Invocation {
        Invocation {
            correlation,
            parent,
            in_process: self.clone(),
        }
    }

    /// Serves a request that arrived from a client: checks its head, routes it, reads its
    /// body (before taking an instance permit), runs the component and records the
    /// access-log line.
    pub async fn serve<B>(
        self: &Arc<Self>,
        request: http::Request<B>,
        client: SocketAddr,
    ) -> http::Response<WasiBody>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display,
    {
        let started = Instant::now();
        let (mut parts, body) = request.into_parts();
        let method = parts.method.clone();
        let path = parts.uri.path().to_string();
        let request_id = headers::request_id(&mut parts.headers);
        let tracer = self.executor.tracer();
        let (span, trace) = spans::server_span(tracer, &mut parts.headers, true);
        let trace_id = trace.map(|t| t.trace_id_hex());
        let route = (path != HEALTH_PATH)
            .then(|| self.router.route(&path))
            .flatten();
        let response = match (self.refuse_head(&mut parts, route.as_ref()), &route) {
            (Some(refusal), _) => refusal,
            (None, None) if path == HEALTH_PATH => host_response(StatusCode::OK, "OK"),
            (None, None) => host_response(StatusCode::NOT_FOUND, "Not Found"),
            (None, Some(route)) => {
                let correlation = Correlation::request(Some(&request_id), trace_id.as_deref());
                let invocation = self.invocation(correlation, span.context());
                self.serve_matched(parts, body, route, client, invocation)
                    .await
            }
        };
        let served = Served {
            method,
            path,
            route: route.as_ref(),
            status: response.status().as_u16(),
        };
        if let Some(route) = served.route {
            let (component, raw_route) = (&route.component, &route.raw_route);
            let elapsed = started.elapsed();
            self.executor
                .metrics()
                .record_request(component, raw_route, served.status, elapsed);
        }
        end_span(span, &served, Some((client, &request_id)));
        self.record(&served, started.elapsed(), &request_id, trace_id.as_deref());
        response
    }

    /// The host's checks of a client's request head: its `Host` (see
    /// [`headers::settle_host`]) and the body size it declares. Returns the refusal, if any.
    fn refuse_head(
        &self,
        parts: &mut http::request::Parts,
        route: Option<&RouteMatch>,
    ) -> Option<http::Response<WasiBody>> {
        if let Err(error) = headers::settle_host(parts, &self.default_host()) {
            let detail = error.to_string();
            let title = "Bad Host header";
            return Some(problem(
                StatusCode::BAD_REQUEST,
                "bad-host",
                title,
                &detail,
                true,
            ));
        }
        let max_bytes = self.body_limits(route).max_bytes;
        body::declared_too_large(&parts.headers, max_bytes)
            .then(|| body_refusal(&BodyError::TooLarge(max_bytes)))
    }

    /// How the body of a request to `route` may arrive.
    fn body_limits(&self, route: Option<&RouteMatch>) -> BodyLimits {
        BodyLimits {
            max_bytes: self
                .limits
                .max_body_bytes_for(route.map(|r| r.component.as_str())),
            idle_timeout: self.limits.body_idle_timeout,
            total_timeout: self.limits.body_timeout,
        }
    }

    /// Reads the body of a client's request to `route`, then waits for an instance permit
    /// and runs the component.
    async fn serve_matched<B>(
        self: &Arc<Self>,
        parts: http::request::Parts,
        body: B,
        route: &RouteMatch,
        client: SocketAddr,
        invocation: Invocation,
    ) -> http::Response<WasiBody>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display,
    {
        let body = match body::read(body, self.body_limits(Some(route))).await {
            Ok(body) => body,
            Err(error) => return body_refusal(&error),
        };
        let _admission = self.executor.admit(Budget::Http).await;
        let request = http::Request::from_parts(parts, body);
        self.run_matched(request, route, client, invocation).await
    }

    /// The access-log line of a client's request.
    fn record(
        &self,
        served: &Served<'_>,
        elapsed: Duration,
        request_id: &str,
        trace_id: Option<&str>,
    ) {
        self.executor.access_log().record(&AccessRecord {
            kind: "request",
            ts: access_log::unix_now(),
            method: served.method.as_str(),
            path: &served.path,
            route: served.route.map_or("", |r| r.raw_route.as_str()),
            component: served.route.map_or("", |r| r.component.as_str()),
            status: served.status,
            duration_ms: elapsed.as_secs_f64() * 1000.0,
            request_id,
            trace_id: trace_id.unwrap_or_default(),
        });
    }

    /// Runs the component `route` names for `request`, adding Spin's headers first.
    async fn run_matched<B>(
        self: &Arc<Self>,
        mut request: http::Request<B>,
        route: &RouteMatch,
        client: SocketAddr,
        invocation: Invocation,
    ) -> http::Response<WasiBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Error>,
    {
        let default_host = self.default_host();
        let path_and_query = path_and_query(request.uri());
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
        self.run(&route.component, request, invocation).await
    }

    /// Runs component `id` for `request`; a failure is reported and answered with a 500.
    async fn run<B>(
        &self,
        id: &str,
        request: http::Request<B>,
        invocation: Invocation,
    ) -> http::Response<WasiBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Error>,
    {
        let correlation = invocation.correlation.clone();
        match handler::run(&self.executor, id, request, invocation).await {
            Ok(response) => response,
            Err(failure) => {
                self.executor.report(id, &failure, &correlation);
                failed()
            }
        }
    }

    /// Service chaining: runs component `id` for a request another component sent to
    /// `http://<id>.spin.internal/...`, with Spin's synthetic route (path info = the path).
    pub async fn chained(
        self: &Arc<Self>,
        id: &str,
        mut request: http::Request<WasiBody>,
    ) -> Result<http::Response<WasiBody>, Error> {
        if !self.executor.component(id).is_ok_and(|c| c.http.is_some()) {
            return Err(Error::DestinationNotFound);
        }
        let path = request.uri().path().to_string();
        let route = RouteMatch::synthetic(id, &path);
        let client = SocketAddr::from(([127, 0, 0, 1], 0));
        let path_and_query = path_and_query(request.uri());
        headers::apply(
            request.headers_mut(),
            &path_and_query,
            &route,
            client,
            &self.default_host(),
        );
        let method = request.method().clone();
        let tracer = self.executor.tracer();
        let (span, trace) = spans::server_span(tracer, request.headers_mut(), false);
        let invocation = self.invocation(
            in_process_correlation(request.headers(), trace),
            span.context(),
        );
        let started = Instant::now();
        let response = self.run(id, request, invocation).await;
        let status = response.status().as_u16();
        self.executor
            .metrics()
            .record_request(id, "chained", status, started.elapsed());
        let served = Served {
            method,
            path,
            route: Some(&route),
            status,
        };
        end_span(span, &served, None);
        Ok(response)
    }

    /// A self request: a relative URL routed through the application's own public routes.
    async fn self_request(
        self: &Arc<Self>,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<WasiBody>, Error> {
        let (mut parts, body) = request.into_parts();
        let tracer = self.executor.tracer();
        let (span, trace) = spans::server_span(tracer, &mut parts.headers, false);
        let host = self.default_host();
        parts.uri = format!("http://{host}{}", path_and_query(&parts.uri))
            .parse()
            .map_err(|_| Error::HttpRequestUriInvalid)?;
        if let Ok(value) = http::HeaderValue::try_from(host.as_str()) {
            parts.headers.insert(http::header::HOST, value);
        }
        let invocation = self.invocation(
            in_process_correlation(&parts.headers, trace),
            span.context(),
        );
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
            Some(route) => self.run_matched(request, route, client, invocation).await,
            None => host_response(StatusCode::NOT_FOUND, "Not Found"),
        };
        let served = Served {
            method,
            path,
            route: route.as_ref(),
            status: response.status().as_u16(),
        };
        end_span(span, &served, None);
        Ok(response)
    }

    /// Creates a store and instantiates component `id` `iterations` times without calling it;
    /// returns the mean time of one store-and-instantiate (what every request pays).
    pub async fn time_instantiation(
        self: &Arc<Self>,
        id: &str,
        iterations: u32,
    ) -> anyhow::Result<Duration> {
        let component = self.executor.component(id)?.clone();
        let pre = component
            .http
            .clone()
            .ok_or_else(|| GuestFailure::NoHandler(id.to_string()))?;
        let started = Instant::now();
        for _ in 0..iterations {
            let invocation = self.invocation(Correlation::default(), None);
            let (mut store, _) = self.executor.new_store(&component, invocation)?;
            pre.instantiate_async(&mut store).await?;
        }
        Ok(started.elapsed() / iterations.max(1))
    }
}

#[async_trait]
impl InProcessRequests for HttpTrigger {
    async fn chained(
        self: Arc<Self>,
        component: String,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<WasiBody>, Error> {
        HttpTrigger::chained(&self, &component, request).await
    }

    async fn to_self(
        self: Arc<Self>,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<WasiBody>, Error> {
        self.self_request(request).await
    }
}

/// The log prefix of a chained or self request: the request id its caller sent, if any.
fn in_process_correlation(headers: &http::HeaderMap, trace: Option<SpanContext>) -> Correlation {
    let trace_id = trace.map(|t| t.trace_id_hex());
    Correlation::request(headers::sent_request_id(headers), trace_id.as_deref())
}

fn path_and_query(uri: &http::Uri) -> String {
    uri.path_and_query().map_or("/", |p| p.as_str()).to_string()
}

/// Ends the SERVER span of `served`; a client's request also records the client's address
/// and the request id.
fn end_span(mut span: Span, served: &Served<'_>, client: Option<(SocketAddr, &str)>) {
    spans::end_server_span(
        &mut span,
        &served.method,
        &served.path,
        served.route(),
        served.status,
    );
    if let (true, Some((client, request_id))) = (span.is_recording(), client) {
        span.set("client.address", client.ip().to_string());
        span.set("wasmart.request_id", request_id.to_owned());
    }
}
