//! The gateway's own key-guarded route for other components, below [`PREFIX`]:
//! `GET /traffic?window_seconds=`, the upstream calls it measured (see `traffic`), which
//! telemetry reads.

use service_kit::http::{json, Query};
use service_kit::{internal_auth, FieldError, Problem};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::key_value::Store;

use crate::traffic;

/// Where the route sits: the gateway's second HTTP route in `spin.toml`.
pub const PREFIX: &str = "/internal/gateway";

/// The longest window that may be asked for (what the gateway keeps).
const MAX_WINDOW_SECONDS: u32 = 3600;

/// Answers a request to `path` (below [`PREFIX`]).
pub fn serve(request: &Request, path: &str) -> Response {
    answer(request, path).unwrap_or_else(Problem::into_response)
}

fn answer(request: &Request, path: &str) -> Result<Response, Problem> {
    internal_auth::verify(request)?;
    match (request.method(), path) {
        (Method::Get, "/traffic") => {}
        (_, "/traffic") => {
            return Err(Problem::method_not_allowed(format!(
                "{} is not allowed here; use GET.",
                request.method()
            )))
        }
        _ => {
            return Err(Problem::not_found(format!(
                "No resource at {PREFIX}{path}."
            )))
        }
    }
    let window_seconds = Query::from_request(request)
        .parse_opt(
            "window_seconds",
            &format!("an integer from 1 to {MAX_WINDOW_SECONDS}"),
            |text| {
                text.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_WINDOW_SECONDS).contains(n))
            },
        )
        .map_err(|error: FieldError| Problem::validation(vec![error]))?
        .unwrap_or(300);
    let store = Store::open(crate::STORE)
        .map_err(|error| Problem::internal(format!("opening {}: {error:?}", crate::STORE)))?;
    let services = traffic::sums(&store, window_seconds, service_kit::clock::now_ms());
    Ok(json(
        200,
        &serde_json::json!({ "window_seconds": window_seconds, "services": services }),
    ))
}
