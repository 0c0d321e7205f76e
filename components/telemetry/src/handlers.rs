//! telemetry's HTTP routes, for admins (through the gateway) and for alerts: the overview,
//! and the dead letters telemetry itself gave up on.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use service_kit::clock::{now_ms, now_rfc3339, rfc3339};
use service_kit::context::{Caller, RequestContext};
use service_kit::http::json;
use service_kit::router::Params;
use service_kit::scope::Scope;
use service_kit::traffic::Traffic;
use spin_sdk::http::{Request, Response};

use crate::domain::{
    per_minute, series, Counted, PaymentOutcomes, ProducerStats, Window, SERIES_POINTS,
};
use crate::error::TelemetryError;
use crate::{repository, sources};

/// One producer's events within the window.
#[derive(Debug, Serialize)]
struct EventsView {
    count: i64,
    per_minute: f64,
    failures: i64,
    failure_rate: Option<f64>,
    lag_ms_avg: Option<f64>,
    lag_ms_max: Option<i64>,
    last_event_at: Option<String>,
    silent_seconds: Option<i64>,
    /// Events per equal slice of the window, oldest first.
    series: Vec<i64>,
}

/// Calls to one service through the gateway within the window.
#[derive(Debug, Serialize)]
struct RequestsView {
    count: u64,
    per_minute: f64,
    errors: u64,
    error_rate: Option<f64>,
    p50_ms: Option<u64>,
    p99_ms: Option<u64>,
}

/// Everything telemetry knows of one service.
#[derive(Debug, Serialize)]
struct ServiceView {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<EventsView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requests: Option<RequestsView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dead_letters: Option<i64>,
}

/// Payments' outcomes within the window.
#[derive(Debug, Serialize)]
struct PaymentsView {
    succeeded: i64,
    failed: i64,
    failure_rate: Option<f64>,
    processor_failure_bursts: i64,
}

/// What the overview is built from.
struct Inputs {
    window: Window,
    now_ms: i64,
    counted: Vec<Counted>,
    slots: Vec<(String, i64, i64)>,
    last_heard: Vec<(String, i64)>,
    traffic: BTreeMap<String, Traffic>,
    dead_letters: BTreeMap<String, i64>,
}

fn admin(context: &RequestContext) -> Result<&Caller, TelemetryError> {
    match context.caller.as_ref() {
        None => Err(TelemetryError::Unauthenticated),
        Some(caller) if caller.is_admin() => Ok(caller),
        Some(_) => Err(TelemetryError::AdminOnly),
    }
}

fn variable(name: &str) -> Result<String, TelemetryError> {
    spin_sdk::variables::get(name)
        .map_err(|error| TelemetryError::Configuration(format!("{name}: {error}")))
}

/// `GET /overview`: per service, its events (rate, failures, lag, last heard, series), its
/// calls through the gateway (rate, errors, p50/p99 latency) and its dead letters, over
/// the window `telemetry_window_seconds`; sources that could not be read are named in
/// `unavailable`.
pub fn overview(_: &Request, context: &Scope, _: &Params) -> Result<Response, TelemetryError> {
    admin(context)?;
    let text = variable("telemetry_window_seconds")?;
    let window = Window::parse(&text).ok_or_else(|| {
        TelemetryError::Configuration(format!("telemetry_window_seconds is not 1 to 3600: {text}"))
    })?;
    let redis_address = variable("redis_address")?;
    let now = now_ms();
    let now_s = now / 1000;
    let slot = window.slot_seconds();
    let db = context.db()?;
    let mut unavailable = Vec::new();
    let traffic = sources::traffic(context, window).unwrap_or_else(|error| {
        eprintln!("telemetry: reading the gateway's traffic: {error}");
        unavailable.push("gateway");
        BTreeMap::new()
    });
    let dead_letters = sources::dead_letters(&redis_address).unwrap_or_else(|error| {
        eprintln!("telemetry: reading dead letters: {error}");
        unavailable.push("redis");
        BTreeMap::new()
    });
    let inputs = Inputs {
        window,
        now_ms: now,
        counted: repository::counted_since(db, now_s - i64::from(window.seconds()) + 1)?,
        slots: repository::slots_since(db, (now_s / slot - SERIES_POINTS as i64 + 1) * slot, slot)?,
        last_heard: repository::last_heard(db)?,
        traffic,
        dead_letters,
    };
    let (services, payments) = build(&inputs);
    Ok(json(
        200,
        &serde_json::json!({
            "window_seconds": window.seconds(),
            "generated_at": now_rfc3339(),
            "services": services,
            "payments": payments,
            "unavailable": unavailable,
        }),
    ))
}

