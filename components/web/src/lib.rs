//! `web`: serves the single-page app from the folder mounted at `/`.
//!
//! - `GET`/`HEAD` only (405 otherwise); `/api/...` is never served here (404).
//! - Content type by extension; a strong `ETag` from the content, `If-None-Match` gives 304.
//! - `index.html` is `no-cache`; files under `/assets/` (content-hashed by the bundler) are
//!   cached for a year; anything else for five minutes.
//! - A `.br` or `.gz` sibling is served when the client accepts that encoding.
//! - A path without a file extension that names no file is a client-side route: it gets
//!   `index.html`. A missing file with an extension is a 404.

mod files;

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    if !matches!(request.method(), Method::Get | Method::Head) {
        return Response::builder()
            .status(405)
            .header("allow", "GET, HEAD")
            .body(())
            .build();
    }
    let path = request.path();
    if path == "/api" || path.starts_with("/api/") {
        return not_found();
    }
    let Some(asset) = files::resolve(path) else {
        return not_found();
    };
    let accepted = request
        .header("accept-encoding")
        .and_then(|h| h.as_str())
        .unwrap_or_default();
    let Some(found) = files::read(&asset, accepted) else {
        return not_found();
    };
    let etag = format!("\"{:016x}\"", files::fingerprint(&found.bytes));
    let mut response = Response::builder();
    response
        .header("etag", etag.as_str())
        .header("cache-control", files::cache_control(&asset))
        .header("content-type", files::content_type(&asset))
        .header("vary", "accept-encoding")
        .header("x-content-type-options", "nosniff");
    if let Some(encoding) = found.encoding {
        response.header("content-encoding", encoding);
    }
    let not_modified = request
        .header("if-none-match")
        .and_then(|h| h.as_str())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if not_modified {
        return response.status(304).body(()).build();
    }
    let body = if *request.method() == Method::Head {
        Vec::new()
    } else {
        found.bytes
    };
    response.status(200).body(body).build()
}

fn not_found() -> Response {
    Response::builder()
        .status(404)
        .header("content-type", "text/plain; charset=utf-8")
        .body("Not Found\n")
        .build()
}
