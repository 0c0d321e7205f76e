//! Prometheus metrics of the running application, recorded through the `metrics` crate and
//! rendered in the text exposition format by `metrics-exporter-prometheus` for
//! `--metrics-listen`. Every component is measured by the host, with no code in the
//! component: requests by route and status class with latency, instance start-up time,
//! guest failures, event deliveries, how many instances run or wait, and the host calls
//! components make (key-value, SQLite, outbound Redis) by operation.
//!
//! Host-call series are resolved once per component and label at load ([`OperationStats`])
//! and registered on their first call: a call then only bumps atomics, and an operation
//! never called shows no series.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use metrics::{Counter, Histogram, Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{formatting, Matcher, PrometheusBuilder, PrometheusRecorder};

use super::seen_events::SeenEvents;
use super::trace::TraceCounters;

/// Upper bounds of the request latency histograms' buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Upper bounds of the host-call latency buckets, in seconds: a key-value read takes tens
/// of microseconds.
const HOST_CALL_BUCKETS: [f64; 15] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5,
];

/// The suffix of the host-call latency histograms, which use [`HOST_CALL_BUCKETS`].
const HOST_CALL_DURATION: &str = "_operation_duration_seconds";

/// The most channels counted separately per component; more are counted as `other`.
const MAX_CHANNELS: usize = 64;

/// What the `metrics` API asks of every registration (unused by the exporter).
const METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

const HTTP_REQUESTS: &str = "wasmart_http_requests_total";
const HTTP_DURATION: &str = "wasmart_http_request_duration_seconds";
const INSTANTIATION: &str = "wasmart_instantiation_duration_seconds";
const FAILURES: &str = "wasmart_guest_failures_total";
const DELIVERIES: &str = "wasmart_event_deliveries_total";
const REDELIVERIES: &str = "wasmart_event_redeliveries_total";
const EVENT_DURATION: &str = "wasmart_event_handling_duration_seconds";
const PUBLISHED: &str = "wasmart_redis_messages_published_total";
const IN_FLIGHT: &str = "wasmart_instances_in_flight";
const QUEUED: &str = "wasmart_instances_queued";
const SPANS_EXPORTED: &str = "wasmart_trace_spans_exported_total";
const SPANS_DROPPED: &str = "wasmart_trace_spans_dropped_total";

/// A metric family's type, as the exposition names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// The families every exposition describes, series or not (a dashboard's query of a
/// family with no series yet still finds it).
const FAMILIES: [(&str, Kind, &str); 10] = [
    (
        HTTP_REQUESTS,
        Kind::Counter,
        "HTTP requests answered, by component, route and status class.",
    ),
    (
        HTTP_DURATION,
        Kind::Histogram,
        "Time from a request's arrival to its response headers.",
    ),
    (
        INSTANTIATION,
        Kind::Histogram,
        "Time to create a store and instantiate a component for one invocation.",
    ),
    (
        FAILURES,
        Kind::Counter,
        "Invocations that trapped, timed out or gave no answer.",
    ),
    (
        DELIVERIES,
        Kind::Counter,
        "Redis messages delivered to a component, by channel and outcome.",
    ),
    (
        REDELIVERIES,
        Kind::Counter,
        "Deliveries of an event id the component had been delivered before.",
    ),
    (
        EVENT_DURATION,
        Kind::Histogram,
        "Time a component took to handle one Redis message.",
    ),
    (
        PUBLISHED,
        Kind::Counter,
        "Messages components published on outbound Redis, by channel.",
    ),
    (IN_FLIGHT, Kind::Gauge, "Top-level invocations running now."),
    (
        QUEUED,
        Kind::Gauge,
        "Top-level invocations waiting for an instance (--max-instances).",
    ),
];

/// The trace export counters, described only when tracing is on.
const TRACE_FAMILIES: [(&str, Kind, &str); 2] = [
    (
        SPANS_EXPORTED,
        Kind::Counter,
        "Spans the OTLP collector accepted.",
    ),
    (
        SPANS_DROPPED,
        Kind::Counter,
        "Spans lost: the export queue was full, or the export request failed.",
    ),
];

/// The host interfaces whose calls are measured, each with its own metric names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostInterface {
    /// `wasmart_key_value_*`, by component and label.
    KeyValue,
    /// `wasmart_sqlite_*`, by component and label.
    Sqlite,
    /// `wasmart_redis_*` (outbound Redis), by component.
    Redis,
}

