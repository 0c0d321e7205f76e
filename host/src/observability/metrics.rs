//! Prometheus metrics of the running application, kept in memory and rendered in the text
//! exposition format for `--metrics-listen`. Every component is measured by the host, with
//! no code in the component: requests by route and status class with latency, instance
//! start-up time, guest failures, event deliveries, how many instances run or wait, and
//! the host calls components make (key-value, SQLite, outbound Redis) by operation.
//!
//! Host-call series are resolved once per component and label at load ([`OperationStats`]):
//! a call then only bumps atomics.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// The most channels counted separately per component; more are counted as `other`.
const MAX_CHANNELS: usize = 64;

/// A latency histogram with `N` fixed buckets.
#[derive(Debug, Clone)]
struct Histogram<const N: usize> {
    /// Observations at or under each bucket's bound (not cumulative; summed on render).
    counts: [u64; N],
    sum: f64,
    count: u64,
}

impl<const N: usize> Default for Histogram<N> {
    fn default() -> Self {
        Self {
            counts: [0; N],
            sum: 0.0,
            count: 0,
        }
    }
}

impl Histogram<{ BUCKETS.len() }> {
    fn observe(&mut self, seconds: f64) {
        if let Some(index) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.counts[index] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// A [`HOST_CALL_BUCKETS`] histogram updated without a lock.
#[derive(Debug, Default)]
struct AtomicHistogram {
    counts: [AtomicU64; HOST_CALL_BUCKETS.len()],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl AtomicHistogram {
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(index) = HOST_CALL_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.counts[index].fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Histogram<{ HOST_CALL_BUCKETS.len() }> {
        Histogram {
            counts: std::array::from_fn(|i| self.counts[i].load(Ordering::Relaxed)),
            sum: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
            count: self.count.load(Ordering::Relaxed),
        }
    }
}

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
    fn prefix(self) -> &'static str {
        match self {
            Self::KeyValue => "wasmart_key_value",
            Self::Sqlite => "wasmart_sqlite",
            Self::Redis => "wasmart_redis",
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

#[derive(Debug, Default)]
struct OperationCell {
    ok: AtomicU64,
    error: AtomicU64,
    latency: AtomicHistogram,
}

/// Counts and latency of one host interface's calls by one component (and label), per
/// operation; resolved at load, recorded with atomics only.
#[derive(Debug)]
pub struct OperationStats {
    operations: &'static [&'static str],
    cells: Box<[OperationCell]>,
}

impl OperationStats {
    fn new(operations: &'static [&'static str]) -> Self {
        Self {
            operations,
            cells: operations
                .iter()
                .map(|_| OperationCell::default())
                .collect(),
        }
    }

    /// Records one call of `operations[operation]` that took `elapsed`.
    pub fn record(&self, operation: usize, ok: bool, elapsed: Duration) {
        let Some(cell) = self.cells.get(operation) else {
            return;
        };
        if ok { &cell.ok } else { &cell.error }.fetch_add(1, Ordering::Relaxed);
        cell.latency.observe(elapsed);
    }
}

/// Messages one component published, per channel.
#[derive(Debug, Default)]
pub struct ChannelCounts(Mutex<BTreeMap<String, u64>>);

impl ChannelCounts {
    /// Counts one message published on `channel`.
    pub fn record(&self, channel: &str) {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(channel) {
            *count += 1;
            return;
        }
        let key = if counts.len() < MAX_CHANNELS {
            channel
        } else {
            "other"
        };
        *counts.entry(key.to_owned()).or_default() += 1;
    }
}

/// Every host-call series resolved so far: label values, then the stats.
#[derive(Debug, Default)]
struct HostCalls {
    operations: Vec<(HostInterface, Labels, Arc<OperationStats>)>,
    published: Vec<(String, Arc<ChannelCounts>)>,
}

/// Label values of one series, in the order of the metric's label names.
type Labels = Vec<String>;

#[derive(Debug, Default)]
struct Series {
    http_requests: BTreeMap<Labels, u64>,
    http_duration: BTreeMap<Labels, Histogram<{ BUCKETS.len() }>>,
    instantiation: BTreeMap<Labels, Histogram<{ BUCKETS.len() }>>,
    failures: BTreeMap<Labels, u64>,
    events: BTreeMap<Labels, u64>,
    redeliveries: BTreeMap<Labels, u64>,
    seen_events: SeenEvents,
    event_duration: BTreeMap<Labels, Histogram<{ BUCKETS.len() }>>,
}

/// The application's metrics; shared by the executor and the metrics listener. When
/// disabled (no `--metrics-listen`) recording costs one branch.
#[derive(Debug, Default)]
pub struct Metrics {
    enabled: bool,
    series: Mutex<Series>,
    host_calls: Mutex<HostCalls>,
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

impl Metrics {
    /// Metrics that record (`enabled`) or ignore everything.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
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
        if !self.enabled {
            return None;
        }
        let labels: Labels = labels.iter().map(|l| (*l).to_owned()).collect();
        let mut calls = self.host_calls.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, stats)) = calls
            .operations
            .iter()
            .find(|(i, l, _)| *i == interface && *l == labels)
        {
            return Some(stats.clone());
        }
        let stats = Arc::new(OperationStats::new(operations));
        calls.operations.push((interface, labels, stats.clone()));
        Some(stats)
    }

