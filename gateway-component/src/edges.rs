//! What every answer of the public API gets on its way out, and what a client request may
//! carry in: CORS, security headers, the request id, body limits, and which client headers
//! reach a service.

use spin_sdk::http::{Request, Response};

use crate::error::GatewayError;

/// The largest request body the gateway accepts.
pub const MAX_BODY_BYTES: usize = service_kit::http::MAX_BODY_BYTES;

/// Client request headers a service may see; everything else (including any identity
/// header a client makes up) stays at the gateway.
const FORWARDED_REQUEST_HEADERS: [&str; 4] =
    ["content-type", "accept", "idempotency-key", "if-none-match"];

/// Service response headers a client may see.
const RELAYED_RESPONSE_HEADERS: [&str; 6] = [
    "content-type",
    "etag",
    "cache-control",
    "location",
    "retry-after",
    "last-modified",
];

/// Headers a browser may read from a cross-origin answer.
const EXPOSED_HEADERS: &str = "x-request-id, retry-after, location, etag";
/// Headers a browser may send cross-origin.
const ALLOWED_REQUEST_HEADERS: &str =
    "authorization, content-type, idempotency-key, x-request-id, traceparent, if-none-match";

/// The client headers to pass on to a service.
pub fn forwarded_headers(request: &Request) -> Vec<(String, String)> {
    FORWARDED_REQUEST_HEADERS
        .iter()
        .filter_map(|name| {
            let value = request.header(name)?.as_str()?;
            Some((name.to_string(), value.to_owned()))
        })
        .collect()
}

/// 413 for a body over [`MAX_BODY_BYTES`]; 415 for a non-empty body of a JSON route that is
/// not `application/json`.
pub fn check_body(request: &Request, json_body: bool) -> Result<(), GatewayError> {
    let declared = request
        .header("content-length")
        .and_then(|value| value.as_str())
        .and_then(|text| text.trim().parse::<usize>().ok())
        .unwrap_or(0);
    if request.body().len().max(declared) > MAX_BODY_BYTES {
        return Err(GatewayError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if json_body && !request.body().is_empty() && !service_kit::http::declares_json(request) {
        return Err(GatewayError::UnsupportedMediaType);
    }
    Ok(())
}

/// A service's answer as the client gets it: status, body and the relayed headers, with
/// `Location` moved under `/api/v1`.
pub fn relay(upstream: Response) -> Response {
    let mut builder = Response::builder();
    builder.status(*upstream.status());
    for name in RELAYED_RESPONSE_HEADERS {
        let Some(value) = upstream.header(name).and_then(|value| value.as_str()) else {
            continue;
        };
        let value = match name {
            "location" if value.starts_with('/') => format!("/api/v1{value}"),
            _ => value.to_owned(),
        };
        builder.header(name, value);
    }
    builder.body(upstream.into_body()).build()
}

/// The allowed origin of `request`, if it names one of `allowed`.
pub fn allowed_origin(request: &Request, allowed: &[String]) -> Option<String> {
    let origin = request.header("origin")?.as_str()?;
    allowed
        .iter()
        .any(|candidate| candidate == origin)
        .then(|| origin.to_owned())
}

/// The answer to a CORS preflight: 204 for an allowed origin, 403 otherwise.
pub fn preflight(origin: Option<&str>) -> Result<Response, GatewayError> {
    if origin.is_none() {
        return Err(GatewayError::OriginNotAllowed);
    }
    Ok(Response::builder()
        .status(204)
        .header(
            "access-control-allow-methods",
            "GET, POST, PUT, PATCH, DELETE",
        )
        .header("access-control-allow-headers", ALLOWED_REQUEST_HEADERS)
        .header("access-control-max-age", "600")
        .body(())
        .build())
}

/// Stamps every answer: request id, CORS for an allowed origin, security headers, and
/// `no-store` unless a service chose its own caching.
pub fn finish(response: &mut Response, request_id: &str, origin: Option<&str>) {
    response.set_header("x-request-id", request_id);
    if let Some(origin) = origin {
        response.set_header("access-control-allow-origin", origin);
        response.set_header("access-control-expose-headers", EXPOSED_HEADERS);
    }
    response.set_header("vary", "origin");
    response.set_header("x-content-type-options", "nosniff");
    response.set_header("x-frame-options", "DENY");
    response.set_header("referrer-policy", "no-referrer");
    response.set_header(
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    );
    response.set_header("strict-transport-security", "max-age=31536000");
    if response.header("cache-control").is_none() {
        response.set_header("cache-control", "no-store");
    }
}