impl HostInterface {
    const ALL: [Self; 3] = [Self::KeyValue, Self::Sqlite, Self::Redis];

    fn operations_metric(self) -> &'static str {
        match self {
            Self::KeyValue => "wasmart_key_value_operations_total",
            Self::Sqlite => "wasmart_sqlite_operations_total",
            Self::Redis => "wasmart_redis_operations_total",
        }
    }

    fn duration_metric(self) -> &'static str {
        match self {
            Self::KeyValue => "wasmart_key_value_operation_duration_seconds",
            Self::Sqlite => "wasmart_sqlite_operation_duration_seconds",
            Self::Redis => "wasmart_redis_operation_duration_seconds",
        }
    }

    fn labels(self) -> &'static [&'static str] {
        match self {
            Self::KeyValue | Self::Sqlite => &["component", "label"],
            Self::Redis => &["component"],
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::KeyValue => "Key-value operations",
            Self::Sqlite => "SQLite statements",
            Self::Redis => "Outbound Redis commands",
        }
    }
}

/// A series registered with the recorder on its first use.
#[derive(Debug)]
struct LazySeries<T> {
    key: Key,
    handle: OnceLock<T>,
}

impl<T> LazySeries<T> {
    fn new(name: &'static str, labels: Vec<Label>) -> Self {
        Self {
            key: Key::from_parts(name, labels),
            handle: OnceLock::new(),
        }
    }
}

#[derive(Debug)]
struct OperationCell {
    ok: LazySeries<Counter>,
    error: LazySeries<Counter>,
    latency: LazySeries<Histogram>,
}

/// Counts and latency of one host interface's calls by one component (and label), per
/// operation; resolved at load, recorded with atomics only.
#[derive(Debug)]
pub struct OperationStats {
    recorder: Arc<PrometheusRecorder>,
    cells: Box<[OperationCell]>,
}

impl OperationStats {
    fn new(
        recorder: Arc<PrometheusRecorder>,
        interface: HostInterface,
        labels: &[&str],
        operations: &'static [&'static str],
    ) -> Self {
        let labels: Vec<Label> = interface
            .labels()
            .iter()
            .zip(labels)
            .map(|(name, value)| Label::new(*name, (*value).to_owned()))
            .collect();
        let cells = operations
            .iter()
            .map(|operation| {
                let mut labels = labels.clone();
                labels.push(Label::new("operation", *operation));
                let with = |outcome| {
                    let mut labels = labels.clone();
                    labels.push(Label::new("outcome", outcome));
                    LazySeries::new(interface.operations_metric(), labels)
                };
                OperationCell {
                    ok: with("ok"),
                    error: with("error"),
                    latency: LazySeries::new(interface.duration_metric(), labels.clone()),
                }
            })
            .collect();
        Self { recorder, cells }
    }

    /// Records one call of `operations[operation]` that took `elapsed`.
    pub fn record(&self, operation: usize, ok: bool, elapsed: Duration) {
        let Some(cell) = self.cells.get(operation) else {
            return;
        };
        let count = if ok { &cell.ok } else { &cell.error };
        count
            .handle
            .get_or_init(|| self.recorder.register_counter(&count.key, &METADATA))
            .increment(1);
        let latency = &cell.latency;
        latency
            .handle
            .get_or_init(|| self.recorder.register_histogram(&latency.key, &METADATA))
            .record(elapsed.as_secs_f64());
    }
}

/// Messages one component published, per channel.
#[derive(Debug)]
pub struct ChannelCounts {
    recorder: Arc<PrometheusRecorder>,
    component: String,
    channels: Mutex<HashMap<String, Counter>>,
}

impl ChannelCounts {
    /// Counts one message published on `channel`.
    pub fn record(&self, channel: &str) {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(counter) = channels.get(channel) {
            counter.increment(1);
            return;
        }
        let channel = if channels.len() < MAX_CHANNELS {
            channel
        } else {
            "other"
        };
        let counter = channels.entry(channel.to_owned()).or_insert_with(|| {
            let labels = [
                Label::new("component", self.component.clone()),
                Label::new("channel", channel.to_owned()),
            ];
            let key = Key::from_parts(PUBLISHED, labels.to_vec());
            self.recorder.register_counter(&key, &METADATA)
        });
        counter.increment(1);
    }
}