    /// The per-channel count of messages `component` publishes; `None` when metrics are off.
    pub fn published_messages(&self, component: &str) -> Option<Arc<ChannelCounts>> {
        if !self.enabled {
            return None;
        }
        let mut calls = self.host_calls.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, counts)) = calls.published.iter().find(|(c, _)| c == component) {
            return Some(counts.clone());
        }
        let counts = Arc::<ChannelCounts>::default();
        calls.published.push((component.to_owned(), counts.clone()));
        Some(counts)
    }

    fn with(&self, f: impl FnOnce(&mut Series)) {
        if !self.enabled {
            return;
        }
        let mut series = self
            .series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut series);
    }

    /// Records an HTTP request that `component` answered on `route` (a manifest route, or
    /// `chained` for service chaining) with `status` after `elapsed`.
    pub fn record_request(&self, component: &str, route: &str, status: u16, elapsed: Duration) {
        let key = vec![component.to_owned(), route.to_owned()];
        self.with(|series| {
            let mut with_class = key.clone();
            with_class.push(status_class(status));
            *series.http_requests.entry(with_class).or_default() += 1;
            series
                .http_duration
                .entry(key)
                .or_default()
                .observe(elapsed.as_secs_f64());
        });
    }

    /// Records how long creating a store and instantiating `component` took.
    pub fn record_instantiation(&self, component: &str, elapsed: Duration) {
        self.with(|series| {
            series
                .instantiation
                .entry(vec![component.to_owned()])
                .or_default()
                .observe(elapsed.as_secs_f64());
        });
    }

    /// Records a failed guest invocation of `component`; `kind` is `trap`, `timeout`, …
    pub fn record_failure(&self, component: &str, kind: &str) {
        self.with(|series| {
            *series
                .failures
                .entry(vec![component.to_owned(), kind.to_owned()])
                .or_default() += 1;
        });
    }

    /// Records one Redis message delivered to a component (see [`Delivery`]).
    pub fn record_event(&self, delivery: &Delivery<'_>) {
        let outcome = if delivery.handled {
            "handled"
        } else {
            "failed"
        };
        let key = vec![delivery.component.to_owned(), delivery.channel.to_owned()];
        self.with(|series| {
            let mut with_outcome = key.clone();
            with_outcome.push(outcome.to_owned());
            *series.events.entry(with_outcome).or_default() += 1;
            if let Some(id) = delivery.event_id {
                if series.seen_events.redelivered(delivery.component, id) {
                    *series.redeliveries.entry(key).or_default() += 1;
                }
            }
            series
                .event_duration
                .entry(vec![delivery.component.to_owned()])
                .or_default()
                .observe(delivery.elapsed.as_secs_f64());
        });
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

    /// Everything, in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let in_flight = self.in_flight.load(Ordering::Relaxed);
        let queued = self.queued.load(Ordering::Relaxed);
        self.with(|series| {
            counter(
                &mut out,
                "wasmart_http_requests_total",
                "HTTP requests answered, by component, route and status class.",
                &["component", "route", "class"],
                &series.http_requests,
            );
            histogram(
                &mut out,
                "wasmart_http_request_duration_seconds",
                "Time from a request's arrival to its response headers.",
                &["component", "route"],
                &BUCKETS,
                &series.http_duration,
            );
            histogram(
                &mut out,
                "wasmart_instantiation_duration_seconds",
                "Time to create a store and instantiate a component for one invocation.",
                &["component"],
                &BUCKETS,
                &series.instantiation,
            );
            counter(
                &mut out,
                "wasmart_guest_failures_total",
                "Invocations that trapped, timed out or gave no answer.",
                &["component", "kind"],
                &series.failures,
            );
            counter(
                &mut out,
                "wasmart_event_deliveries_total",
                "Redis messages delivered to a component, by channel and outcome.",
                &["component", "channel", "outcome"],
                &series.events,
            );
            counter(
                &mut out,
                "wasmart_event_redeliveries_total",
                "Deliveries of an event id the component had been delivered before.",
                &["component", "channel"],
                &series.redeliveries,
            );
            histogram(
                &mut out,
                "wasmart_event_handling_duration_seconds",
                "Time a component took to handle one Redis message.",
                &["component"],
                &BUCKETS,
                &series.event_duration,
            );
        });
        if self.enabled {
            self.render_host_calls(&mut out);
            if let Some(trace) = &self.trace {
                render_trace_counters(&mut out, trace);
            }
        }
        gauge(
            &mut out,
            "wasmart_instances_in_flight",
            "Top-level invocations running now.",
            in_flight,
        );
        gauge(
            &mut out,
            "wasmart_instances_queued",
            "Top-level invocations waiting for an instance (--max-instances).",
            queued,
        );
        out
    }

    fn render_host_calls(&self, out: &mut String) {
        let calls = self.host_calls.lock().unwrap_or_else(|p| p.into_inner());
        for interface in [
            HostInterface::KeyValue,
            HostInterface::Sqlite,
            HostInterface::Redis,
        ] {
            let mut counts = BTreeMap::new();
            let mut latency = BTreeMap::new();
            for (_, labels, stats) in calls.operations.iter().filter(|(i, ..)| *i == interface) {
                for (operation, cell) in stats.operations.iter().zip(stats.cells.iter()) {
                    let mut key = labels.clone();
                    key.push((*operation).to_owned());
                    for (outcome, count) in [("ok", &cell.ok), ("error", &cell.error)] {
                        let count = count.load(Ordering::Relaxed);
                        if count > 0 {
                            let mut key = key.clone();
                            key.push(outcome.to_owned());
                            counts.insert(key, count);
                        }
                    }
                    let histogram = cell.latency.snapshot();
                    if histogram.count > 0 {
                        latency.insert(key, histogram);
                    }
                }
            }
            let prefix = interface.prefix();
            let what = interface.what();
            let mut names = interface.labels().to_vec();
            names.extend(["operation", "outcome"]);
            counter(
                out,
                &format!("{prefix}_operations_total"),
                &format!("{what} components made, by operation and outcome (ok or error)."),
                &names,
                &counts,
            );
            names.pop();
            histogram(
                out,
                &format!("{prefix}_operation_duration_seconds"),
                &format!("{what}: time the host took to answer one, by operation."),
                &names,
                &HOST_CALL_BUCKETS,
                &latency,
            );
        }
        let mut published = BTreeMap::new();
        for (component, counts) in &calls.published {
            let counts = counts.0.lock().unwrap_or_else(|p| p.into_inner());
            for (channel, count) in counts.iter() {
                published.insert(vec![component.clone(), channel.clone()], *count);
            }
        }
        counter(
            out,
            "wasmart_redis_messages_published_total",
            "Messages components published on outbound Redis, by channel.",
            &["component", "channel"],
            &published,
        );
    }
}

