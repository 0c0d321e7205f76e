//! orders' failures, mapped to HTTP in one place.

use service_kit::http::CallError;
use service_kit::Problem;

/// An orders failure.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    #[error("no order {0}")]
    NotFound(String),
    #[error("the cart is empty")]
    CartEmpty,
    #[error("{0} is no longer sold")]
    ProductGone(String),
    #[error("the order is {current}; it cannot become {wanted}")]
    IllegalTransition { current: String, wanted: String },
    #[error("this Idempotency-Key was used for a different checkout")]
    KeyReused,
    #[error(transparent)]
    Upstream(#[from] CallError),
    #[error("database: {0:?}")]
    Database(#[from] spin_sdk::sqlite::Error),
}

impl From<OrdersError> for Problem {
    fn from(error: OrdersError) -> Self {
        match &error {
            OrdersError::NotFound(_) => Problem::not_found(error.to_string()),
            OrdersError::CartEmpty => Problem::conflict("cart-empty", error.to_string()),
            OrdersError::ProductGone(_) => Problem::conflict("product-gone", error.to_string()),
            OrdersError::IllegalTransition { .. } => {
                Problem::conflict("illegal-transition", error.to_string())
            }
            OrdersError::KeyReused => Problem::new(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                error.to_string(),
            ),
            OrdersError::Upstream(CallError::Unavailable { .. }) => {
                Problem::unavailable(error.to_string())
            }
            OrdersError::Upstream(CallError::Rejected { problem, .. }) => (**problem).clone(),
            OrdersError::Database(_) => Problem::internal(&error),
        }
    }
}
