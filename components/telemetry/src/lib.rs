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

use service_kit::http::Router;
use service_kit::inbox::Delivery;
use service_kit::messaging;
use service_kit::Problem;
use spin_sdk::http::{Method, Request, Response};

/// The service's name: its consumer name.
pub(crate) const SERVICE: &str = "telemetry";

#[spin_sdk::http_component]
fn handle_request(request: Request) -> Response {
    router().handle(request)
}

fn router() -> Router {
    messaging::consumer_routes(
        Router::new(),
        SERVICE,
        repository::open,
        events::handle,
        on_event,
    )
    .route(Method::Get, "/overview", |r, c, p| {
        handlers::overview(r, c, p).map_err(Problem::from)
    })
}

#[spin_sdk::redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    on_event(&message).map_err(anyhow::Error::msg)?;
    Ok(())
}

/// One message, from the Redis trigger or pushed to `/events`.
fn on_event(message: &[u8]) -> Result<Option<Delivery>, String> {
    messaging::receive(SERVICE, message, repository::open, events::handle)
        .map(|received| received.delivery)
}