fn render_trace_counters(out: &mut String, trace: &TraceCounters) {
    header(
        out,
        "wasmart_trace_spans_exported_total",
        "Spans the OTLP collector accepted.",
        "counter",
    );
    let _ = writeln!(
        out,
        "wasmart_trace_spans_exported_total {}",
        trace.exported.load(Ordering::Relaxed)
    );
    let dropped = BTreeMap::from([
        (
            vec!["queue_full".to_owned()],
            trace.dropped.load(Ordering::Relaxed),
        ),
        (
            vec!["export_failed".to_owned()],
            trace.failed.load(Ordering::Relaxed),
        ),
    ]);
    counter(
        out,
        "wasmart_trace_spans_dropped_total",
        "Spans lost: the export queue was full, or the export request failed.",
        &["reason"],
        &dropped,
    );
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn label_set(names: &[&str], values: &[String], extra: Option<(&str, &str)>) -> String {
    let mut pairs: Vec<String> = names
        .iter()
        .zip(values)
        .map(|(name, value)| format!("{name}=\"{}\"", escape(value)))
        .collect();
    if let Some((name, value)) = extra {
        pairs.push(format!("{name}=\"{value}\""));
    }
    format!("{{{}}}", pairs.join(","))
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn counter(
    out: &mut String,
    name: &str,
    help: &str,
    labels: &[&str],
    series: &BTreeMap<Labels, u64>,
) {
    header(out, name, help, "counter");
    for (values, count) in series {
        let _ = writeln!(out, "{name}{} {count}", label_set(labels, values, None));
    }
}

fn histogram<const N: usize>(
    out: &mut String,
    name: &str,
    help: &str,
    labels: &[&str],
    bounds: &[f64; N],
    series: &BTreeMap<Labels, Histogram<N>>,
) {
    header(out, name, help, "histogram");
    for (values, histogram) in series {
        let mut cumulative = 0;
        for (bound, count) in bounds.iter().zip(histogram.counts) {
            cumulative += count;
            let set = label_set(labels, values, Some(("le", &bound.to_string())));
            let _ = writeln!(out, "{name}_bucket{set} {cumulative}");
        }
        let set = label_set(labels, values, Some(("le", "+Inf")));
        let _ = writeln!(out, "{name}_bucket{set} {}", histogram.count);
        let set = label_set(labels, values, None);
        let _ = writeln!(out, "{name}_sum{set} {}", histogram.sum);
        let _ = writeln!(out, "{name}_count{set} {}", histogram.count);
    }
}

fn gauge(out: &mut String, name: &str, help: &str, value: i64) {
    header(out, name, help, "gauge");
    let _ = writeln!(out, "{name} {value}");
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
        let counts = ChannelCounts::default();
        for channel in 0..MAX_CHANNELS + 5 {
            counts.record(&format!("c{channel}"));
        }
        let counts = counts.0.lock().unwrap();
        assert_eq!(counts.len(), MAX_CHANNELS + 1);
        assert_eq!(counts["other"], 5);
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
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
