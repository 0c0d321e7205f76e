//! Checkout: the caller's cart becomes an order, priced by the catalog now, recorded with its
//! history, its Idempotency-Key and its `OrderCreated` event in one transaction.

use serde::Deserialize;
use service_kit::client::{call_json, upstream_url};
use service_kit::context::{Caller, RequestContext};
use service_kit::db::Db;
use service_kit::events::{OrderCreated, OrderLine};
use service_kit::ids::{OrderId, ProductId};
use service_kit::messaging::Messaging;
use service_kit::money::Money;
use service_kit::outbox;
use spin_sdk::http::Method;

use crate::domain::{self, Checkout, IdempotencyKey};
use crate::error::OrdersError;
use crate::repository::{self, NewOrder, Order};
use crate::SERVICE;

/// The most ids catalog looks up at once.
const LOOKUP_LIMIT: usize = 100;

/// The cart as cart shows it; only what was chosen counts, never its prices.
#[derive(Deserialize)]
struct Cart {
    items: Vec<CartItem>,
}

#[derive(Deserialize)]
struct CartItem {
    product_id: ProductId,
    quantity: u32,
}

#[derive(Deserialize)]
struct Lookup {
    items: Vec<Product>,
}

#[derive(Deserialize)]
struct Product {
    id: ProductId,
    sku: String,
    name: String,
    price: Money,
}

/// What a checkout did.
pub enum Outcome {
    /// A new order.
    Created(Order),
    /// The order an earlier request with the same Idempotency-Key created.
    Replayed(Order),
}

/// One checkout by `caller`.
pub struct Request<'a> {
    pub context: &'a RequestContext,
    pub caller: &'a Caller,
    pub checkout: &'a Checkout,
    pub idempotency_key: Option<&'a IdempotencyKey>,
}

/// Turns the caller's cart into an order, relays its event, then empties the cart (best
/// effort: the order stands if that fails). With an Idempotency-Key, a repeat returns the
/// first order, even when both run at once: the unique (user, key) index lets one insert
/// win, and the others answer with its order.
pub fn run(db: &Db, messaging: &Messaging, request: &Request<'_>) -> Result<Outcome, OrdersError> {
    let fingerprint = request.checkout.fingerprint();
    if let Some(order) = earlier(db, request, &fingerprint)? {
        return Ok(Outcome::Replayed(order));
    }
    let cart = fetch_cart(request.context)?;
    if cart.items.is_empty() {
        // A twin with the same key may have ordered the cart and emptied it just now.
        return earlier(db, request, &fingerprint)?
            .map(Outcome::Replayed)
            .ok_or(OrdersError::CartEmpty);
    }
    let lines = price(request.context, &cart)?;
    let total = domain::total(&lines)?;
    let caller = request.caller;
    let order_id = OrderId::new();
    let new_order = NewOrder {
        id: &order_id,
        user_id: &caller.user_id,
        email: caller.email.as_deref(),
        lines: &lines,
        total: &total,
        shipping_address: &request.checkout.shipping_address,
        idempotency_key: request.idempotency_key,
        fingerprint: &fingerprint,
    };
    let event = OrderCreated {
        order_id: order_id.clone(),
        user_id: caller.user_id.clone(),
        email: caller.email.clone(),
        lines: lines.clone(),
        total: total.clone(),
        card_token: request.checkout.card_token.clone(),
        shipping_address: request.checkout.shipping_address.clone(),
    };
    let created = db.transaction(|db| {
        if !repository::insert(db, &new_order)? {
            return Ok(None);
        }
        outbox::enqueue(db, SERVICE, &event, request.context.traceparent.as_deref())?;
        repository::find(db, &order_id)
    })?;
    let Some(order) = created else {
        // A twin with the same key inserted first: answer with its order.
        return earlier(db, request, &fingerprint)?
            .map(Outcome::Replayed)
            .ok_or_else(|| OrdersError::Internal("idempotency conflict without an order".into()));
    };
    if let Err(error) = messaging.relay(db) {
        eprintln!("orders: relaying after order {order_id}: {error:?}");
    }
    empty_cart(request.context, &order_id);
    Ok(Outcome::Created(order))
}

/// The order this caller made earlier with the request's Idempotency-Key; refused if that
/// order was made from a different request.
fn earlier(
    db: &Db,
    request: &Request<'_>,
    fingerprint: &str,
) -> Result<Option<Order>, OrdersError> {
    let Some(key) = request.idempotency_key else {
        return Ok(None);
    };
    match repository::find_by_key(db, &request.caller.user_id, key)? {
        Some(order) if order.fingerprint.as_deref() == Some(fingerprint) => Ok(Some(order)),
        Some(_) => Err(OrdersError::KeyReused),
        None => Ok(None),
    }
}

/// The caller's cart (cart sees the same caller: the context is forwarded).
fn fetch_cart(context: &RequestContext) -> Result<Cart, OrdersError> {
    let mut cart = call_json::<Cart>(context, Method::Get, &upstream_url("cart"), "/cart", None)?
        .unwrap_or(Cart { items: Vec::new() });
    cart.items.retain(|item| item.quantity > 0);
    Ok(cart)
}

/// Prices every cart line with the catalog's current price; a product the catalog no longer
/// has stops the checkout.
fn price(context: &RequestContext, cart: &Cart) -> Result<Vec<OrderLine>, OrdersError> {
    let ids: Vec<&ProductId> = cart.items.iter().map(|item| &item.product_id).collect();
    let mut products = Vec::new();
    for chunk in ids.chunks(LOOKUP_LIMIT) {
        let body = serde_json::json!({ "ids": chunk });
        if let Some(lookup) = call_json::<Lookup>(
            context,
            Method::Post,
            &upstream_url("catalog"),
            "/products/lookup",
            Some(&body),
        )? {
            products.extend(lookup.items);
        }
    }
    cart.items
        .iter()
        .map(|item| {
            let product = products
                .iter()
                .find(|product| product.id == item.product_id)
                .ok_or_else(|| OrdersError::ProductGone(item.product_id.clone()))?;
            Ok(OrderLine {
                product_id: product.id.clone(),
                sku: product.sku.clone(),
                name: product.name.clone(),
                quantity: item.quantity,
                line_total: domain::line_total(&product.price, item.quantity)?,
                unit_price: product.price.clone(),
            })
        })
        .collect()
}

/// Empties the caller's cart; a failure is logged, never raised.
fn empty_cart(context: &RequestContext, order_id: &OrderId) {
    if let Err(error) = call_json::<serde_json::Value>(
        context,
        Method::Delete,
        &upstream_url("cart"),
        "/cart",
        None,
    ) {
        eprintln!("orders: order {order_id} stands, but emptying the cart failed: {error}");
    }
}
