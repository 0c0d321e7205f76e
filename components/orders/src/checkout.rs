//! Checkout: the caller's cart becomes an order, priced by the catalog now, recorded with its
//! `OrderCreated` event in one transaction.

use serde::Deserialize;
use service_kit::context::{Caller, RequestContext};
use service_kit::events::{OrderCreated, OrderLine};
use service_kit::http::call_json;
use service_kit::ids::{OrderId, ProductId};
use service_kit::money::{Currency, Money};
use service_kit::outbox;
use sha2::{Digest, Sha256};
use spin_sdk::http::Method;

use crate::domain::Checkout;
use crate::error::OrdersError;
use crate::repository::{self, NewOrder, Order};
use crate::SERVICE;

const CART: &str = "http://cart.spin.internal";
const CATALOG: &str = "http://catalog.spin.internal";

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
struct CatalogProduct {
    id: ProductId,
    sku: String,
    name: String,
    price: Money,
}

#[derive(Deserialize)]
struct Lookup {
    items: Vec<CatalogProduct>,
}

/// What happened to a checkout.
pub enum Outcome {
    /// A new order.
    Created(Order),
    /// The order an earlier request with the same Idempotency-Key created.
    Replayed(Order),
}

/// Turns the caller's cart into an order (see the module docs). With an `idempotency_key`,
/// a repeat of the same checkout returns the first order, even when both run at once.
pub fn checkout(
    context: &RequestContext,
    caller: &Caller,
    request: &Checkout,
    idempotency_key: Option<&str>,
) -> Result<Outcome, OrdersError> {
    let db = repository::open()?;
    let fingerprint = fingerprint(request);
    let replay = |db: &service_kit::db::Db| -> Result<Option<Outcome>, OrdersError> {
        let Some(key) = idempotency_key else {
            return Ok(None);
        };
        match repository::find_by_key(db, &caller.user_id, key)? {
            Some(order) if order.fingerprint.as_deref() == Some(fingerprint.as_str()) => {
                Ok(Some(Outcome::Replayed(order)))
            }
            Some(_) => Err(OrdersError::KeyReused),
            None => Ok(None),
        }
    };
    if let Some(outcome) = replay(&db)? {
        return Ok(outcome);
    }
    let cart: Cart =
        call_json(context, Method::Get, CART, "/cart", None)?.unwrap_or(Cart { items: Vec::new() });
    if cart.items.is_empty() {
        // A concurrent twin of this request may have emptied the cart just now.
        return replay(&db)?.ok_or(OrdersError::CartEmpty);
    }
    let lines = price(context, &cart)?;
    let total = lines
        .iter()
        .try_fold(Money::zero(Currency::usd()), |sum, line| {
            sum.plus(&line.line_total)
        })
        .map_err(|_| OrdersError::ProductGone("an item priced in another currency".into()))?;
    let order_id = OrderId::new();
    let event = OrderCreated {
        order_id: order_id.clone(),
        user_id: caller.user_id.clone(),
        email: caller.email.clone(),
        lines: lines.clone(),
        total: total.clone(),
        card_token: request.payment.card_token.clone(),
        shipping_address: request.shipping_address.clone(),
    };
    // The order as recorded; events may move it on before this answer is sent.
    let recorded = db.transaction(|db| {
        let inserted = repository::insert(
            db,
            &NewOrder {
                id: &order_id,
                user_id: &caller.user_id,
                email: caller.email.as_deref(),
                lines: &lines,
                total: &total,
                shipping_address: &request.shipping_address,
                idempotency_key,
                fingerprint: &fingerprint,
            },
        )?;
        if !inserted {
            return Ok(None);
        }
        outbox::enqueue(db, SERVICE, &event, context.traceparent.as_deref())?;
        Ok::<_, OrdersError>(repository::find(db, order_id.as_str())?)
    })?;
    let Some(order) = recorded else {
        return replay(&db)?.ok_or(OrdersError::CartEmpty);
    };
    crate::after_change(&db);
    // The order stands even if emptying the cart fails; the customer can empty it.
    if let Err(error) = call_json::<serde_json::Value>(context, Method::Delete, CART, "/cart", None)
    {
        eprintln!("order {order_id}: emptying the cart failed: {error}");
    }
    Ok(Outcome::Created(order))
}

/// Prices every cart line with the catalog's current price.
fn price(context: &RequestContext, cart: &Cart) -> Result<Vec<OrderLine>, OrdersError> {
    let ids: Vec<&ProductId> = cart.items.iter().map(|item| &item.product_id).collect();
    let body = serde_json::json!({ "ids": ids });
    let products = call_json::<Lookup>(
        context,
        Method::Post,
        CATALOG,
        "/products/lookup",
        Some(&body),
    )?
    .map(|lookup| lookup.items)
    .unwrap_or_default();
    cart.items
        .iter()
        .map(|item| {
            let product = products
                .iter()
                .find(|p| p.id == item.product_id)
                .ok_or_else(|| OrdersError::ProductGone(format!("product {}", item.product_id)))?;
            let line_total = product
                .price
                .times(item.quantity)
                .map_err(|_| OrdersError::ProductGone(product.name.clone()))?;
            Ok(OrderLine {
                product_id: product.id.clone(),
                sku: product.sku.clone(),
                name: product.name.clone(),
                quantity: item.quantity,
                unit_price: product.price.clone(),
                line_total,
            })
        })
        .collect()
}

/// A digest of what was asked for, to recognise a repeated request.
fn fingerprint(request: &Checkout) -> String {
    let canonical = serde_json::json!({
        "shipping_address": request.shipping_address,
        "card_token": request.payment.card_token,
    });
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
