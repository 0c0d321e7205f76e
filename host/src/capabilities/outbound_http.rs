//! Outbound HTTP (`wasi:http/outgoing-handler`) with Spin's rules:
//! - deny by default: only destinations in `allowed_outbound_hosts` are reached;
//! - service chaining: `http://<component-id>.spin.internal/...` runs that component
//!   in-process, without touching the network;
//! - self requests: a relative URL (`/path`) goes to this application's own routes, if
//!   `http://self` is allowed.

use std::future::Future;
use std::sync::Arc;

use wasmtime::component::Resource;
use wasmtime_wasi_http::p2::bindings::http::{outgoing_handler, types as wasi_types};
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, HostOutgoingRequest};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::allowed_hosts::{AllowedHosts, Destination};
use crate::executor::{Executor, HostState};

/// The domain whose subdomains name components for service chaining.
pub const CHAINING_SUFFIX: &str = ".spin.internal";

/// Stands in for the missing authority of a relative URL until the request reaches
/// [`OutboundHttp::send_request`]; `.invalid` can never be a real host.
const SELF_AUTHORITY: &str = "self.wasmart.invalid";

/// The outbound HTTP policy of one component, held in its `Store` for one request.
pub struct OutboundHttp {
    allowed: Arc<AllowedHosts>,
    executor: Arc<Executor>,
}

impl OutboundHttp {
    /// The policy for a component with allow-list `allowed` in the app run by `executor`.
    pub fn new(allowed: Arc<AllowedHosts>, executor: Arc<Executor>) -> Self {
        Self { allowed, executor }
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
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> ResponseFuture {
        let host = request
            .uri()
            .host()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let executor = self.executor.clone();
        if host == SELF_AUTHORITY {
            if !self.allowed.allows_self() {
                return Box::new(async { Err(Error::HttpRequestDenied) });
            }
            return Box::new(async move {
                let response = executor.handle_self_request(request).await?;
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
                let response = executor.handle_chained_request(&component, request).await?;
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
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    use wasmtime_wasi_http::{WasiHttp, WasiHttpView};
    let options = wasmtime_wasi_http::p2::bindings::LinkOptions::default();
    wasmtime_wasi_http::p2::bindings::http::types::add_to_linker::<_, WasiHttp>(
        linker,
        &options.into(),
        HostState::http,
    )?;
    linker.instance(OUTGOING_HANDLER)?.func_wrap(
        "handle",
        |mut store: wasmtime::StoreContextMut<'_, HostState>,
         (request, options): (
            Resource<HostOutgoingRequest>,
            Option<Resource<wasi_types::RequestOptions>>,
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
