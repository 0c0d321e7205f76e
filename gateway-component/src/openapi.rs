//! `GET /openapi.json`: the API's contract, `docs/openapi.yaml`, compiled into the gateway
//! so the document served is always the one the gateway was built with.

use spin_sdk::http::Response;

use crate::error::GatewayError;

/// `docs/openapi.yaml`.
pub const DOCUMENT: &str = include_str!("../../docs/openapi.yaml");

/// The document as JSON.
pub fn serve() -> Result<Response, GatewayError> {
    let document: serde_json::Value = serde_norway::from_str(DOCUMENT)
        .map_err(|error| GatewayError::Misconfigured(format!("docs/openapi.yaml: {error}")))?;
    let mut response = service_kit::http::json(200, &document);
    response.set_header("cache-control", "public, max-age=300");
    Ok(response)
}
