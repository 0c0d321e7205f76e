//! Spans of the work the host does, in the OpenTelemetry model: W3C trace context
//! ([`SpanContext`], read from and written to `traceparent`), spans that record their name,
//! kind, times, attributes and status as the OpenTelemetry SDK's [`SpanData`], and the
//! [`Tracer`] that hands finished spans to the OTLP exporter's bounded queue (see `otlp`)
//! without ever waiting for it. The W3C context stays ours: it is cheaper than the SDK's
//! tracer and its `Context`, and spans here start from a `traceparent` or an event.
//!
//! When tracing is off the tracer is empty: starting a span costs one branch and records
//! nothing. Sampling is parent-based: a trace whose `traceparent` says "not sampled" is
//! propagated but not recorded; a trace the host starts is always sampled.

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use opentelemetry::trace as otel;
pub use opentelemetry::Value;
use opentelemetry::{InstrumentationScope, Key, KeyValue};
pub use opentelemetry_sdk::trace::SpanData;
use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};

/// The `traceparent` header.
pub const TRACEPARENT: &str = "traceparent";

/// W3C trace context: which trace a span belongs to, and which span it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanContext {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub sampled: bool,
}

impl SpanContext {
    /// Reads a `traceparent` (version `00`, or a later version read as `00`); `None` when
    /// malformed or with an all-zero id.
    pub fn parse(traceparent: &str) -> Option<Self> {
        let text = traceparent.trim().as_bytes();
        // version "-" trace id "-" span id "-" flags; later versions may append fields.
        if text.len() < 55 || (text.len() > 55 && (text[..2] == *b"00" || text[55] != b'-')) {
            return None;
        }
        if text[2] != b'-' || text[35] != b'-' || text[52] != b'-' {
            return None;
        }
        let version: [u8; 1] = hex_decode(&text[..2])?;
        let trace_id: [u8; 16] = hex_decode(&text[3..35])?;
        let span_id: [u8; 8] = hex_decode(&text[36..52])?;
        let flags: [u8; 1] = hex_decode(&text[53..55])?;
        if version[0] == 0xff || trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(Self {
            trace_id,
            span_id,
            sampled: flags[0] & 1 == 1,
        })
    }

    /// A sampled context of a new trace.
    pub fn new_root() -> Self {
        let (high, low) = (random_u64(), random_u64());
        let mut trace_id = [0; 16];
        trace_id[..8].copy_from_slice(&high.to_be_bytes());
        trace_id[8..].copy_from_slice(&low.to_be_bytes());
        Self {
            trace_id,
            span_id: new_span_id(),
            sampled: true,
        }
    }

    /// A new span of the same trace.
    pub fn child(&self) -> Self {
        Self {
            span_id: new_span_id(),
            ..*self
        }
    }

    /// The `traceparent` header value of this context.
    pub fn traceparent(&self) -> String {
        format!(
            "00-{}-{}-{}",
            self.trace_id_hex(),
            hex(&self.span_id),
            if self.sampled { "01" } else { "00" }
        )
    }

    /// The trace id as 32 lowercase hex digits.
    pub fn trace_id_hex(&self) -> String {
        hex(&self.trace_id)
    }
}

/// `bytes` as lowercase hex digits.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 15)] as char);
    }
    out
}

/// Lowercase hex digits into exactly `N` bytes.
fn hex_decode<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0; N];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

thread_local! {
    /// xorshift64* state, seeded once per thread from the OS.
    static RANDOM: Cell<u64> = Cell::new(uuid::Uuid::new_v4().as_u64_pair().0 | 1);
}

/// A fast pseudo-random number (ids need uniqueness, not secrecy).
fn random_u64() -> u64 {
    RANDOM.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

fn new_span_id() -> [u8; 8] {
    loop {
        let id = random_u64();
        if id != 0 {
            return id.to_be_bytes();
        }
    }
}

/// What a span stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl From<SpanKind> for otel::SpanKind {
    fn from(kind: SpanKind) -> Self {
        match kind {
            SpanKind::Internal => Self::Internal,
            SpanKind::Server => Self::Server,
            SpanKind::Client => Self::Client,
            SpanKind::Producer => Self::Producer,
            SpanKind::Consumer => Self::Consumer,
        }
    }
}

