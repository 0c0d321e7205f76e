//! orders' HTTP handlers.

use serde_json::json;
use service_kit::context::RequestContext;
use service_kit::http::{json, parse_json, Params, Query};
use service_kit::ids::UserId;
use service_kit::messaging::Messaging;
use service_kit::{FieldError, Problem};
use spin_sdk::http::{Request, Response};

use crate::checkout::{self, Outcome};
use crate::domain::{check_idempotency_key, Checkout, Status};
use crate::error::OrdersError;
use crate::repository::{self, Order};
use crate::{saga, SERVICE};

type Handled = Result<Response, Problem>;

/// `POST /orders`: 202 with the new order, or 200 with the one this Idempotency-Key made.
pub fn checkout(request: &Request, context: &RequestContext, _: &Params) -> Handled {
    let caller = context.caller()?;
    let key = request
        .header("idempotency-key")
        .map(|value| value.as_str().unwrap_or("\u{0}").to_owned());
    if let Some(key) = &key {
        check_idempotency_key(key)?;
    }
    let body = parse_json::<Checkout>(request)?.validate()?;
    let (status, order) = match checkout::checkout(context, caller, &body, key.as_deref())? {
        Outcome::Created(order) => (202, order),
        Outcome::Replayed(order) => (200, order),
    };
    let mut response = json(status, &order);
    response.set_header("location", format!("/orders/{}", order.id));
    Ok(response)
}

/// `GET /orders?page=&page_size=` (admins may add `user_id=`).
pub fn list(request: &Request, context: &RequestContext, _: &Params) -> Handled {
    let caller = context.caller()?;
    let query = Query::from_request(request);
    let mut errors = Vec::new();
    let mut take = |parsed: Result<Option<u32>, FieldError>| {
        parsed.unwrap_or_else(|error| {
            errors.push(error);
            None
        })
    };
    let page = take(query.parse_opt("page", "an integer of at least 1", |t| {
        t.parse().ok().filter(|p| *p >= 1)
    }));
    let page_size = take(
        query.parse_opt("page_size", "an integer from 1 to 100", |t| {
            t.parse().ok().filter(|p| (1..=100).contains(p))
        }),
    );
    let user = match (caller.is_admin(), query.get("user_id")) {
        (true, Some(id)) => match UserId::parse(id) {
            Some(id) => Some(id),
            None => {
                errors.push(FieldError::new("user_id", "must be a user id (UUID)"));
                None
            }
        },
        (true, None) => None,
        (false, _) => Some(caller.user_id.clone()),
    };
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let (page, page_size) = (page.unwrap_or(1), page_size.unwrap_or(20));
    let db = repository::open()?;
    let (items, total) = repository::list(&db, user.as_ref().map(UserId::as_str), page, page_size)?;
    Ok(json(
        200,
        &json!({ "items": items, "page": page, "page_size": page_size, "total": total }),
    ))
}

/// The order `:id` if the caller may see it (its owner or an admin); 404 otherwise.
fn visible_order(context: &RequestContext, params: &Params) -> Result<Order, Problem> {
    let caller = context.caller()?;
    let id = params.get("id");
    let db = repository::open()?;
    match repository::find(&db, id)? {
        Some(order) if caller.is_admin() || order.user_id == caller.user_id.as_str() => Ok(order),
        _ => Err(OrdersError::NotFound(id.to_owned()).into()),
    }
}

/// `GET /orders/:id`
pub fn show(_: &Request, context: &RequestContext, params: &Params) -> Handled {
    Ok(json(200, &visible_order(context, params)?))
}

/// `POST /orders/:id/cancel` (the owner, while the order waits for payment).
pub fn cancel(_: &Request, context: &RequestContext, params: &Params) -> Handled {
    let order = visible_order(context, params)?;
    let db = repository::open()?;
    let order = saga::cancel_by_customer(&db, &order, context.traceparent.as_deref())?;
    Ok(json(200, &order))
}

/// `POST /orders/:id/fulfil` (admin): a paid order has shipped.
pub fn fulfil(_: &Request, context: &RequestContext, params: &Params) -> Handled {
    context.admin()?;
    let order = visible_order(context, params)?;
    let db = repository::open()?;
    match repository::transition(&db, &order.id, Status::Fulfilled, None)? {
        Some((order, true)) => Ok(json(200, &order)),
        Some((order, false)) => Err(OrdersError::IllegalTransition {
            current: order.status,
            wanted: "fulfilled".into(),
        }
        .into()),
        None => Err(OrdersError::NotFound(order.id).into()),
    }
}

/// `GET /admin/dead-letters` (admin)
pub fn list_dead_letters(_: &Request, context: &RequestContext, _: &Params) -> Handled {
    context.admin()?;
    messaging()?.dead_letters_response(&repository::open()?)
}

/// `POST /admin/dead-letters/:id/replay` (admin)
pub fn replay(_: &Request, context: &RequestContext, params: &Params) -> Handled {
    context.admin()?;
    messaging()?.replay_response(&repository::open()?, params.get("id"), saga::handle)
}

fn messaging() -> Result<Messaging, Problem> {
    Messaging::from_variables(SERVICE).map_err(Problem::internal)
}
