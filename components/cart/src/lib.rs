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

use service_kit::router::Router;
use service_kit::service::{Events, Service};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

static CART: Service = Service {
    name: "cart",
    database: None,
    events: Events::NONE,
    background: None,
    routes,
};

fn routes(router: Router) -> Router {
    router
        .route(Method::Get, "/cart", handlers::show)
        .route(Method::Delete, "/cart", handlers::clear)
        .route(
            Method::Put,
            "/cart/items/:product_id",
            handlers::set_quantity,
        )
        .route(Method::Delete, "/cart/items/:product_id", handlers::remove)
}

#[http_component]
fn handle(request: Request) -> Response {
    CART.handle_http(request)
}
