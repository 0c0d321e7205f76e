//! `orders`: checkout, the order's status machine, and the watchdog of the checkout saga.
//!
//! HTTP (private; the caller comes from the gateway's identity headers):
//! `POST /orders` (`Idempotency-Key`), `GET /orders`, `GET /orders/:id`,
//! `POST /orders/:id/cancel`; admin: `POST /orders/:id/fulfil`, `GET /admin/dead-letters`,
//! `POST /admin/dead-letters/:id/replay`.
//!
//! Events: publishes `OrderCreated` and `OrderCancelled` on `wasmart.orders`; consumes
//! `StockRejected`, `PaymentSucceeded` and `PaymentFailed` (Redis trigger on
//! `wasmart.catalog`, `wasmart.payments` and the tick channel).

mod checkout;
mod domain;
mod error;
mod events;
mod handlers;
mod lifecycle;
mod repository;
mod watchdog;

use service_kit::http::Router;
use service_kit::inbox::Delivery;
use service_kit::messaging;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::{http_component, redis_component};

/// The producer and consumer name of this service.
pub const SERVICE: &str = "orders";

#[http_component]
fn handle_http(request: Request) -> Response {
    let response = messaging::consumer_routes(
        Router::new(),
        SERVICE,
        repository::open,
        events::handle,
        on_event,
    )
    .route(Method::Post, "/orders", handlers::checkout)
    .route(Method::Get, "/orders", handlers::list)
    .route(Method::Get, "/orders/:id", handlers::show)
    .route(Method::Post, "/orders/:id/cancel", handlers::cancel)
    .route(Method::Post, "/orders/:id/fulfil", handlers::fulfil)
    .handle(request);
    if let Err(error) = after_request() {
        eprintln!("orders: after a request: {error}");
    }
    response
}

/// Every request relays the outbox and re-arms the watchdog's tick: traffic alone keeps the
/// saga moving, even if Redis lost the tick.
fn after_request() -> anyhow::Result<()> {
    let messaging = handlers::messaging()?;
    let db = repository::open().map_err(|error| anyhow::anyhow!("database: {error:?}"))?;
    messaging
        .relay(&db)
        .map_err(|error| anyhow::anyhow!("relay: {error:?}"))?;
    watchdog::keep_watching(&db, &messaging).map_err(|error| anyhow::anyhow!("watchdog: {error:?}"))
}

/// Events from catalog and payments, and this service's tick: the event is handled once
/// (inbox) and the outbox relayed; then the watchdog looks for stuck orders.
#[redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    on_event(&message).map_err(anyhow::Error::msg)?;
    Ok(())
}

/// One message, from the Redis trigger or pushed to `/events`; then the watchdog looks for
/// stuck orders.
fn on_event(message: &[u8]) -> Result<Option<Delivery>, String> {
    let received = messaging::receive(SERVICE, message, repository::open, events::handle)?;
    let (messaging, db) = (&received.messaging, &received.db);
    let watch = || -> Result<(), spin_sdk::sqlite::Error> {
        if watchdog::sweep(db)? > 0 {
            messaging.relay(db)?;
        }
        watchdog::keep_watching(db, messaging)
    };
    watch().map_err(|error| format!("watchdog: {error:?}"))?;
    Ok(received.delivery)
}
