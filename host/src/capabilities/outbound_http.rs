//! Outbound HTTP (`wasi:http/outgoing-handler`) with Spin's rules:
//! - deny by default: only destinations in `allowed_outbound_hosts` are reached;
//! - service chaining: `http://<component-id>.spin.internal/...` runs that component
//!   in-process, without touching the network;
//! - self requests: a relative URL (`/path`) goes to this application's own routes, if
//!   `http://self` is allowed.
//!
//! Chained and self requests are handed to an [`InProcessRequests`], which the HTTP trigger
//! implements: this module decides where a request goes, not how a component is run.
//!
//! When the invocation is traced, every request gets a CLIENT span, and its `traceparent` is
//! set to that span (replacing the guest's), so that the callee — in-process or another
//! host — continues the trace under it.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi_http::p2::bindings::http::{outgoing_handler, types as wasi_types};
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, HostOutgoingRequest};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks, WasiHttpView};

use crate::allowed_hosts::{AllowedHosts, Destination};
use crate::observability::host_call::CallTrace;
use crate::observability::trace::{Span, SpanKind, TRACEPARENT};

/// The domain whose subdomains name components for service chaining.
pub const CHAINING_SUFFIX: &str = ".spin.internal";

/// Stands in for the missing authority of a relative URL until the request reaches
/// [`OutboundHttp::send_request`]; `.invalid` can never be a real host.
const SELF_AUTHORITY: &str = "self.wasmart.invalid";

/// Requests that never leave the process. The HTTP trigger implements this: it routes and
/// runs components; outbound HTTP only recognises the requests it hands over.
#[async_trait]
pub trait InProcessRequests: Send + Sync {
    /// Service chaining: runs `component` for a request to `http://<component>.spin.internal/...`;
    /// [`Error::DestinationNotFound`] when no such component serves HTTP.
    async fn chained(
        self: Arc<Self>,
        component: String,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<WasiBody>, Error>;

    /// A self request: a relative URL, routed through the application's public routes.
    async fn to_self(
        self: Arc<Self>,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<WasiBody>, Error>;
}

/// The outbound HTTP policy of one component, held in its `Store` for one invocation.
pub struct OutboundHttp {
    allowed: Arc<AllowedHosts>,
    in_process: Arc<dyn InProcessRequests>,
    trace: CallTrace,
}

impl OutboundHttp {
    /// The policy for a component with allow-list `allowed`, whose chained and self requests
    /// go to `in_process`, in an invocation traced by `trace`.
    pub fn new(
        allowed: Arc<AllowedHosts>,
        in_process: Arc<dyn InProcessRequests>,
        trace: CallTrace,
    ) -> Self {
        Self {
            allowed,
            in_process,
            trace,
        }
    }

    /// Starts the CLIENT span of `request` and points its `traceparent` at the span.
    fn client_span(&self, request: &mut http::Request<WasiBody>) -> Span {
        let mut span = self
            .trace
            .span(request.method().as_str().to_owned(), SpanKind::Client);
        let Some(context) = span.context() else {
            return span;
        };
        if let Ok(value) = http::HeaderValue::from_str(&context.traceparent()) {
            request.headers_mut().insert(TRACEPARENT, value);
        }
        if span.is_recording() {
            let uri = request.uri();
            span.set("http.request.method", request.method().as_str().to_owned());
            span.set("url.full", uri.to_string());
            if let Some(host) = uri.host() {
                span.set("server.address", host.to_owned());
            }
            let port = uri
                .port_u16()
                .unwrap_or(if uri.scheme_str() == Some("https") {
                    443
                } else {
                    80
                });
            span.set("server.port", i64::from(port));
        }
        span
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = Result<(), Error>> + Send>,
            )>,
        > + Send,
>;

fn finished() -> Box<dyn Future<Output = Result<(), Error>> + Send> {
    Box::new(async { Ok(()) })
}

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> ResponseFuture {
        let mut span = self.client_span(&mut request);
        let response = self.route(request, options);
        if !span.is_recording() {
            return response;
        }
        Box::new(async move {
            let result = Box::into_pin(response).await;
            match &result {
                Ok((response, _)) => {
                    let status = response.status().as_u16();
                    span.set("http.response.status_code", i64::from(status));
                    if status >= 400 {
                        span.set_error(format!("HTTP {status}"));
                    }
                }
                Err(error) => span.set_error(format!("{error:?}")),
            }
            result
        })
    }
}

impl OutboundHttp {
    /// Sends `request` where it goes: the app itself, a chained component, or the network.
    fn route(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> ResponseFuture {
        let host = request
            .uri()
            .host()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let in_process = self.in_process.clone();
        if host == SELF_AUTHORITY {
            if !self.allowed.allows_self() {
                return Box::new(async { Err(Error::HttpRequestDenied) });
            }
            return Box::new(async move {
                let response = in_process.to_self(request).await?;
                Ok((response, finished()))
            });
        }
        let destination = Destination {
            scheme: request
                .uri()
                .scheme_str()
                .unwrap_or("https")
                .to_ascii_lowercase(),
            host: host.clone(),
            port: request.uri().port_u16(),
        };
        if !self.allowed.allows(&destination) {
            tracing::debug!(
                ?destination,
                "outbound request denied by allowed_outbound_hosts"
            );
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        if let Some(component) = host.strip_suffix(CHAINING_SUFFIX) {
            let component = component.to_string();
            return Box::new(async move {
                let response = in_process.chained(component, request).await?;
                Ok((response, finished()))
            });
        }
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = Result<(), Error>> + Send>,
            ))
        })
    }
}

/// The `wasi:http` version whose `outgoing-handler` wasmtime-wasi-http 48 implements; guests
/// importing any 0.2.x version link to it.
const OUTGOING_HANDLER: &str = "wasi:http/outgoing-handler@0.2.12";

/// Adds WASI HTTP's types and Spin's `outgoing-handler` to `linker`: wasmtime's implementation,
/// except that a request without an authority (a relative URL) is marked as a self request
/// instead of being rejected as an invalid URI.
pub fn add_to_linker<T: WasiHttpView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    use wasmtime_wasi_http::WasiHttp;
    let options = wasmtime_wasi_http::p2::bindings::LinkOptions::default();
    wasmtime_wasi_http::p2::bindings::http::types::add_to_linker::<_, WasiHttp>(
        linker,
        &options.into(),
        T::http,
    )?;
    linker.instance(OUTGOING_HANDLER)?.func_wrap(
        "handle",
        |mut store: wasmtime::StoreContextMut<'_, T>,
         (request, options): (
            Resource<HostOutgoingRequest>,
            Option<Resource<RequestOptions>>,
        )| {
            let mut view = store.data_mut().http();
            let outgoing = view.table.get_mut(&request)?;
            if outgoing.authority.as_deref().is_none_or(str::is_empty) {
                outgoing.authority = Some(SELF_AUTHORITY.to_string());
                outgoing.scheme = Some(wasi_types::Scheme::Http);
            }
            let result: Result<Resource<HostFutureIncomingResponse>, wasi_types::ErrorCode> =
                match outgoing_handler::Host::handle(&mut view, request, options) {
                    Ok(response) => Ok(response),
                    Err(error) => Err(error.downcast()?),
                };
            Ok((result,))
        },
    )?;
    Ok(())
}
