//! The one error type of telemetry's HTTP side, and its mapping to problem+json.

use service_kit::Problem;

/// Why a telemetry request failed.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// No caller: the request is anonymous.
    #[error("sign in to use this resource")]
    Unauthenticated,
    /// The caller is not an admin.
    #[error("this resource requires the admin role")]
    AdminOnly,
    /// A variable is missing or invalid.
    #[error("telemetry is misconfigured: {0}")]
    Configuration(String),
    /// The database failed.
    #[error("sqlite: {0:?}")]
    Storage(#[from] spin_sdk::sqlite::Error),
}

impl From<TelemetryError> for Problem {
    fn from(error: TelemetryError) -> Self {
        match error {
            TelemetryError::Unauthenticated => {
                Problem::unauthorized("Sign in to use this resource.")
            }
            TelemetryError::AdminOnly => {
                Problem::forbidden("This resource requires the admin role.")
            }
            TelemetryError::Configuration(_) | TelemetryError::Storage(_) => {
                Problem::internal(error)
            }
        }
    }
}
