//! OpenTelemetry trace export over OTLP/HTTP, hand-written: the `OTEL_*` settings
//! ([`OtlpConfig`]), a batch processor with a bounded queue in a background task
//! ([`batch`]), and the two HTTP encodings, `http/protobuf` (the default) and `http/json`.
//! Requests never wait for it: a slow or dead collector costs dropped spans, counted on
//! the metrics listener, not latency. The exporter runs on a thread of its own, so that
//! request workers busy running guests never keep it from draining the queue.

mod batch;
mod config;
mod json;
mod protobuf;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

pub use config::{BatchConfig, OtlpConfig, OtlpConfigError, Protocol};

use super::trace::{SpanData, TraceCounters, Tracer};

/// The instrumentation scope of every span.
const SCOPE_NAME: &str = "wasmart";
/// `Status.StatusCode.STATUS_CODE_ERROR`.
const STATUS_ERROR: u8 = 2;

/// The background exporter; [`ExportTask::shutdown`] sends what is still queued.
pub struct ExportTask {
    finished: oneshot::Receiver<()>,
    stop: CancellationToken,
    timeout: Duration,
}

/// Starts exporting per `config` on a thread of its own, every span reported under
/// `resource`; returns the tracer that feeds the exporter, and the exporter.
pub fn start(
    config: OtlpConfig,
    resource: Vec<(String, String)>,
    counters: Arc<TraceCounters>,
) -> std::io::Result<(Tracer, ExportTask)> {
    let (queue, receiver) = mpsc::channel(config.batch.max_queue_size.max(1));
    let stop = CancellationToken::new();
    let (done, finished) = oneshot::channel();
    let timeout = config.timeout;
    let batch = config.batch;
    let exporter = HttpExporter {
        config,
        resource,
        counters: counters.clone(),
        failing: false,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stopped = stop.clone();
    std::thread::Builder::new()
        .name("otlp-export".into())
        .spawn(move || {
            runtime.block_on(batch::run(receiver, batch, stopped, exporter));
            let _ = done.send(());
        })?;
    Ok((
        Tracer::new(queue, counters),
        ExportTask {
            finished,
            stop,
            timeout,
        },
    ))
}

impl ExportTask {
    /// Exports the spans still queued, waiting at most one export timeout (plus a second)
    /// before giving up on them.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let waited = tokio::time::timeout(self.timeout + Duration::from_secs(1), self.finished);
        if waited.await.is_err() {
            tracing::warn!("trace export did not finish in time; the last spans are lost");
        }
    }
}

/// Why one export request failed.
#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error("{0}")]
    Http(wasmtime_wasi_http::Error),
    #[error("the collector answered {0}")]
    Status(http::StatusCode),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// Posts batches to the collector.
struct HttpExporter {
    config: OtlpConfig,
    resource: Vec<(String, String)>,
    counters: Arc<TraceCounters>,
    /// Whether the last export failed: only the first failure in a row is a warning.
    failing: bool,
}

impl batch::Export for HttpExporter {
    async fn export(&mut self, spans: Vec<SpanData>) {
        let count = spans.len() as u64;
        let body = match self.config.protocol {
            Protocol::HttpProtobuf => protobuf::encode(&self.resource, &spans),
            Protocol::HttpJson => json::encode(&self.resource, &spans),
        };
        drop(spans);
        match tokio::time::timeout(self.config.timeout, self.post(body)).await {
            Ok(Ok(())) => {
                self.counters.exported.fetch_add(count, Ordering::Relaxed);
                if std::mem::take(&mut self.failing) {
                    tracing::info!("trace export to {} works again", self.config.endpoint);
                }
            }
            outcome => {
                self.counters.failed.fetch_add(count, Ordering::Relaxed);
                let error = match outcome {
                    Ok(Err(error)) => error,
                    _ => ExportError::Timeout(self.config.timeout),
                };
                if std::mem::replace(&mut self.failing, true) {
                    tracing::debug!("trace export failed: {error}; {count} spans lost");
                } else {
                    tracing::warn!(
                        "trace export to {} failed: {error}; {count} spans lost (later \
                         failures are logged at debug level)",
                        self.config.endpoint
                    );
                }
            }
        }
    }
}

