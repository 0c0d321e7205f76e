//! Prometheus metrics of the running application, kept in memory and rendered in the text
//! exposition format for `--metrics-listen`. Every component is measured by the host, with
//! no code in the component: requests by route and status class with latency, instance
//! start-up time, guest failures, event deliveries, and how many instances run or wait.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histograms' buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram with the fixed [`BUCKETS`].
#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Observations at or under each bucket's bound (not cumulative; summed on render).
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(index) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.counts[index] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// Label values of one series, in the order of the metric's label names.
type Labels = Vec<String>;

#[derive(Debug, Default)]
struct Series {
    http_requests: BTreeMap<Labels, u64>,
    http_duration: BTreeMap<Labels, Histogram>,
    instantiation: BTreeMap<Labels, Histogram>,
    failures: BTreeMap<Labels, u64>,
    events: BTreeMap<Labels, u64>,
    event_duration: BTreeMap<Labels, Histogram>,
}

/// The application's metrics; shared by the executor and the metrics listener. When
/// disabled (no `--metrics-listen`) recording costs one branch.
#[derive(Debug, Default)]
pub struct Metrics {
    enabled: bool,
    series: Mutex<Series>,
    in_flight: AtomicI64,
    queued: AtomicI64,
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

    /// Records one Redis message delivered to `component`.
    pub fn record_event(&self, component: &str, handled: bool, elapsed: Duration) {
        let outcome = if handled { "handled" } else { "failed" };
        self.with(|series| {
            *series
                .events
                .entry(vec![component.to_owned(), outcome.to_owned()])
                .or_default() += 1;
            series
                .event_duration
                .entry(vec![component.to_owned()])
                .or_default()
                .observe(elapsed.as_secs_f64());
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
                &series.http_duration,
            );
            histogram(
                &mut out,
                "wasmart_instantiation_duration_seconds",
                "Time to create a store and instantiate a component for one invocation.",
                &["component"],
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
                "Redis messages delivered to a component, by outcome.",
                &["component", "outcome"],
                &series.events,
            );
            histogram(
                &mut out,
                "wasmart_event_handling_duration_seconds",
                "Time a component took to handle one Redis message.",
                &["component"],
                &series.event_duration,
            );
        });
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

fn histogram(
    out: &mut String,
    name: &str,
    help: &str,
    labels: &[&str],
    series: &BTreeMap<Labels, Histogram>,
) {
    header(out, name, help, "histogram");
    for (values, histogram) in series {
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
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
    fn disabled_metrics_record_nothing() {
        let metrics = Metrics::new(false);
        metrics.record_request("shop", "/...", 200, Duration::from_millis(3));
        assert!(!metrics.render().contains("component=\"shop\""));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
