//! payments' HTTP routes. Customers see their own payments; admins see every payment and
//! the dead letters. The card token is never shown, only its hint (`tok_visa` -> `visa`).

use serde::Serialize;
use service_kit::clock::rfc3339;
use service_kit::context::Caller;
use service_kit::http::{json, Query};
use service_kit::ids::OrderId;
use service_kit::money::Money;
use service_kit::router::Params;
use service_kit::scope::Scope;
use spin_sdk::http::{Request, Response};

use crate::domain::{Payment, PaymentId};
use crate::error::PaymentsError;
use crate::repository;

/// The most payments one list answers.
const LIST_LIMIT: u32 = 100;

/// A payment as callers see it.
#[derive(Serialize)]
struct PaymentView {
    id: String,
    order_id: String,
    user_id: String,
    amount: Money,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    card_hint: Option<String>,
    stock_reserved: bool,
    attempts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt_at: Option<String>,
    charge_id: Option<String>,
    failure_reason: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<Payment> for PaymentView {
    fn from(payment: Payment) -> Self {
        Self {
            id: payment.id.to_string(),
            order_id: payment.order_id.to_string(),
            user_id: payment.user_id.to_string(),
            amount: payment.amount,
            status: payment.status.as_str(),
            card_hint: payment.card_token.hint(),
            stock_reserved: payment.stock_reserved,
            attempts: payment.attempts,
            next_attempt_at: payment.next_attempt_at.map(rfc3339),
            charge_id: payment.charge_id,
            failure_reason: payment.failure_reason,
            created_at: rfc3339(payment.created_at),
            updated_at: rfc3339(payment.updated_at),
        }
    }
}

fn caller(context: &Scope) -> Result<&Caller, PaymentsError> {
    context
        .caller
        .as_ref()
        .ok_or(PaymentsError::Unauthenticated)
}

fn visible_to(payment: &Payment, caller: &Caller) -> bool {
    caller.is_admin() || payment.user_id == caller.user_id
}

/// `GET /payments?order_id=`: the caller's payments (an admin's: everyone's), newest
/// first; with `order_id`, that order's payment if the caller may see it (else none).
pub fn list(request: &Request, context: &Scope, _: &Params) -> Result<Response, PaymentsError> {
    let caller = caller(context)?;
    let query = Query::from_request(request);
    let order_id = query
        .get("order_id")
        .map(|text| {
            OrderId::parse(text).ok_or(PaymentsError::InvalidField {
                field: "order_id",
                message: "must be an order id (a UUID)",
            })
        })
        .transpose()?;
    let db = context.db()?;
    let payments = match order_id {
        Some(order_id) => repository::find_by_order(db, &order_id)?
            .filter(|payment| visible_to(payment, caller))
            .into_iter()
            .collect(),
        None => {
            let owner = (!caller.is_admin()).then_some(&caller.user_id);
            repository::list(db, owner, LIST_LIMIT)?
        }
    };
    let items: Vec<PaymentView> = payments.into_iter().map(PaymentView::from).collect();
    Ok(json(200, &serde_json::json!({ "items": items })))
}

/// `GET /payments/:id`: the payment, for its owner or an admin.
pub fn get(_: &Request, context: &Scope, params: &Params) -> Result<Response, PaymentsError> {
    let caller = caller(context)?;
    let id = params.get("id");
    let not_found = || PaymentsError::PaymentNotFound(id.to_owned());
    let payment_id = PaymentId::parse(id).ok_or_else(not_found)?;
    let db = context.db()?;
    let payment = repository::find(db, &payment_id)?
        .filter(|payment| visible_to(payment, caller))
        .ok_or_else(not_found)?;
    Ok(json(200, &PaymentView::from(payment)))
}
