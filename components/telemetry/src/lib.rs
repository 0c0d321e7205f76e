//! telemetry: watches the shop from its events. It consumes every channel (orders,
//! catalog, payments, ops) and keeps per producer, in its own SQLite database, how many
//! events of each type arrived each second, how late (now − `occurred_at`), and when the
//! producer was last heard from. `GET /overview` reads those over a rolling window and adds
//! what it pulls when asked: the gateway's per-service request counts and latency, and the
//! consumers' dead letters. alerts evaluates its rules on that overview; the gateway serves
//! it to admins with live health probes.
//!
//! telemetry is not among the subscribers producers wait for (`event_subscribers`): a
//! monitor never holds back the shop's events. It may therefore miss an event Redis drops;
//! the idempotent inbox counts a redelivered one once.

mod domain;
mod error;
mod events;
mod handlers;
mod repository;
mod sources;

use service_kit::router::Router;
use service_kit::service::{Events, Service};
use spin_sdk::http::{Method, Request, Response};

/// The service's name: its consumer name.
pub(crate) const SERVICE: &str = "telemetry";

static TELEMETRY: Service = Service {
    name: SERVICE,
    database: Some(repository::DATABASE),
    events: Events::consume(events::handle),
    background: None,
    routes,
};

fn routes(router: Router) -> Router {
    router.route(Method::Get, "/overview", handlers::overview)
}

#[spin_sdk::http_component]
fn handle_request(request: Request) -> Response {
    TELEMETRY.handle_http(request)
}

#[spin_sdk::redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    TELEMETRY.handle_message(&message)
}