impl HttpExporter {
    async fn post(&self, body: Vec<u8>) -> Result<(), ExportError> {
        let content_type = match self.config.protocol {
            Protocol::HttpProtobuf => "application/x-protobuf",
            Protocol::HttpJson => "application/json",
        };
        let endpoint = &self.config.endpoint;
        let mut request = http::Request::post(endpoint.clone())
            .header(http::header::CONTENT_TYPE, content_type)
            .header(
                http::header::USER_AGENT,
                concat!("wasmart/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(authority) = endpoint.authority() {
            request = request.header(http::header::HOST, authority.as_str());
        }
        for (name, value) in &self.config.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let body = Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed_unsync();
        let request = request
            .body(body)
            .map_err(|_| ExportError::Http(wasmtime_wasi_http::Error::HttpRequestUriInvalid))?;
        let options = wasmtime_wasi_http::RequestOptions {
            connect_timeout: Some(self.config.timeout),
            first_byte_timeout: Some(self.config.timeout),
            between_bytes_timeout: Some(self.config.timeout),
        };
        let (response, connection) =
            wasmtime_wasi_http::default_send_request(request, Some(options))
                .await
                .map_err(ExportError::Http)?;
        let status = response.status();
        // Read the (small) answer so that the connection ends cleanly.
        let _ = tokio::join!(response.into_body().collect(), connection);
        if status.is_success() {
            Ok(())
        } else {
            Err(ExportError::Status(status))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::borrow::Cow;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::observability::trace::{SpanContext, SpanKind, Value};

    /// A finished server span with every kind of field the encoders write.
    pub(crate) fn sample_span() -> SpanData {
        let context =
            SpanContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        SpanData {
            context,
            parent_span_id: Some([1, 2, 3, 4, 5, 6, 7, 8]),
            name: Cow::Borrowed("GET /api/..."),
            kind: SpanKind::Server,
            start_unix_nanos: 1_700_000_000_000_000_000,
            end_unix_nanos: 1_700_000_000_001_000_000,
            attributes: vec![
                ("http.request.method", Value::from("GET")),
                ("http.response.status_code", Value::Int(503)),
            ],
            links: vec![SpanContext {
                span_id: [10, 11, 12, 13, 14, 15, 16, 17],
                ..context
            }],
            error: Some(Cow::Borrowed("HTTP 503")),
        }
    }

    /// Accepts one HTTP request on `listener`, answers `status`, and returns its head and body.
    async fn receive(listener: tokio::net::TcpListener, status: u16) -> (String, Vec<u8>) {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut data = Vec::new();
        let mut buffer = [0; 4096];
        let (head, length) = loop {
            let read = stream.read(&mut buffer).await.unwrap();
            data.extend_from_slice(&buffer[..read]);
            if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                data.drain(..end + 4);
                break (head, length);
            }
        };
        while data.len() < length {
            let read = stream.read(&mut buffer).await.unwrap();
            data.extend_from_slice(&buffer[..read]);
        }
        let answer =
            format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        stream.write_all(answer.as_bytes()).await.unwrap();
        (head, data)
    }

    #[tokio::test]
    async fn batches_are_posted_to_the_endpoint_and_flushed_on_shutdown() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let receiver = tokio::spawn(receive(listener, 200));
        let mut config =
            OtlpConfig::new(&format!("http://{address}/v1/traces"), Protocol::HttpJson).unwrap();
        config.headers = vec![("x-api-key".into(), "secret".into())];
        let counters = Arc::new(TraceCounters::default());
        let (tracer, task) = start(config, vec![], counters.clone()).unwrap();
        drop(tracer.start("GET /", SpanKind::Server, None));
        task.shutdown().await;
        let (head, body) = receiver.await.unwrap();
        assert!(head.starts_with("post /v1/traces http/1.1"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.contains("x-api-key: secret"), "{head}");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"],
            "GET /"
        );
        assert_eq!(counters.exported.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn failed_exports_are_counted_and_do_not_stop_the_exporter() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let receiver = tokio::spawn(receive(listener, 503));
        let config = OtlpConfig::new(
            &format!("http://{address}/v1/traces"),
            Protocol::HttpProtobuf,
        )
        .unwrap();
        let counters = Arc::new(TraceCounters::default());
        let (tracer, task) = start(config, vec![], counters.clone()).unwrap();
        drop(tracer.start("a", SpanKind::Internal, None));
        drop(tracer.start("b", SpanKind::Internal, None));
        task.shutdown().await;
        let (head, _) = receiver.await.unwrap();
        assert!(
            head.contains("content-type: application/x-protobuf"),
            "{head}"
        );
        assert_eq!(counters.failed.load(Ordering::Relaxed), 2);
        assert_eq!(counters.exported.load(Ordering::Relaxed), 0);
    }
}