/// The host-call series of one interface and label values.
type ResolvedStats = (HostInterface, Vec<String>, Arc<OperationStats>);

/// The application's metrics; shared by the executor and the metrics listener. When
/// disabled (no `--metrics-listen`) recording costs one branch.
#[derive(Debug, Default)]
pub struct Metrics {
    /// `None` when disabled.
    recorder: Option<Arc<PrometheusRecorder>>,
    /// Host-call series resolved so far, by interface and label values.
    host_calls: Mutex<Vec<ResolvedStats>>,
    published: Mutex<Vec<(String, Arc<ChannelCounts>)>>,
    seen_events: Mutex<SeenEvents>,
    in_flight: AtomicI64,
    queued: AtomicI64,
    trace: Option<Arc<TraceCounters>>,
}

/// One Redis message delivered to a component, as [`Metrics::record_event`] counts it.
#[derive(Debug)]
pub struct Delivery<'a> {
    pub component: &'a str,
    pub channel: &'a str,
    /// The envelope's id, when the message is a Wasmart event.
    pub event_id: Option<&'a str>,
    /// Whether the handler succeeded.
    pub handled: bool,
    /// From the permit to the handler's return, instantiation included.
    pub elapsed: Duration,
}

/// Counts one instance while it lives (see [`Metrics::running`] and [`Metrics::queued`]).
pub struct GaugeGuard<'a>(&'a AtomicI64);

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn status_class(status: u16) -> String {
    format!("{}xx", status / 100)
}

