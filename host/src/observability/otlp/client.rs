//! The HTTP client the OTLP exporter posts with: `wasmtime-wasi-http`'s (hyper, rustls),
//! already in the host, on a single-threaded runtime of the export thread. The SDK's batch
//! processor runs exports on its own thread and blocks on them there, so the runtime lives
//! only for those calls and no request worker ever carries an export.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use opentelemetry_http::{HttpClient, HttpError};

/// Posts export requests, each within `timeout`.
#[derive(Debug)]
pub struct Client {
    runtime: Runtime,
    timeout: Duration,
}

impl Client {
    pub fn new(timeout: Duration) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Self {
            runtime: Runtime(Some(runtime)),
            timeout,
        })
    }
}

/// Why one export request failed.
#[derive(Debug, thiserror::Error)]
enum PostError {
    #[error("{0}")]
    Http(wasmtime_wasi_http::Error),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the exporter has stopped")]
    Stopped,
}

#[async_trait::async_trait]
impl HttpClient for Client {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        let runtime = self.runtime.0.as_ref().ok_or(PostError::Stopped)?;
        // Only the export thread calls this, outside any runtime: blocking it is the point.
        let timeout = self.timeout;
        // The timer is made inside the runtime, whose clock it needs.
        let posted =
            runtime.block_on(async { tokio::time::timeout(timeout, post(request, timeout)).await });
        Ok(posted.map_err(|_| PostError::Timeout(self.timeout))??)
    }
}

async fn post(
    request: http::Request<Bytes>,
    timeout: Duration,
) -> Result<http::Response<Bytes>, PostError> {
    let (mut parts, body) = request.into_parts();
    if let Some(authority) = parts.uri.authority().cloned() {
        if let Ok(host) = http::HeaderValue::from_str(authority.as_str()) {
            parts.headers.entry(http::header::HOST).or_insert(host);
        }
    }
    parts
        .headers
        .entry(http::header::USER_AGENT)
        .or_insert(http::HeaderValue::from_static(concat!(
            "wasmart/",
            env!("CARGO_PKG_VERSION")
        )));
    let body = Full::new(body)
        .map_err(|never| match never {})
        .boxed_unsync();
    let options = wasmtime_wasi_http::RequestOptions {
        connect_timeout: Some(timeout),
        first_byte_timeout: Some(timeout),
        between_bytes_timeout: Some(timeout),
    };
    let request = http::Request::from_parts(parts, body);
    let (response, connection) = wasmtime_wasi_http::default_send_request(request, Some(options))
        .await
        .map_err(PostError::Http)?;
    let (parts, body) = response.into_parts();
    // Read the (small) answer so that the connection ends cleanly.
    let (body, _) = tokio::join!(body.collect(), connection);
    let body = body.map(|body| body.to_bytes()).unwrap_or_default();
    Ok(http::Response::from_parts(parts, body))
}

/// The runtime, shut down without waiting when the exporter goes (possibly from inside
/// another runtime, where dropping it would panic).
#[derive(Debug)]
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}
