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

use service_kit::db::Db;
use service_kit::http::Router;
use service_kit::inbox::Delivery;
use service_kit::messaging::{self, Messaging};
use service_kit::Problem;
use spin_sdk::http::{Method, Request, Response};

use crate::fake_processor::FakeCardProcessor;

/// The service's name: producer of its events, consumer name, tick key.
pub(crate) const SERVICE: &str = "payments";

#[spin_sdk::http_component]
fn handle_request(request: Request) -> Response {
    let changes_state = request.method() != &Method::Get;
    run_due_logged();
    let response = router().handle(request);
    if changes_state {
        run_due_logged();
    }
    response
}

fn router() -> Router {
    messaging::consumer_routes(
        Router::new(),
        SERVICE,
        repository::open,
        events::handle,
        on_event,
    )
    .route(Method::Get, "/payments", |r, c, p| {
        handlers::list(r, c, p).map_err(Problem::from)
    })
    .route(Method::Get, "/payments/:id", |r, c, p| {
        handlers::get(r, c, p).map_err(Problem::from)
    })
}

#[spin_sdk::redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    on_event(&message).map_err(anyhow::Error::msg)?;
    Ok(())
}

/// One message, from the Redis trigger or pushed to `/events`. The tick needs no work of
/// its own: the due work runs after every message.
fn on_event(message: &[u8]) -> Result<Option<Delivery>, String> {
    let received = messaging::receive(SERVICE, message, repository::open, events::handle)?;
    run_due(&received.db, &received.messaging).map_err(|error| format!("{error:#}"))?;
    Ok(received.delivery)
}

/// Charges, refunds and relays what is due.
fn run_due(db: &Db, messaging: &Messaging) -> anyhow::Result<()> {
    let processor = FakeCardProcessor::open()
        .map_err(|error| anyhow::anyhow!("opening {}: {error:?}", fake_processor::STORE))?;
    charging::run_due(db, messaging, &processor).map_err(sqlite)
}

/// [`run_due`] for an HTTP request, whose answer does not depend on it: failures are logged.
fn run_due_logged() {
    let outcome = Messaging::from_variables(SERVICE)
        .map_err(anyhow::Error::msg)
        .and_then(|messaging| {
            let db = repository::open().map_err(sqlite)?;
            run_due(&db, &messaging)
        });
    if let Err(error) = outcome {
        eprintln!("payments: due work failed: {error:#}");
    }
}

fn sqlite(error: spin_sdk::sqlite::Error) -> anyhow::Error {
    anyhow::anyhow!("sqlite: {error:?}")
}