impl From<&SpanContext> for otel::SpanContext {
    fn from(context: &SpanContext) -> Self {
        let flags = if context.sampled {
            otel::TraceFlags::SAMPLED
        } else {
            otel::TraceFlags::default()
        };
        otel::SpanContext::new(
            otel::TraceId::from_bytes(context.trace_id),
            otel::SpanId::from_bytes(context.span_id),
            flags,
            false,
            otel::TraceState::NONE,
        )
    }
}

/// Counts of what became of finished spans; shown on the metrics listener.
#[derive(Debug, Default)]
pub struct TraceCounters {
    /// Accepted by the collector.
    pub exported: AtomicU64,
    /// Dropped because the queue was full (or the exporter had stopped).
    pub dropped: AtomicU64,
    /// Lost because an export request failed.
    pub failed: AtomicU64,
}

/// Where finished spans go (the exporter's queue); [`SpanSink::finish`] never waits.
pub trait SpanSink: Send + Sync {
    fn finish(&self, span: SpanData);
}

/// Starts spans; cheap to clone. [`Tracer::default`] is the disabled tracer.
#[derive(Clone, Default)]
pub struct Tracer(Option<Arc<dyn SpanSink>>);

impl Tracer {
    /// A tracer that hands finished spans to `sink`.
    pub fn new(sink: Arc<dyn SpanSink>) -> Self {
        Self(Some(sink))
    }

    /// Whether spans are recorded and exported at all.
    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    /// Starts a span that begins the host's part of some work: a child of `parent` (a remote
    /// context, e.g. from `traceparent`), or of a new trace when there is none.
    pub fn start(
        &self,
        name: impl Into<Cow<'static, str>>,
        kind: SpanKind,
        parent: Option<&SpanContext>,
    ) -> Span {
        let Some(sink) = &self.0 else {
            return Span::DISABLED;
        };
        let context = parent.map_or_else(SpanContext::new_root, SpanContext::child);
        let recording = context.sampled.then(|| Recording {
            data: SpanData {
                span_context: (&context).into(),
                parent_span_id: parent.map_or(otel::SpanId::INVALID, |p| {
                    otel::SpanId::from_bytes(p.span_id)
                }),
                parent_span_is_remote: false,
                span_kind: kind.into(),
                name: name.into(),
                start_time: SystemTime::now(),
                end_time: UNIX_EPOCH,
                attributes: Vec::with_capacity(8),
                dropped_attributes_count: 0,
                events: SpanEvents::default(),
                links: SpanLinks::default(),
                status: otel::Status::Unset,
                instrumentation_scope: scope().clone(),
            },
            started: Instant::now(),
            sink: sink.clone(),
        });
        Span {
            context: Some(context),
            recording,
        }
    }

    /// Starts a span inside work already traced under `parent`; nothing without a parent.
    pub fn child(
        &self,
        name: impl Into<Cow<'static, str>>,
        kind: SpanKind,
        parent: Option<&SpanContext>,
    ) -> Span {
        match parent {
            Some(parent) => self.start(name, kind, Some(parent)),
            None => Span::DISABLED,
        }
    }
}

/// The instrumentation scope of every span.
fn scope() -> &'static InstrumentationScope {
    static SCOPE: OnceLock<InstrumentationScope> = OnceLock::new();
    SCOPE.get_or_init(|| InstrumentationScope::builder("wasmart").build())
}

struct Recording {
    data: SpanData,
    started: Instant,
    sink: Arc<dyn SpanSink>,
}

/// A started span; it ends, and is handed to the exporter, when dropped.
pub struct Span {
    context: Option<SpanContext>,
    recording: Option<Recording>,
}

impl Span {
    /// A span of disabled tracing: no context, records nothing.
    pub const DISABLED: Span = Span {
        context: None,
        recording: None,
    };

    /// This span's context, to propagate; `None` when tracing is off.
    pub fn context(&self) -> Option<SpanContext> {
        self.context
    }

    /// Whether attributes set on this span are kept (compute costly ones only then).
    pub fn is_recording(&self) -> bool {
        self.recording.is_some()
    }

    /// Renames the span (when its name depends on something learnt later, like the route).
    pub fn set_name(&mut self, name: impl Into<Cow<'static, str>>) {
        if let Some(recording) = &mut self.recording {
            recording.data.name = name.into();
        }
    }

