//! The host's own refusals of a client's request, as RFC 9457 `application/problem+json`
//! (the same `type` base the services use).

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::WasiBody;

/// The base of every problem `type` URI.
const PROBLEM_TYPE_BASE: &str = "https://wasmart.dev/problems/";

/// A host refusal: `status`, a `slug` naming the problem type, a title and a detail.
/// `close` asks the client to close the connection (the rest of the request was not read).
pub fn problem(
    status: StatusCode,
    slug: &str,
    title: &str,
    detail: &str,
    close: bool,
) -> http::Response<WasiBody> {
    let body = serde_json::json!({
        "type": format!("{PROBLEM_TYPE_BASE}{slug}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    let body = Full::new(Bytes::from(body.to_string()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/problem+json"),
    );
    if close {
        headers.insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    response
}
