//! The one error type of notifications' HTTP side, and its mapping to problem+json.

use service_kit::{FieldError, Problem};

/// Why a notifications request failed.
#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    /// No caller: the request is anonymous.
    #[error("sign in to use this resource")]
    Unauthenticated,
    /// Query parameters are invalid; each is named.
    #[error("{} invalid query parameters", .0.len())]
    Invalid(Vec<FieldError>),
    /// No such notification (or not the caller's).
    #[error("no notification {0}")]
    NotificationNotFound(String),
    /// The database failed.
    #[error("sqlite: {0:?}")]
    Storage(#[from] spin_sdk::sqlite::Error),
}

impl From<NotificationsError> for Problem {
    fn from(error: NotificationsError) -> Self {
        match error {
            NotificationsError::Unauthenticated => {
                Problem::unauthorized("Sign in to use this resource.")
            }
            NotificationsError::Invalid(errors) => Problem::validation(errors),
            NotificationsError::NotificationNotFound(id) => {
                Problem::not_found(format!("There is no notification {id}."))
            }
            NotificationsError::Storage(_) => Problem::internal(error),
        }
    }
}
