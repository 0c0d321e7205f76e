//! The one error type of payments' HTTP side, and its mapping to problem+json.

use service_kit::{FieldError, Problem};

/// Why a payments request failed.
#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    /// No caller: the request is anonymous.
    #[error("sign in to use this resource")]
    Unauthenticated,
    /// A query parameter or path segment is invalid.
    #[error("{field}: {message}")]
    InvalidField {
        field: &'static str,
        message: &'static str,
    },
    /// No such payment (or not the caller's).
    #[error("no payment {0}")]
    PaymentNotFound(String),
    /// The database failed.
    #[error("sqlite: {0:?}")]
    Storage(#[from] spin_sdk::sqlite::Error),
}

impl From<PaymentsError> for Problem {
    fn from(error: PaymentsError) -> Self {
        match error {
            PaymentsError::Unauthenticated => {
                Problem::unauthorized("Sign in to use this resource.")
            }
            PaymentsError::InvalidField { field, message } => {
                Problem::validation(vec![FieldError::new(field, message)])
            }
            PaymentsError::PaymentNotFound(id) => {
                Problem::not_found(format!("There is no payment {id}."))
            }
            PaymentsError::Storage(_) => Problem::internal(error),
        }
    }
}
