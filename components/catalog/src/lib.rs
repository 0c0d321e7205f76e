//! `catalog`: products, categories, search, and stock reservations driven by order and
//! payment events.
//!
//! HTTP (private; reached by service chaining):
//! - `GET /categories`, `GET /products` (search, filters, sort, pages), `GET /products/:id`,
//!   `POST /products/lookup`, `GET /images/:file`
//! - admin: `POST /products`, `PUT /products/:id`, `DELETE /products/:id`,
//!   `GET /admin/dead-letters`, `POST /admin/dead-letters/:id/replay`
//!
//! Events: consumes `OrderCreated` (reserve), `PaymentFailed` and `OrderCancelled` (release);
//! publishes `StockReserved`, `StockRejected`, `StockReleased` on `wasmart.catalog`.

mod domain;
mod error;
mod handlers;
mod images;
mod repository;
mod seed;
mod stock;

use service_kit::http::Router;
use service_kit::inbox::Delivery;
use service_kit::messaging::{self, Messaging};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::{http_component, redis_component};

fn router() -> Router {
    messaging::consumer_routes(
        Router::new(),
        stock::SERVICE,
        repository::open,
        stock::handle,
        on_event,
    )
    .route(Method::Get, "/categories", handlers::categories)
    .route(Method::Get, "/products", handlers::list)
    .route(Method::Post, "/products", handlers::create)
    .route(Method::Post, "/products/lookup", handlers::lookup)
    .route(Method::Get, "/products/:id", handlers::show)
    .route(Method::Put, "/products/:id", handlers::replace)
    .route(Method::Delete, "/products/:id", handlers::delete)
    .route(Method::Get, "/images/:file", handlers::image)
}

#[http_component]
fn handle_http(request: Request) -> Response {
    let response = router().handle(request);
    relay_in_passing();
    response
}

/// Drains the outbox on traffic too, so a stuck event goes out with the next request.
fn relay_in_passing() {
    if let (Ok(db), Ok(messaging)) = (
        repository::open(),
        Messaging::from_variables(stock::SERVICE),
    ) {
        if let Err(error) = messaging.relay(&db) {
            eprintln!("relay: {error:?}");
        }
    }
}

#[redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    on_event(&message).map_err(anyhow::Error::msg)?;
    Ok(())
}

/// One message, from the Redis trigger or pushed to `/events`.
fn on_event(message: &[u8]) -> Result<Option<Delivery>, String> {
    messaging::receive(stock::SERVICE, message, repository::open, stock::handle)
        .map(|received| received.delivery)
}
