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

use service_kit::router::Router;
use service_kit::scope::{Scope, Trigger};
use service_kit::service::{sqlite, Events, Service};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::{http_component, redis_component};

/// The producer and consumer name of this service.
pub const SERVICE: &str = "orders";

static ORDERS: Service = Service {
    name: SERVICE,
    database: Some(repository::DATABASE),
    events: Events::consume(events::handle),
    background: Some(watch),
    routes,
};

fn routes(router: Router) -> Router {
    router
        .route(Method::Post, "/orders", handlers::checkout)
        .route(Method::Get, "/orders", handlers::list)
        .route(Method::Get, "/orders/:id", handlers::show)
        .route(Method::Post, "/orders/:id/cancel", handlers::cancel)
        .route(Method::Post, "/orders/:id/fulfil", handlers::fulfil)
}

/// Keeps the saga moving: after a message the watchdog nudges stuck orders; every request
/// relays the outbox; and both re-arm the watchdog's tick, so traffic alone keeps it going
/// even if Redis lost the tick.
fn watch(scope: &Scope) -> anyhow::Result<()> {
    let (db, messaging) = (scope.db().map_err(sqlite)?, scope.messaging()?);
    let relay = match scope.trigger() {
        Trigger::Request => true,
        Trigger::Event | Trigger::Tick => watchdog::sweep(db).map_err(sqlite)? > 0,
    };
    if relay {
        messaging.relay(db).map_err(sqlite)?;
    }
    watchdog::keep_watching(db, messaging).map_err(sqlite)
}

#[http_component]
fn handle_http(request: Request) -> Response {
    ORDERS.handle_http(request)
}

/// Events from catalog and payments, and this service's tick.
#[redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    ORDERS.handle_message(&message)
}
