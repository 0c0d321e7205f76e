//! `orders`: checkout, the order's status machine, and the owner of the checkout saga.
//!
//! HTTP (private; the caller comes from the gateway's identity headers):
//! `POST /orders` (`Idempotency-Key`), `GET /orders`, `GET /orders/:id`,
//! `POST /orders/:id/cancel`; admin: `POST /orders/:id/fulfil`, `GET /admin/dead-letters`,
//! `POST /admin/dead-letters/:id/replay`.
//!
//! Events: publishes `OrderCreated` and `OrderCancelled` on `wasmart.orders`; consumes
//! `StockRejected`, `PaymentSucceeded` and `PaymentFailed`.

mod checkout;
mod domain;
mod error;
mod handlers;
mod repository;
mod saga;

use service_kit::db::Db;
use service_kit::http::Router;
use service_kit::messaging::{self, Messaging};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::{http_component, redis_component};

/// The producer and consumer name of this service.
pub const SERVICE: &str = "orders";

/// How often the watchdog looks while an order waits for payment.
const WATCH_EVERY_MS: i64 = 2_000;

#[http_component]
fn handle_http(request: Request) -> Response {
    let response = Router::new()
        .route(Method::Post, "/orders", handlers::checkout)
        .route(Method::Get, "/orders", handlers::list)
        .route(Method::Get, "/orders/:id", handlers::show)
        .route(Method::Post, "/orders/:id/cancel", handlers::cancel)
        .route(Method::Post, "/orders/:id/fulfil", handlers::fulfil)
        .route(
            Method::Get,
            "/admin/dead-letters",
            handlers::list_dead_letters,
        )
        .route(
            Method::Post,
            "/admin/dead-letters/:id/replay",
            handlers::replay,
        )
        .handle(request);
    if let Ok(db) = repository::open() {
        after_change(&db);
    }
    response
}

/// Relays the outbox and runs the watchdog, and keeps the tick alive while an order waits
/// for payment. Runs after every request and message: traffic alone keeps the saga moving.
pub fn after_change(db: &Db) {
    let Ok(messaging) = Messaging::from_variables(SERVICE) else {
        return;
    };
    match saga::watch(db) {
        Ok(true) => messaging.schedule_tick(WATCH_EVERY_MS),
        Ok(false) => {}
        Err(error) => eprintln!("watchdog: {error:?}"),
    }
    if let Err(error) = messaging.relay(db) {
        eprintln!("relay: {error:?}");
    }
}

#[redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    let (_, db) = messaging::receive(SERVICE, &message, repository::open, saga::handle)
        .map_err(anyhow::Error::msg)?;
    after_change(&db);
    Ok(())
}
