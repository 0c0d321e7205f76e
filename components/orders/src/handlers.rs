//! orders' HTTP handlers: who may do what, and the shape of each answer.

use serde_json::json;
use service_kit::context::Caller;
use service_kit::db::Db;
use service_kit::events::CancelReason;
use service_kit::http::{self, parse_json, Query};
use service_kit::ids::{OrderId, UserId};
use service_kit::router::Params;
use service_kit::scope::Scope;
use service_kit::{FieldError, Problem};
use spin_sdk::http::{Request, Response};

use crate::checkout::{self, Outcome};
use crate::domain::{CheckoutRequest, IdempotencyKey};
use crate::error::OrdersError;
use crate::lifecycle::{self, Target};
use crate::repository::{self, Order};
use crate::watchdog;

type Handled = Result<Response, Problem>;

/// `POST /orders` with an optional `Idempotency-Key`: 202 with the new order, or 200 with
/// the order an earlier request with the same key made.
pub fn checkout(request: &Request, context: &Scope, _: &Params) -> Handled {
    let caller = context.caller()?;
    let key = request
        .header(IdempotencyKey::HEADER)
        .map(|value| IdempotencyKey::parse(value.as_bytes()))
        .transpose()
        .map_err(|error| OrdersError::Invalid(vec![error]))?;
    let body = parse_json::<CheckoutRequest>(request)?
        .validate()
        .map_err(OrdersError::Invalid)?;
    let request = checkout::Request {
        context,
        caller,
        checkout: &body,
        idempotency_key: key.as_ref(),
    };
    let (status, order) = match checkout::run(context.db()?, context.messaging()?, &request)? {
        Outcome::Created(order) => (202, order),
        Outcome::Replayed(order) => (200, order),
    };
    let mut response = http::json(status, &order);
    response.set_header("location", format!("/orders/{}", order.id));
    Ok(response)
}

/// `GET /orders?page=&page_size=`: the caller's orders, newest first; an admin may ask for
/// one user's (`user_id=`) or, without it, everyone's.
pub fn list(request: &Request, context: &Scope, _: &Params) -> Handled {
    let caller = context.caller()?;
    let query = Query::from_request(request);
    let mut errors = Vec::new();
    let mut take = |parsed: Result<Option<u32>, FieldError>| {
        parsed.unwrap_or_else(|error| {
            errors.push(error);
            None
        })
    };
    let page = take(query.parse_opt("page", "an integer of at least 1", |text| {
        text.parse().ok().filter(|page| *page >= 1)
    }));
    let page_size = take(
        query.parse_opt("page_size", "an integer from 1 to 100", |text| {
            text.parse().ok().filter(|size| (1..=100).contains(size))
        }),
    );
    // Checked for everyone (the public schema's `format: uuid`); only an admin's is used.
    let asked = query
        .parse_opt("user_id", "a user id (UUID)", UserId::parse)
        .unwrap_or_else(|error| {
            errors.push(error);
            None
        });
    let user = if caller.is_admin() {
        asked
    } else {
        Some(caller.user_id.clone())
    };
    if !errors.is_empty() {
        return Err(OrdersError::Invalid(errors).into());
    }
    let (page, page_size) = (page.unwrap_or(1), page_size.unwrap_or(20));
    let (items, total) = repository::list(context.db()?, user.as_ref(), page, page_size)?;
    Ok(http::json(
        200,
        &json!({ "items": items, "page": page, "page_size": page_size, "total": total }),
    ))
}

/// `GET /orders/:id` (its owner or an admin); nudges the order if it is stuck.
pub fn show(_: &Request, context: &Scope, params: &Params) -> Handled {
    let db = context.db()?;
    let order = visible_order(db, context.caller()?, params)?;
    if let Err(error) = watchdog::check(db, &order) {
        eprintln!("orders: watchdog on order {}: {error:?}", order.id);
    }
    Ok(http::json(200, &order))
}

/// `POST /orders/:id/cancel` (its owner): only while it waits for payment.
pub fn cancel(_: &Request, context: &Scope, params: &Params) -> Handled {
    let caller = context.caller()?;
    let db = context.db()?;
    let order = visible_order(db, caller, params)?;
    if order.user_id != caller.user_id {
        return Err(OrdersError::NotOwner(order.id.to_string()).into());
    }
    let messaging = context.messaging()?;
    let target = Target::Cancelled(CancelReason::Customer);
    let order = change(db, &order.id, target, context.traceparent.as_deref())?;
    if let Err(error) = messaging.relay(db) {
        eprintln!(
            "orders: relaying after cancelling order {}: {error:?}",
            order.id
        );
    }
    Ok(http::json(200, &order))
}

/// `POST /orders/:id/fulfil` (admin): a paid order has shipped.
pub fn fulfil(_: &Request, context: &Scope, params: &Params) -> Handled {
    let admin = context.admin()?;
    let db = context.db()?;
    let order = visible_order(db, admin, params)?;
    Ok(http::json(
        200,
        &change(db, &order.id, Target::Fulfilled, None)?,
    ))
}

/// The order `:id` if `caller` may see it (its owner or an admin); 404 otherwise, also
/// for an id that is not one.
fn visible_order(db: &Db, caller: &Caller, params: &Params) -> Result<Order, OrdersError> {
    let id = params.get("id");
    let order = match OrderId::parse(id) {
        Some(id) => repository::find(db, &id)?,
        None => None,
    };
    order
        .filter(|order| caller.is_admin() || order.user_id == caller.user_id)
        .ok_or_else(|| OrdersError::NotFound(id.to_owned()))
}

/// Moves order `id` to `target` in a transaction; 409 if its status does not allow it.
fn change(
    db: &Db,
    id: &OrderId,
    target: Target,
    traceparent: Option<&str>,
) -> Result<Order, OrdersError> {
    match db.transaction(|db| lifecycle::apply(db, id, target, traceparent))? {
        Some(change) if change.moved => Ok(change.order),
        Some(change) => Err(OrdersError::IllegalTransition {
            from: change.order.status,
            to: target.status(),
        }),
        None => Err(OrdersError::NotFound(id.to_string())),
    }
}
