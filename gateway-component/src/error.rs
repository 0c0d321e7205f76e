//! Every way a gateway request can fail, and the one place each becomes a problem+json.

use service_kit::Problem;

use crate::config::Service;

/// Why the gateway answers with an error of its own (upstream 4xx answers pass through).
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("No resource at {0}.")]
    NoRoute(String),
    #[error("{method} is not allowed here; use {allowed}.")]
    MethodNotAllowed { method: String, allowed: String },
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("This resource requires the admin role.")]
    Forbidden,
    #[error("This origin may not call the API from a browser.")]
    OriginNotAllowed,
    #[error("Too many requests.")]
    RateLimited { retry_after_secs: u32 },
    #[error("The body may be at most {limit} bytes.")]
    PayloadTooLarge { limit: usize },
    #[error("Send the body as application/json.")]
    UnsupportedMediaType,
    #[error("{0}")]
    NotFound(String),
    #[error("The {} service did not answer in time.", .0.name())]
    UpstreamTimeout(Service),
    #[error("The {} service is unavailable; try again shortly.", .0.name())]
    UpstreamUnavailable(Service),
    #[error("The {} service is failing; calls to it are paused.", service.name())]
    CircuitOpen {
        service: Service,
        retry_after_secs: u32,
    },
    #[error("The gateway is misconfigured: {0}")]
    Misconfigured(String),
}

impl From<GatewayError> for Problem {
    fn from(error: GatewayError) -> Self {
        let detail = error.to_string();
        match error {
            GatewayError::NoRoute(_) | GatewayError::NotFound(_) => Problem::not_found(detail),
            GatewayError::MethodNotAllowed { .. } => Problem::method_not_allowed(detail),
            GatewayError::Unauthenticated(_) => Problem::unauthorized(detail),
            GatewayError::Forbidden | GatewayError::OriginNotAllowed => Problem::forbidden(detail),
            GatewayError::RateLimited { retry_after_secs } => Problem {
                retry_after_secs: Some(retry_after_secs),
                ..Problem::new(
                    429,
                    "rate-limited",
                    "Too many requests",
                    format!("Slow down; try again in {retry_after_secs} s."),
                )
            },
            GatewayError::PayloadTooLarge { .. } => Problem::payload_too_large(detail),
            GatewayError::UnsupportedMediaType => Problem::unsupported_media_type(detail),
            GatewayError::UpstreamTimeout(_) => {
                Problem::new(504, "upstream-timeout", "Gateway timeout", detail)
            }
            GatewayError::UpstreamUnavailable(_) => Problem::unavailable(detail),
            GatewayError::CircuitOpen {
                retry_after_secs, ..
            } => Problem {
                retry_after_secs: Some(retry_after_secs),
                ..Problem::unavailable(detail)
            },
            GatewayError::Misconfigured(cause) => Problem::internal(cause),
        }
    }
}
