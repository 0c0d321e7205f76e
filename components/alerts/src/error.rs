//! The one error type of alerts, and its mapping to problem+json.

use service_kit::client::CallError;
use service_kit::{FieldError, Problem};

/// Why an alerts request or evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertsError {
    /// No caller: the request is anonymous.
    #[error("sign in to use this resource")]
    Unauthenticated,
    /// The caller is not an admin.
    #[error("this resource requires the admin role")]
    AdminOnly,
    /// The body is invalid; each bad field is named.
    #[error("{} invalid fields", .0.len())]
    Invalid(Vec<FieldError>),
    /// No such rule.
    #[error("no rule {0}")]
    RuleNotFound(String),
    /// Telemetry could not be read.
    #[error("telemetry is unavailable: {0}")]
    TelemetryUnavailable(String),
    /// The database failed.
    #[error("sqlite: {0:?}")]
    Storage(#[from] spin_sdk::sqlite::Error),
}

impl From<CallError> for AlertsError {
    fn from(error: CallError) -> Self {
        AlertsError::TelemetryUnavailable(error.to_string())
    }
}

impl From<AlertsError> for Problem {
    fn from(error: AlertsError) -> Self {
        match error {
            AlertsError::Unauthenticated => Problem::unauthorized("Sign in to use this resource."),
            AlertsError::AdminOnly => Problem::forbidden("This resource requires the admin role."),
            AlertsError::Invalid(errors) => Problem::validation(errors),
            AlertsError::RuleNotFound(id) => Problem::not_found(format!("There is no rule {id}.")),
            AlertsError::TelemetryUnavailable(_) => Problem::unavailable(error.to_string()),
            AlertsError::Storage(_) => Problem::internal(error),
        }
    }
}