    /// Sets attribute `key`.
    pub fn set(&mut self, key: &'static str, value: impl Into<Value>) {
        if let Some(recording) = &mut self.recording {
            let key = Key::from_static_str(key);
            recording.data.attributes.push(KeyValue::new(key, value));
        }
    }

    /// Marks the span as failed.
    pub fn set_error(&mut self, message: impl Into<Cow<'static, str>>) {
        if let Some(recording) = &mut self.recording {
            recording.data.status = otel::Status::error(message);
        }
    }

    /// Links the span to a span of another trace.
    pub fn add_link(&mut self, context: SpanContext) {
        if let Some(recording) = &mut self.recording {
            let link = otel::Link::with_context((&context).into());
            recording.data.links.links.push(link);
        }
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        let Some(Recording {
            mut data,
            started,
            sink,
        }) = self.recording.take()
        else {
            return;
        };
        data.end_time = data.start_time + started.elapsed();
        sink.finish(data);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn traceparents_round_trip_and_malformed_ones_are_refused() {
        let context = SpanContext::parse(EXAMPLE).unwrap();
        assert_eq!(context.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(
            context.span_id,
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
        assert!(context.sampled);
        assert_eq!(context.traceparent(), EXAMPLE);
        assert!(
            !SpanContext::parse(&EXAMPLE.replace("-01", "-00"))
                .unwrap()
                .sampled
        );
        // A later version may carry more fields; version 00 may not.
        assert!(
            SpanContext::parse(&format!("{}-extra", EXAMPLE.replacen("00", "01", 1))).is_some()
        );
        for bad in [
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(SpanContext::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn children_keep_the_trace_and_get_new_span_ids() {
        let root = SpanContext::new_root();
        assert_eq!(SpanContext::parse(&root.traceparent()), Some(root));
        let child = root.child();
        assert_eq!(child.trace_id, root.trace_id);
        assert_ne!(child.span_id, root.span_id);
        assert_ne!(SpanContext::new_root().trace_id, root.trace_id);
    }

    /// Keeps every finished span.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<SpanData>>);

    impl SpanSink for Recorder {
        fn finish(&self, span: SpanData) {
            self.0.lock().unwrap().push(span);
        }
    }

    #[test]
    fn spans_are_handed_over_when_dropped_with_their_parent_and_attributes() {
        let recorder = Arc::new(Recorder::default());
        let tracer = Tracer::new(recorder.clone());
        let parent = SpanContext::parse(EXAMPLE).unwrap();
        let mut span = tracer.start("GET /", SpanKind::Server, Some(&parent));
        span.set("http.response.status_code", 500);
        span.set_error("boom");
        let context = span.context().unwrap();
        drop(span);
        let spans = std::mem::take(&mut *recorder.0.lock().unwrap());
        let [data] = &spans[..] else {
            panic!("{spans:?}")
        };
        assert_eq!(data.span_context.trace_id().to_bytes(), parent.trace_id);
        assert_eq!(data.span_context.span_id().to_bytes(), context.span_id);
        assert_eq!(data.parent_span_id.to_bytes(), parent.span_id);
        assert_eq!(data.span_kind, otel::SpanKind::Server);
        assert!(data.end_time >= data.start_time);
        assert_eq!(
            data.attributes,
            [KeyValue::new("http.response.status_code", 500)]
        );
        assert_eq!(data.status, otel::Status::error("boom"));
        drop(tracer.start("root", SpanKind::Internal, None));
        let root = recorder.0.lock().unwrap().remove(0);
        assert_eq!(root.parent_span_id, otel::SpanId::INVALID);
    }

    #[test]
    fn unsampled_and_disabled_tracing_records_nothing() {
        let recorder = Arc::new(Recorder::default());
        let tracer = Tracer::new(recorder.clone());
        let unsampled = SpanContext::parse(&EXAMPLE.replace("-01", "-00")).unwrap();
        let span = tracer.start("GET /", SpanKind::Server, Some(&unsampled));
        assert!(!span.is_recording());
        assert_eq!(span.context().unwrap().trace_id, unsampled.trace_id);
        drop(span);
        drop(tracer.child("kv", SpanKind::Client, None));
        assert!(recorder.0.lock().unwrap().is_empty());
        let span = Tracer::default().start("GET /", SpanKind::Server, None);
        assert_eq!(span.context(), None);
    }
}
