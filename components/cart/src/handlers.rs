//! cart's HTTP handlers. Each one works on the caller's own cart only.

use service_kit::clock::now_rfc3339;
use service_kit::http::{json, no_content, parse_json};
use service_kit::router::Params;
use service_kit::scope::Scope;
use service_kit::Problem;
use spin_sdk::http::{Request, Response};

use crate::domain::{product_id, QuantityChange};
use crate::error::CartError;
use crate::{catalog, store};

type Handled = Result<Response, Problem>;

/// `GET /cart`: the caller's cart, priced by the catalog now.
pub fn show(_: &Request, context: &Scope, _: &Params) -> Handled {
    let caller = context.caller()?;
    let store = store::open()?;
    let cart = store::load(&store, &caller.user_id)?;
    let products = catalog::lookup(context, &cart.product_ids())?;
    Ok(json(200, &products.price(&cart)?))
}

/// `PUT /cart/items/:product_id` `{"quantity": 1..=99}`: puts a product of the catalog in
/// the cart, or changes its quantity.
pub fn set_quantity(request: &Request, context: &Scope, params: &Params) -> Handled {
    let caller = context.caller()?;
    let product_id = product_id(params.get("product_id"))?;
    let QuantityChange { quantity } = parse_json(request)?;
    let store = store::open()?;
    let mut cart = store::load(&store, &caller.user_id)?;
    let mut ids = cart.product_ids();
    if !ids.contains(&&product_id) {
        ids.push(&product_id);
    }
    let products = catalog::lookup(context, &ids)?;
    if products.get(&product_id).is_none() {
        return Err(CartError::UnknownProduct(product_id).into());
    }
    cart.set(&product_id, quantity, &now_rfc3339())?;
    store::save(&store, &caller.user_id, &cart)?;
    Ok(json(200, &products.price(&cart)?))
}

/// `DELETE /cart/items/:product_id`: takes a product out of the cart.
pub fn remove(_: &Request, context: &Scope, params: &Params) -> Handled {
    let caller = context.caller()?;
    let product_id = product_id(params.get("product_id"))?;
    let store = store::open()?;
    let mut cart = store::load(&store, &caller.user_id)?;
    cart.remove(&product_id, &now_rfc3339())?;
    store::save(&store, &caller.user_id, &cart)?;
    let products = catalog::lookup(context, &cart.product_ids())?;
    Ok(json(200, &products.price(&cart)?))
}

/// `DELETE /cart`: empties the caller's cart (204, also when it was empty).
pub fn clear(_: &Request, context: &Scope, _: &Params) -> Handled {
    let caller = context.caller()?;
    store::clear(&store::open()?, &caller.user_id)?;
    Ok(no_content())
}
