//! orders' failures, mapped to problems in one place.

use service_kit::client::CallError;
use service_kit::ids::ProductId;
use service_kit::{FieldError, Problem};

use crate::domain::{Status, Unpriceable};

/// An orders failure.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("no order {0}")]
    NotFound(String),
    #[error("only the customer who placed order {0} may do this")]
    NotOwner(String),
    #[error("the cart is empty")]
    CartEmpty,
    #[error("product {0} is no longer sold; remove it from the cart")]
    ProductGone(ProductId),
    #[error(transparent)]
    Unpriceable(#[from] Unpriceable),
    #[error("the order is {from}; it cannot become {to}")]
    IllegalTransition { from: Status, to: Status },
    #[error("this Idempotency-Key was used for a different checkout")]
    KeyReused,
    #[error(transparent)]
    Dependency(#[from] CallError),
    #[error("database: {0:?}")]
    Database(#[from] spin_sdk::sqlite::Error),
    #[error("{0}")]
    Internal(String),
}

impl From<OrdersError> for Problem {
    fn from(error: OrdersError) -> Self {
        let detail = error.to_string();
        match error {
            OrdersError::Invalid(errors) => Problem::validation(errors),
            OrdersError::NotFound(_) => Problem::not_found(detail),
            OrdersError::NotOwner(_) => Problem::forbidden(detail),
            OrdersError::CartEmpty => Problem::conflict("cart-empty", detail),
            OrdersError::ProductGone(_) => Problem::conflict("product-unavailable", detail),
            OrdersError::Unpriceable(_) => Problem::conflict("unpriceable", detail),
            OrdersError::IllegalTransition { .. } => {
                Problem::conflict("illegal-transition", detail)
            }
            OrdersError::KeyReused => Problem::new(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                detail,
            ),
            // A dependency that refuses a call orders built is as unusable as one that is
            // down: the client can only try again later.
            OrdersError::Dependency(_) => {
                eprintln!("orders: {detail}");
                Problem::unavailable(detail)
            }
            OrdersError::Database(_) | OrdersError::Internal(_) => Problem::internal(detail),
        }
    }
}
