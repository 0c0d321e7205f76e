//! `cart`: one cart per user in key-value; prices, names, pictures and availability always
//! come from the catalog at read time, never from the client or the stored cart.
//!
//! HTTP (private route; every route needs a caller, from the gateway's identity headers,
//! and touches only that caller's cart): `GET /cart`, `PUT /cart/items/:product_id`
//! `{"quantity": 1..=99}`, `DELETE /cart/items/:product_id`, `DELETE /cart`.

mod catalog;
mod domain;
mod error;
mod handlers;
mod store;

use service_kit::http::Router;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    Router::new()
        .route(Method::Get, "/cart", handlers::show)
        .route(Method::Delete, "/cart", handlers::clear)
        .route(
            Method::Put,
            "/cart/items/:product_id",
            handlers::set_quantity,
        )
        .route(Method::Delete, "/cart/items/:product_id", handlers::remove)
        .handle(request)
}
