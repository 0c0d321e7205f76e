//! `cart`: one cart per user in key-value; prices always come from the catalog.
//!
//! HTTP (private; the caller comes from the gateway's identity headers):
//! `GET /cart`, `PUT /cart/items/:product_id` `{"quantity": 1..=99}`,
//! `DELETE /cart/items/:product_id`, `DELETE /cart`.

mod error;
mod pricing;
mod store;

use serde::Deserialize;
use service_kit::context::RequestContext;
use service_kit::http::{json, no_content, parse_json, Params, Router};
use service_kit::ids::ProductId;
use service_kit::Problem;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

use crate::error::CartError;

type Handled = Result<Response, Problem>;

#[http_component]
fn handle(request: Request) -> Response {
    Router::new()
        .route(Method::Get, "/cart", show)
        .route(Method::Delete, "/cart", clear)
        .route(Method::Put, "/cart/items/:product_id", set_quantity)
        .route(Method::Delete, "/cart/items/:product_id", remove)
        .handle(request)
}

/// `GET /cart`
fn show(_: &Request, context: &RequestContext, _: &Params) -> Handled {
    let caller = context.caller()?;
    let store = store::open()?;
    let cart = store::load(&store, &caller.user_id)?;
    Ok(json(200, &pricing::price(context, &cart)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Quantity {
    quantity: u32,
}

/// `PUT /cart/items/:product_id`
fn set_quantity(request: &Request, context: &RequestContext, params: &Params) -> Handled {
    let caller = context.caller()?;
    let product_id = product_id(params)?;
    let Quantity { quantity } = parse_json(request)?;
    if !(1..=99).contains(&quantity) {
        return Err(Problem::invalid_field(
            "quantity",
            "must be between 1 and 99",
        ));
    }
    if pricing::product(context, &product_id)?.is_none() {
        return Err(CartError::UnknownProduct(product_id).into());
    }
    let store = store::open()?;
    let mut cart = store::load(&store, &caller.user_id)?;
    if !cart.set(&product_id, quantity) {
        return Err(CartError::Full.into());
    }
    store::save(&store, &caller.user_id, &mut cart)?;
    Ok(json(200, &pricing::price(context, &cart)?))
}

/// `DELETE /cart/items/:product_id`
fn remove(_: &Request, context: &RequestContext, params: &Params) -> Handled {
    let caller = context.caller()?;
    let product_id = product_id(params)?;
    let store = store::open()?;
    let mut cart = store::load(&store, &caller.user_id)?;
    if !cart.remove(&product_id) {
        return Err(CartError::NotInCart(product_id).into());
    }
    store::save(&store, &caller.user_id, &mut cart)?;
    Ok(json(200, &pricing::price(context, &cart)?))
}

/// `DELETE /cart`
fn clear(_: &Request, context: &RequestContext, _: &Params) -> Handled {
    let caller = context.caller()?;
    let store = store::open()?;
    store::save(&store, &caller.user_id, &mut store::StoredCart::default())?;
    Ok(no_content())
}

fn product_id(params: &Params) -> Result<ProductId, Problem> {
    ProductId::parse(params.get("product_id"))
        .ok_or_else(|| Problem::invalid_field("product_id", "must be a product id (UUID)"))
}
