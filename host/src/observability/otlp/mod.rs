//! OpenTelemetry trace export over OTLP/HTTP through the `opentelemetry-otlp` exporter
//! (`http/protobuf`, the default, or `http/json`) and the SDK's batch span processor, set
//! from the `OTEL_*` variables ([`OtlpConfig`]). Requests never wait for it: the processor
//! runs on a thread of its own behind a bounded queue, so a slow or dead collector costs
//! dropped spans, counted on the metrics listener, not latency. Export requests go out on
//! a small runtime of that thread ([`client`]), never on the request workers.

mod client;
mod config;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SpanData, SpanExporter, SpanProcessor,
};
use opentelemetry_sdk::Resource;

pub use config::{BatchConfig, OtlpConfig, OtlpConfigError, Protocol};

use super::trace::{SpanSink, TraceCounters, Tracer};

/// Why the exporter could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("starting the export runtime: {0}")]
    Runtime(#[from] std::io::Error),
    #[error("building the OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// The background exporter; [`ExportTask::shutdown`] sends what is still queued.
pub struct ExportTask {
    processor: Arc<BatchSpanProcessor>,
    timeout: Duration,
}

/// Starts exporting per `config` on a thread of its own, every span reported under
/// `resource`; returns the tracer that feeds the exporter, and the exporter.
pub fn start(
    config: OtlpConfig,
    resource: Vec<(String, String)>,
    counters: Arc<TraceCounters>,
) -> Result<(Tracer, ExportTask), StartError> {
    let protocol = match config.protocol {
        Protocol::HttpProtobuf => opentelemetry_otlp::Protocol::HttpBinary,
        Protocol::HttpJson => opentelemetry_otlp::Protocol::HttpJson,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client::Client::new(config.timeout)?)
        .with_endpoint(config.endpoint.to_string())
        .with_protocol(protocol)
        .with_timeout(config.timeout)
        .with_headers(config.headers.iter().cloned().collect())
        .build()?;
    let pending = Arc::new(AtomicUsize::new(0));
    let exporter = CountingExporter {
        inner: exporter,
        pending: pending.clone(),
        counters: counters.clone(),
        endpoint: config.endpoint.to_string(),
        failing: AtomicBool::new(false),
    };
    // The processor's channel holds the spans waiting and the batch being sent, as
    // `OTEL_BSP_MAX_QUEUE_SIZE` spans waiting while one batch is out.
    let capacity = config.batch.max_queue_size + config.batch.max_batch_size;
    let batch = BatchConfigBuilder::default()
        .with_max_queue_size(capacity)
        .with_max_export_batch_size(config.batch.max_batch_size)
        .with_scheduled_delay(config.batch.schedule_delay)
        .build();
    let mut processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(batch)
        .build();
    let resource = Resource::builder_empty()
        .with_attributes(resource.into_iter().map(|(k, v)| KeyValue::new(k, v)))
        .build();
    processor.set_resource(&resource);
    let processor = Arc::new(processor);
    let queue = Queue {
        processor: processor.clone(),
        pending,
        capacity,
        counters,
    };
    let task = ExportTask {
        processor,
        timeout: config.timeout,
    };
    Ok((Tracer::new(Arc::new(queue)), task))
}

impl ExportTask {
    /// Exports the spans still queued, waiting at most one export timeout (plus a second)
    /// before giving up on them.
    pub async fn shutdown(self) {
        let timeout = self.timeout + Duration::from_secs(1);
        let processor = self.processor;
        let done =
            tokio::task::spawn_blocking(move || processor.shutdown_with_timeout(timeout)).await;
        if !matches!(done, Ok(Ok(()))) {
            tracing::warn!("trace export did not finish in time; the last spans are lost");
        }
    }
}

/// The processor's queue, bounded by what is still unexported (waiting, or in the batch
/// being sent): a full queue drops (and counts) the span at once.
struct Queue {
    processor: Arc<BatchSpanProcessor>,
    /// Spans handed to the processor that are not exported (or lost) yet.
    pending: Arc<AtomicUsize>,
    capacity: usize,
    counters: Arc<TraceCounters>,
}

impl SpanSink for Queue {
    fn finish(&self, span: SpanData) {
        if self.pending.fetch_add(1, Ordering::Relaxed) >= self.capacity {
            self.pending.fetch_sub(1, Ordering::Relaxed);
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.processor.on_end(span);
    }
}

/// The OTLP exporter, counting what the collector accepted and what was lost.
#[derive(Debug)]
struct CountingExporter {
    inner: opentelemetry_otlp::SpanExporter,
    pending: Arc<AtomicUsize>,
    counters: Arc<TraceCounters>,
    endpoint: String,
    /// Whether the last export failed: only the first failure in a row is a warning.
    failing: AtomicBool,
}

impl SpanExporter for CountingExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let count = batch.len();
        let result = self.inner.export(batch).await;
        self.pending.fetch_sub(count, Ordering::Relaxed);
        let count = count as u64;
        match &result {
            Ok(()) => {
                self.counters.exported.fetch_add(count, Ordering::Relaxed);
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("trace export to {} works again", self.endpoint);
                }
            }
            Err(error) => {
                self.counters.failed.fetch_add(count, Ordering::Relaxed);
                if self.failing.swap(true, Ordering::Relaxed) {
                    tracing::debug!("trace export failed: {error}; {count} spans lost");
                } else {
                    tracing::warn!(
                        "trace export to {} failed: {error}; {count} spans lost (later \
                         failures are logged at debug level)",
                        self.endpoint
                    );
                }
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::observability::trace::{SpanContext, SpanKind};

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

    /// A collector on a free port that answers one request with `status`, and its config.
    async fn collector(
        status: u16,
        protocol: Protocol,
    ) -> (OtlpConfig, tokio::task::JoinHandle<(String, Vec<u8>)>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let receiver = tokio::spawn(receive(listener, status));
        let config = OtlpConfig::new(&format!("http://{address}/v1/traces"), protocol).unwrap();
        (config, receiver)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_are_posted_as_json_and_flushed_on_shutdown() {
        let (mut config, receiver) = collector(200, Protocol::HttpJson).await;
        config.headers = vec![("x-api-key".into(), "secret".into())];
        let counters = Arc::new(TraceCounters::default());
        let resource = vec![("service.name".to_owned(), "shop".to_owned())];
        let (tracer, task) = start(config, resource, counters.clone()).unwrap();
        drop(tracer.start("GET /", SpanKind::Server, None));
        task.shutdown().await;
        let (head, body) = receiver.await.unwrap();
        assert!(head.starts_with("post /v1/traces http/1.1"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.contains("x-api-key: secret"), "{head}");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let resource_spans = &body["resourceSpans"][0];
        assert_eq!(
            resource_spans["resource"]["attributes"][0]["value"]["stringValue"],
            "shop"
        );
        let span = &resource_spans["scopeSpans"][0]["spans"][0];
        assert_eq!(span["name"], "GET /");
        assert_eq!(span["kind"], 2);
        assert_eq!(counters.exported.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn protobuf_carries_ids_parents_kinds_attributes_links_and_status() {
        let (config, receiver) = collector(200, Protocol::HttpProtobuf).await;
        let (tracer, task) = start(config, vec![], Arc::default()).unwrap();
        let parent =
            SpanContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        let mut span = tracer.start("GET /api/...", SpanKind::Server, Some(&parent));
        span.set("http.request.method", "GET");
        span.set("http.response.status_code", 503_i64);
        span.set_error("HTTP 503");
        let linked = SpanContext::new_root();
        span.add_link(linked);
        let context = span.context().unwrap();
        drop(span);
        task.shutdown().await;
        let (head, body) = receiver.await.unwrap();
        assert!(
            head.contains("content-type: application/x-protobuf"),
            "{head}"
        );
        let request = ExportTraceServiceRequest::decode(&body[..]).unwrap();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(
            request.resource_spans[0].scope_spans[0]
                .scope
                .as_ref()
                .unwrap()
                .name,
            "wasmart"
        );
        assert_eq!(span.trace_id, parent.trace_id);
        assert_eq!(span.span_id, context.span_id);
        assert_eq!(span.parent_span_id, parent.span_id);
        assert_eq!(span.name, "GET /api/...");
        assert_eq!(span.kind, 2);
        assert!(span.end_time_unix_nano >= span.start_time_unix_nano);
        let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["http.request.method", "http.response.status_code"]);
        assert_eq!(span.links[0].trace_id, linked.trace_id);
        let status = span.status.as_ref().unwrap();
        assert_eq!((status.code, status.message.as_str()), (2, "HTTP 503"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failed_exports_are_counted_and_a_full_queue_drops_at_once() {
        let (mut config, receiver) = collector(503, Protocol::HttpProtobuf).await;
        // Room for one batch of two in flight, none waiting.
        config.batch.max_queue_size = 0;
        config.batch.max_batch_size = 2;
        let counters = Arc::new(TraceCounters::default());
        let (tracer, task) = start(config, vec![], counters.clone()).unwrap();
        let started = std::time::Instant::now();
        for _ in 0..5 {
            drop(tracer.start("a", SpanKind::Internal, None));
        }
        assert!(started.elapsed() < Duration::from_millis(50));
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 3);
        task.shutdown().await;
        let (head, _) = receiver.await.unwrap();
        assert!(head.starts_with("post /v1/traces"), "{head}");
        assert_eq!(counters.failed.load(Ordering::Relaxed), 2);
        assert_eq!(counters.exported.load(Ordering::Relaxed), 0);
    }
}
