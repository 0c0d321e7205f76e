//! alerts: keeps alert rules in its own SQLite database (seeded with defaults: request
//! error rate, p99 latency, payment failure rate, dead letters, card processor failure
//! bursts, a silent producer), evaluates them on telemetry's overview, raises and resolves
//! alerts, keeps their history, and announces `AlertRaised` and `AlertResolved` on
//! `wasmart.ops` through its outbox.
//!
//! When it evaluates: on its tick, every `alert_evaluation_interval_ms`. Each evaluation
//! sets the next tick, so the loop runs while Redis does; any event of the shop (alerts
//! subscribes to every channel without consuming the events) and any request start it
//! again after Redis lost the tick. A burst of failures is therefore seen within one
//! interval of telemetry counting it. Without Redis (`event_transport = "http"`,
//! spin.cloud.toml) there are no ticks, and every request evaluates instead.

mod domain;
mod error;
mod evaluation;
mod handlers;
mod repository;

use service_kit::router::Router;
use service_kit::scope::{Scope, Trigger};
use service_kit::service::{sqlite, Events, Service};
use spin_sdk::http::{Method, Request, Response};

/// The service's name: producer of its events, tick key.
pub(crate) const SERVICE: &str = "alerts";

/// The evaluation interval when `alert_evaluation_interval_ms` is not a number.
const DEFAULT_INTERVAL_MS: i64 = 2_000;

static ALERTS: Service = Service {
    name: SERVICE,
    database: Some(repository::DATABASE),
    events: Events::produce(),
    background: Some(keep_evaluating),
    routes,
};

fn routes(router: Router) -> Router {
    router
        .route(Method::Get, "/alerts", handlers::alerts)
        .route(Method::Get, "/rules", handlers::rules)
        .route(Method::Put, "/rules/:id", handlers::update_rule)
}

/// On the tick: evaluates and sets the next tick. On any event of the shop (its content is
/// telemetry's business) or request: makes sure the loop runs (a no-op while the next tick
/// is set); without Redis there is no tick, and every request evaluates (spin.cloud.toml).
fn keep_evaluating(scope: &Scope) -> anyhow::Result<()> {
    let messaging = scope.messaging()?;
    if scope.trigger() == Trigger::Tick {
        evaluate(scope)?;
        messaging.schedule_tick(interval_ms());
    } else if messaging.has_ticks() {
        messaging.schedule_tick(interval_ms());
    } else {
        evaluate(scope)?;
    }
    Ok(())
}

#[spin_sdk::http_component]
fn handle_request(request: Request) -> Response {
    ALERTS.handle_http(request)
}

#[spin_sdk::redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    ALERTS.handle_message(&message)
}

/// Evaluates every rule once and relays the alerts it raised or resolved.
fn evaluate(scope: &Scope) -> anyhow::Result<()> {
    let db = scope.db().map_err(sqlite)?;
    match evaluation::run(db) {
        Ok(outcome) if outcome != evaluation::Outcome::default() => {
            eprintln!("alerts: {outcome:?}");
        }
        Ok(_) => {}
        Err(error) => eprintln!("alerts: evaluation skipped: {error}"),
    }
    scope.messaging()?.relay(db).map_err(sqlite)?;
    Ok(())
}

/// `alert_evaluation_interval_ms`.
fn interval_ms() -> i64 {
    spin_sdk::variables::get("alert_evaluation_interval_ms")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(DEFAULT_INTERVAL_MS)
}
