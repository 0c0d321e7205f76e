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
//! publishes `StockReserved`, `StockRejected`, `StockReleased` on `wasmart.catalog`. Every
//! request also relays the outbox, so a stuck event goes out with the next request.

mod domain;
mod error;
mod handlers;
mod images;
mod repository;
mod seed;
mod stock;

use service_kit::router::Router;
use service_kit::scope::Scope;
use service_kit::service::{Events, Service};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::{http_component, redis_component};

static SERVICE: Service = Service {
    name: stock::SERVICE,
    database: Some(repository::DATABASE),
    events: Events::consume(stock::handle),
    background: Some(relay),
    routes,
};

fn routes(router: Router) -> Router {
    router
        .route(Method::Get, "/categories", handlers::categories)
        .route(Method::Get, "/products", handlers::list)
        .route(Method::Post, "/products", handlers::create)
        .route(Method::Post, "/products/lookup", handlers::lookup)
        .route(Method::Get, "/products/:id", handlers::show)
        .route(Method::Put, "/products/:id", handlers::replace)
        .route(Method::Delete, "/products/:id", handlers::delete)
        .route(Method::Get, "/images/:file", handlers::image)
}

/// Drains the outbox on traffic too, so a stuck event goes out with the next request.
fn relay(scope: &Scope) -> anyhow::Result<()> {
    scope.relay()?;
    Ok(())
}

#[http_component]
fn handle_http(request: Request) -> Response {
    SERVICE.handle_http(request)
}

#[redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    SERVICE.handle_message(&message)
}
