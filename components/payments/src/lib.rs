//! payments: charges an order once it has both the payment intent (`OrderCreated`) and the
//! stock reservation (`StockReserved`), in either order, exactly once per order, through a
//! card processor; voids intents that must not be charged, refunds charges of cancelled
//! orders, and announces each outcome on `wasmart.payments`.
//!
//! Entry points: the private HTTP routes (`handlers`) and the Redis trigger (events of
//! `wasmart.orders` and `wasmart.catalog`, and the service's tick). Every entry point also
//! runs the due charging work (`charging`), which calls the processor outside any
//! transaction.

mod charging;
mod domain;
mod error;
mod events;
mod fake_processor;
mod handlers;
mod processor;
mod repository;

use service_kit::router::Router;
use service_kit::scope::Scope;
use service_kit::service::{sqlite, Events, Service};
use spin_sdk::http::{Method, Request, Response};

use crate::fake_processor::FakeCardProcessor;

/// The service's name: producer of its events, consumer name, tick key.
pub(crate) const SERVICE: &str = "payments";

static PAYMENTS: Service = Service {
    name: SERVICE,
    database: Some(repository::DATABASE),
    events: Events::consume(events::handle),
    background: Some(run_due),
    routes,
};

fn routes(router: Router) -> Router {
    router
        .route(Method::Get, "/payments", handlers::list)
        .route(Method::Get, "/payments/:id", handlers::get)
}

/// Charges, refunds and relays what is due.
fn run_due(scope: &Scope) -> anyhow::Result<()> {
    let processor = FakeCardProcessor::open()
        .map_err(|error| anyhow::anyhow!("opening {}: {error:?}", fake_processor::STORE))?;
    let db = scope.db().map_err(sqlite)?;
    charging::run_due(db, scope.messaging()?, &processor).map_err(sqlite)
}

#[spin_sdk::http_component]
fn handle_request(request: Request) -> Response {
    PAYMENTS.handle_http(request)
}

#[spin_sdk::redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    PAYMENTS.handle_message(&message)
}
