//! Helpers the conformance fixtures share.

use spin_sdk::http::{Request, Response};

/// The path below the component's route (Spin's `spin-path-info` header), falling back
/// to the full path, so a fixture can be mounted under any prefix.
pub fn path_info(req: &Request) -> String {
    req.header("spin-path-info")
        .and_then(|v| v.as_str())
        .unwrap_or(req.path())
        .to_owned()
}

/// A response with a JSON body.
pub fn json_response(status: u16, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}