/// Labels `names` with `values`, in order.
fn labels<const N: usize>(names: [&'static str; N], values: [&str; N]) -> Vec<Label> {
    names
        .into_iter()
        .zip(values)
        .map(|(name, value)| Label::new(name, value.to_owned()))
        .collect()
}

/// A recorder with the project's histogram buckets, every family described.
fn recorder() -> PrometheusRecorder {
    let recorder = PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .and_then(|builder| {
            builder.set_buckets_for_metric(
                Matcher::Suffix(HOST_CALL_DURATION.to_owned()),
                &HOST_CALL_BUCKETS,
            )
        })
        .expect("the bucket lists are not empty")
        .build_recorder();
    for (name, kind, help) in families(true) {
        let (name, help) = (name.into(), help.into());
        match kind {
            Kind::Counter => recorder.describe_counter(name, None, help),
            Kind::Gauge => recorder.describe_gauge(name, None, help),
            Kind::Histogram => recorder.describe_histogram(name, None, help),
        }
    }
    recorder
}

/// Every family's name, type and help; the trace export counters when `tracing`.
fn families(tracing: bool) -> Vec<(String, Kind, String)> {
    let fixed = FAMILIES
        .iter()
        .chain(if tracing { &TRACE_FAMILIES[..] } else { &[] });
    let mut families: Vec<(String, Kind, String)> = fixed
        .map(|(name, kind, help)| ((*name).to_owned(), *kind, (*help).to_owned()))
        .collect();
    for interface in HostInterface::ALL {
        let what = interface.what();
        families.push((
            interface.operations_metric().to_owned(),
            Kind::Counter,
            format!("{what} components made, by operation and outcome (ok or error)."),
        ));
        families.push((
            interface.duration_metric().to_owned(),
            Kind::Histogram,
            format!("{what}: time the host took to answer one, by operation."),
        ));
    }
    families
}

impl Metrics {
    /// Metrics that record (`enabled`) or ignore everything.
    pub fn new(enabled: bool) -> Self {
        Self {
            recorder: enabled.then(|| Arc::new(recorder())),
            ..Self::default()
        }
    }

    /// Also shows what became of the spans `counters` counts (when tracing is on).
    pub fn with_trace_counters(mut self, counters: Arc<TraceCounters>) -> Self {
        self.trace = Some(counters);
        self
    }

    /// The series of `interface` calls with label values `labels` (see
    /// [`HostInterface`]), created on first use; `None` when metrics are off.
    pub fn operation_stats(
        &self,
        interface: HostInterface,
        labels: &[&str],
        operations: &'static [&'static str],
    ) -> Option<Arc<OperationStats>> {
        let recorder = self.recorder.as_ref()?;
        let values: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        let mut calls = self.host_calls.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, stats)) = calls
            .iter()
            .find(|(i, l, _)| *i == interface && *l == values)
        {
            return Some(stats.clone());
        }
        let stats = OperationStats::new(recorder.clone(), interface, labels, operations);
        let stats = Arc::new(stats);
        calls.push((interface, values, stats.clone()));
        Some(stats)
    }

    /// The per-channel count of messages `component` publishes; `None` when metrics are off.
    pub fn published_messages(&self, component: &str) -> Option<Arc<ChannelCounts>> {
        let recorder = self.recorder.as_ref()?;
        let mut published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, counts)) = published.iter().find(|(c, _)| c == component) {
            return Some(counts.clone());
        }
        let counts = Arc::new(ChannelCounts {
            recorder: recorder.clone(),
            component: component.to_owned(),
            channels: Mutex::default(),
        });
        published.push((component.to_owned(), counts.clone()));
        Some(counts)
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> Option<Counter> {
        let recorder = self.recorder.as_ref()?;
        Some(recorder.register_counter(&Key::from_parts(name, labels), &METADATA))
    }

    fn histogram(&self, name: &'static str, labels: Vec<Label>) -> Option<Histogram> {
        let recorder = self.recorder.as_ref()?;
        Some(recorder.register_histogram(&Key::from_parts(name, labels), &METADATA))
    }

    /// Records an HTTP request that `component` answered on `route` (a manifest route, or
    /// `chained` for service chaining) with `status` after `elapsed`.
    pub fn record_request(&self, component: &str, route: &str, status: u16, elapsed: Duration) {
        if self.recorder.is_none() {
            return;
        }
        let class = status_class(status);
        let names = ["component", "route", "class"];
        if let Some(counter) =
            self.counter(HTTP_REQUESTS, labels(names, [component, route, &class]))
        {
            counter.increment(1);
        }
        let names = ["component", "route"];
        if let Some(histogram) = self.histogram(HTTP_DURATION, labels(names, [component, route])) {
            histogram.record(elapsed.as_secs_f64());
        }
    }

    /// Records how long creating a store and instantiating `component` took.
    pub fn record_instantiation(&self, component: &str, elapsed: Duration) {
        if let Some(histogram) = self.histogram(INSTANTIATION, labels(["component"], [component])) {
            histogram.record(elapsed.as_secs_f64());
        }
    }

    /// Records a failed guest invocation of `component`; `kind` is `trap`, `timeout`, …
    pub fn record_failure(&self, component: &str, kind: &str) {
        let labels = labels(["component", "kind"], [component, kind]);
        if let Some(counter) = self.counter(FAILURES, labels) {
            counter.increment(1);
        }
    }

    /// Records one Redis message delivered to a component (see [`Delivery`]).
    pub fn record_event(&self, delivery: &Delivery<'_>) {
        if self.recorder.is_none() {
            return;
        }
        let outcome = if delivery.handled {
            "handled"
        } else {
            "failed"
        };
        let Delivery {
            component, channel, ..
        } = *delivery;
        let names = ["component", "channel", "outcome"];
        let delivered = self.counter(DELIVERIES, labels(names, [component, channel, outcome]));
        delivered
            .into_iter()
            .for_each(|counter| counter.increment(1));
        if let Some(id) = delivery.event_id {
            let mut seen = self.seen_events.lock().unwrap_or_else(|p| p.into_inner());
            if seen.redelivered(component, id) {
                let names = ["component", "channel"];
                let again = self.counter(REDELIVERIES, labels(names, [component, channel]));
                again.into_iter().for_each(|counter| counter.increment(1));
            }
        }
        let handling = self.histogram(EVENT_DURATION, labels(["component"], [component]));
        handling
            .into_iter()
            .for_each(|h| h.record(delivery.elapsed.as_secs_f64()));
    }

    /// Counts a top-level invocation waiting for an instance permit until the guard drops.
    pub fn queued(&self) -> GaugeGuard<'_> {
        self.queued.fetch_add(1, Ordering::Relaxed);
        GaugeGuard(&self.queued)
    }

    /// Counts a running top-level invocation until the guard drops.
    pub fn running(&self) -> GaugeGuard<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        GaugeGuard(&self.in_flight)
    }

    /// Folds the recorded latencies into their histograms; the metrics listener calls this
    /// every few seconds, so that they never pile up between scrapes.
    pub fn upkeep(&self) {
        if let Some(recorder) = &self.recorder {
            recorder.handle().run_upkeep();
        }
    }

    /// Everything, in the Prometheus text exposition format (version 0.0.4); empty when
    /// metrics are off.
    pub fn render(&self) -> String {
        let Some(recorder) = &self.recorder else {
            return String::new();
        };
        for (name, value) in [(IN_FLIGHT, &self.in_flight), (QUEUED, &self.queued)] {
            let gauge = recorder.register_gauge(&Key::from_static_name(name), &METADATA);
            gauge.set(value.load(Ordering::Relaxed) as f64);
        }
        if let Some(trace) = &self.trace {
            let counters = [
                (SPANS_EXPORTED, None, &trace.exported),
                (SPANS_DROPPED, Some("queue_full"), &trace.dropped),
                (SPANS_DROPPED, Some("export_failed"), &trace.failed),
            ];
            for (name, reason, count) in counters {
                let labels = reason.map(|reason| Label::new("reason", reason));
                let key = Key::from_parts(name, labels.into_iter().collect::<Vec<_>>());
                let counter = recorder.register_counter(&key, &METADATA);
                counter.absolute(count.load(Ordering::Relaxed));
            }
        }
        let mut text = recorder.handle().render();
        for (name, kind, help) in families(self.trace.is_some()) {
            if !text.contains(&format!("# TYPE {name} ")) {
                formatting::write_help_line(&mut text, &name, None, None, &help);
                formatting::write_type_line(&mut text, &name, None, None, kind.name());
            }
        }
        text
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let metrics = Metrics::new(true);
        metrics.record_request("shop", "/...", 200, Duration::from_millis(3));
        metrics.record_request("shop", "/...", 201, Duration::from_millis(30));
        metrics.record_request("shop", "/...", 503, Duration::from_secs(20));
        metrics.record_failure("shop", "trap");
        let _running = metrics.running();
        let text = metrics.render();
        assert!(text.contains(
            "wasmart_http_requests_total{component=\"shop\",route=\"/...\",class=\"2xx\"} 2"
        ));
        assert!(text.contains(
            "wasmart_http_requests_total{component=\"shop\",route=\"/...\",class=\"5xx\"} 1"
        ));
        assert!(text.contains(
            "wasmart_http_request_duration_seconds_bucket{component=\"shop\",route=\"/...\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "wasmart_http_request_duration_seconds_bucket{component=\"shop\",route=\"/...\",le=\"0.05\"} 2"
        ));
        assert!(text.contains(
            "wasmart_http_request_duration_seconds_bucket{component=\"shop\",route=\"/...\",le=\"+Inf\"} 3"
        ));
        assert!(text.contains(
            "wasmart_http_request_duration_seconds_count{component=\"shop\",route=\"/...\"} 3"
        ));
        assert!(text.contains("wasmart_guest_failures_total{component=\"shop\",kind=\"trap\"} 1"));
        assert!(text.contains("wasmart_instances_in_flight 1"));
        drop(_running);
        assert!(metrics.render().contains("wasmart_instances_in_flight 0"));
    }

    #[test]
    fn event_deliveries_are_counted_by_channel_and_redeliveries_by_event_id() {
        let metrics = Metrics::new(true);
        let delivery = |event_id, handled| Delivery {
            component: "payments",
            channel: "wasmart.orders",
            event_id,
            handled,
            elapsed: Duration::from_millis(2),
        };
        metrics.record_event(&delivery(Some("e1"), false));
        metrics.record_event(&delivery(Some("e1"), true));
        metrics.record_event(&delivery(Some("e2"), true));
        metrics.record_event(&delivery(None, true));
        let text = metrics.render();
        for line in [
            r#"wasmart_event_deliveries_total{component="payments",channel="wasmart.orders",outcome="handled"} 3"#,
            r#"wasmart_event_deliveries_total{component="payments",channel="wasmart.orders",outcome="failed"} 1"#,
            r#"wasmart_event_redeliveries_total{component="payments",channel="wasmart.orders"} 1"#,
            r#"wasmart_event_handling_duration_seconds_count{component="payments"} 4"#,
        ] {
            assert!(text.contains(line), "no {line} in\n{text}");
        }
    }

    #[test]
    fn disabled_metrics_record_nothing() {
        let metrics = Metrics::new(false);
        metrics.record_request("shop", "/...", 200, Duration::from_millis(3));
        assert!(!metrics.render().contains("component=\"shop\""));
    }

    #[test]
    fn host_calls_are_counted_per_operation_with_resolved_handles() {
        let metrics = Metrics::new(true);
        let operations: &'static [&'static str] = &["get", "set"];
        let kv = metrics
            .operation_stats(HostInterface::KeyValue, &["cart", "default"], operations)
            .unwrap();
        let again = metrics
            .operation_stats(HostInterface::KeyValue, &["cart", "default"], operations)
            .unwrap();
        assert!(
            Arc::ptr_eq(&kv, &again),
            "one series per component and label"
        );
        kv.record(0, true, Duration::from_micros(40));
        kv.record(0, true, Duration::from_millis(3));
        again.record(1, false, Duration::from_micros(200));
        let redis = metrics
            .operation_stats(HostInterface::Redis, &["orders"], &["publish"])
            .unwrap();
        redis.record(0, true, Duration::from_micros(300));
        let published = metrics.published_messages("orders").unwrap();
        published.record("wasmart.orders");
        published.record("wasmart.orders");
        let text = metrics.render();
        for line in [
            r#"wasmart_key_value_operations_total{component="cart",label="default",operation="get",outcome="ok"} 2"#,
            r#"wasmart_key_value_operations_total{component="cart",label="default",operation="set",outcome="error"} 1"#,
            r#"wasmart_key_value_operation_duration_seconds_bucket{component="cart",label="default",operation="get",le="0.00005"} 1"#,
            r#"wasmart_key_value_operation_duration_seconds_bucket{component="cart",label="default",operation="get",le="0.005"} 2"#,
            r#"wasmart_key_value_operation_duration_seconds_count{component="cart",label="default",operation="get"} 2"#,
            r#"wasmart_key_value_operation_duration_seconds_sum{component="cart",label="default",operation="get"} 0.00304"#,
            r#"wasmart_redis_operations_total{component="orders",operation="publish",outcome="ok"} 1"#,
            r#"wasmart_redis_messages_published_total{component="orders",channel="wasmart.orders"} 2"#,
            "# TYPE wasmart_sqlite_operations_total counter",
        ] {
            assert!(text.contains(line), "no {line} in\n{text}");
        }
        assert!(
            !text.contains(r#"operation="set",outcome="ok""#),
            "zero series are left out"
        );
        assert!(
            !text.contains("wasmart_trace_spans"),
            "no tracing, no trace counters"
        );
    }

    #[test]
    fn without_metrics_nothing_is_resolved_and_channels_are_capped() {
        let metrics = Metrics::new(false);
        assert!(metrics
            .operation_stats(HostInterface::Sqlite, &["a", "b"], &["select"])
            .is_none());
        assert!(metrics.published_messages("a").is_none());
        let metrics = Metrics::new(true);
        let counts = metrics.published_messages("a").unwrap();
        for channel in 0..MAX_CHANNELS + 5 {
            counts.record(&format!("c{channel}"));
        }
        let text = metrics.render();
        let series = r#"wasmart_redis_messages_published_total{component="a",channel="#;
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with(series)).collect();
        assert_eq!(lines.len(), MAX_CHANNELS + 1, "{text}");
        assert!(
            lines.contains(&&*format!(r#"{series}"other"}} 5"#)),
            "{text}"
        );
    }

    #[test]
    fn trace_export_counters_are_shown_when_tracing_is_on() {
        let counters = Arc::new(TraceCounters::default());
        counters.exported.fetch_add(7, Ordering::Relaxed);
        counters.dropped.fetch_add(2, Ordering::Relaxed);
        let text = Metrics::new(true).with_trace_counters(counters).render();
        assert!(
            text.contains("wasmart_trace_spans_exported_total 7"),
            "{text}"
        );
        assert!(text.contains(r#"wasmart_trace_spans_dropped_total{reason="queue_full"} 2"#));
        assert!(text.contains(r#"wasmart_trace_spans_dropped_total{reason="export_failed"} 0"#));
    }

    #[test]
    fn label_values_are_escaped_and_every_family_is_described() {
        let metrics = Metrics::new(true);
        metrics.record_failure("a\"b\\c\nd", "trap");
        let text = metrics.render();
        assert!(
            text.contains(r#"wasmart_guest_failures_total{component="a\"b\\c\nd",kind="trap"} 1"#),
            "{text}"
        );
        for (name, kind, help) in families(false) {
            let help = format!("# HELP {name} {help}\n# TYPE {name} {}\n", kind.name());
            assert!(text.contains(&help), "no {help} in\n{text}");
        }
    }
}