/// Every service any source knows, by name, and payments' outcomes.
fn build(inputs: &Inputs) -> (Vec<ServiceView>, PaymentsView) {
    let mut producers: BTreeMap<&str, ProducerStats> = BTreeMap::new();
    let mut outcomes = PaymentOutcomes::default();
    for counted in &inputs.counted {
        producers
            .entry(counted.producer.as_str())
            .or_default()
            .add(counted);
        outcomes.add(counted);
    }
    let last_heard: BTreeMap<&str, i64> = inputs
        .last_heard
        .iter()
        .map(|(producer, at)| (producer.as_str(), *at))
        .collect();
    let names: BTreeSet<&str> = producers
        .keys()
        .copied()
        .chain(last_heard.keys().copied())
        .chain(inputs.traffic.keys().map(String::as_str))
        .chain(inputs.dead_letters.keys().map(String::as_str))
        .collect();
    let services = names
        .into_iter()
        .map(|name| {
            let events = last_heard.get(name).map(|&last| {
                let stats = producers.get(name).cloned().unwrap_or_default();
                let slots: Vec<(i64, i64)> = inputs
                    .slots
                    .iter()
                    .filter(|(producer, _, _)| producer == name)
                    .map(|(_, slot, events)| (*slot, *events))
                    .collect();
                EventsView {
                    count: stats.events,
                    per_minute: per_minute(stats.events, inputs.window),
                    failures: stats.failures,
                    failure_rate: stats.failure_rate(),
                    lag_ms_avg: stats.lag_ms_avg(),
                    lag_ms_max: (stats.events > 0).then_some(stats.lag_ms_max),
                    last_event_at: Some(rfc3339(last)),
                    silent_seconds: Some((inputs.now_ms - last).max(0) / 1000),
                    series: series(&slots, inputs.window, inputs.now_ms / 1000),
                }
            });
            let requests = inputs.traffic.get(name).map(|traffic| RequestsView {
                count: traffic.requests,
                per_minute: per_minute(traffic.requests as i64, inputs.window),
                errors: traffic.errors,
                error_rate: traffic.error_rate(),
                p50_ms: traffic.quantile_ms(0.5),
                p99_ms: traffic.quantile_ms(0.99),
            });
            ServiceView {
                name: name.to_owned(),
                events,
                requests,
                dead_letters: inputs.dead_letters.get(name).copied(),
            }
        })
        .collect();
    let payments = PaymentsView {
        succeeded: outcomes.succeeded,
        failed: outcomes.failed,
        failure_rate: outcomes.failure_rate(),
        processor_failure_bursts: outcomes.processor_failure_bursts,
    };
    (services, payments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_names_a_service() {
        let mut traffic = Traffic::default();
        traffic.record(30, false);
        traffic.record(30, true);
        let counted = |event_type: &str, events| Counted {
            producer: "payments".into(),
            event_type: event_type.into(),
            events,
            lag_ms_total: 40 * events,
            lag_ms_max: 40,
        };
        let inputs = Inputs {
            window: Window::parse("60").unwrap(),
            now_ms: 100_000,
            counted: vec![counted("PaymentFailed", 3), counted("PaymentSucceeded", 1)],
            slots: vec![("payments".into(), 99 / 5, 4)],
            last_heard: vec![("payments".into(), 97_500), ("orders".into(), 10_000)],
            traffic: [("cart".to_owned(), traffic)].into(),
            dead_letters: [("notifications".to_owned(), 2)].into(),
        };
        let (services, payments) = build(&inputs);
        let names: Vec<_> = services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["cart", "notifications", "orders", "payments"]);
        let events = services[3].events.as_ref().unwrap();
        assert_eq!((events.count, events.failures), (4, 3));
        assert_eq!(events.per_minute, 4.0);
        assert_eq!(events.silent_seconds, Some(2));
        assert_eq!(events.series.iter().sum::<i64>(), 4);
        let orders = services[2].events.as_ref().unwrap();
        assert_eq!((orders.count, orders.silent_seconds), (0, Some(90)));
        assert_eq!(orders.failure_rate, None);
        let requests = services[0].requests.as_ref().unwrap();
        assert_eq!(requests.error_rate, Some(0.5));
        assert_eq!(requests.p99_ms, Some(50));
        assert_eq!(services[1].dead_letters, Some(2));
        assert_eq!(payments.failure_rate, Some(0.75));
    }
}
