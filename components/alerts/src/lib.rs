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

use service_kit::http::Router;
use service_kit::messaging::{self, Messaging};
use service_kit::{tick, Problem};
use spin_sdk::http::{Method, Request, Response};

/// The service's name: producer of its events, tick key.
pub(crate) const SERVICE: &str = "alerts";

/// The evaluation interval when `alert_evaluation_interval_ms` is not a number.
const DEFAULT_INTERVAL_MS: i64 = 2_000;

#[spin_sdk::http_component]
fn handle_request(request: Request) -> Response {
    if let Ok(messaging) = Messaging::from_variables(SERVICE) {
        if messaging.has_ticks() {
            messaging.schedule_tick(interval_ms());
        } else if let Err(error) = evaluate(&messaging) {
            // Without Redis there is no tick: every request evaluates (spin.cloud.toml).
            eprintln!("alerts: {error:#}");
        }
    }
    router().handle(request)
}

fn router() -> Router {
    messaging::dead_letter_routes(Router::new(), SERVICE, repository::open, |_, _| Ok(()))
        .route(Method::Get, "/alerts", |r, c, p| {
            handlers::alerts(r, c, p).map_err(Problem::from)
        })
        .route(Method::Get, "/rules", |r, c, p| {
            handlers::rules(r, c, p).map_err(Problem::from)
        })
        .route(Method::Put, "/rules/:id", handlers::update_rule)
}

#[spin_sdk::redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    let messaging = Messaging::from_variables(SERVICE).map_err(anyhow::Error::msg)?;
    if tick::is_tick(&message, SERVICE) {
        evaluate(&messaging)?;
        messaging.schedule_tick(interval_ms());
    } else if !tick::is_expiry(&message) {
        // An event of the shop: its content is telemetry's business; it only makes sure
        // the evaluation loop runs (a no-op while the next tick is set).
        messaging.schedule_tick(interval_ms());
    }
    Ok(())
}

/// Evaluates every rule once and relays the alerts it raised or resolved.
fn evaluate(messaging: &Messaging) -> anyhow::Result<()> {
    let db = repository::open().map_err(|error| anyhow::anyhow!("sqlite: {error:?}"))?;
    match evaluation::run(&db) {
        Ok(outcome) if outcome != evaluation::Outcome::default() => {
            eprintln!("alerts: {outcome:?}");
        }
        Ok(_) => {}
        Err(error) => eprintln!("alerts: evaluation skipped: {error}"),
    }
    messaging
        .relay(&db)
        .map_err(|error| anyhow::anyhow!("sqlite: {error:?}"))?;
    Ok(())
}

/// `alert_evaluation_interval_ms`.
fn interval_ms() -> i64 {
    spin_sdk::variables::get("alert_evaluation_interval_ms")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(DEFAULT_INTERVAL_MS)
}
