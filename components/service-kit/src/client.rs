//! Calls to other services: by Spin service chaining, or at a URL a variable names.

use serde::de::DeserializeOwned;
use spin_sdk::http::{Method, Request, Response};

use crate::context::RequestContext;
use crate::Problem;

/// A failed call to another service.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The service could not be reached, or answered 5xx.
    #[error("{service} is unavailable: {reason}")]
    Unavailable { service: String, reason: String },
    /// The service answered with a 4xx problem.
    #[error("{service} rejected the call: {problem}")]
    Rejected {
        service: String,
        problem: Box<Problem>,
    },
}

impl From<CallError> for Problem {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Unavailable { .. } => Problem::unavailable(error.to_string()),
            CallError::Rejected { problem, .. } => *problem,
        }
    }
}

/// The base URL of the service `name`: the component variable `<name>_url` when the
/// manifest sets it (a service deployed elsewhere is then reached by changing a variable),
/// else `http://<name>.spin.internal` (Spin service chaining within this app).
pub fn upstream_url(name: &str) -> String {
    spin_sdk::variables::get(&format!("{name}_url"))
        .map(|url| url.trim_end_matches('/').to_owned())
        .unwrap_or_else(|_| format!("http://{name}.spin.internal"))
}

/// Calls another service at `base_url` (e.g. `http://catalog.spin.internal` by Spin service
/// chaining), presenting the internal key and forwarding the request context, and parses its
/// JSON answer. A 404 or a 204 is returned as `Ok(None)`.
pub fn call_json<T: DeserializeOwned>(
    context: &RequestContext,
    method: Method,
    base_url: &str,
    path_and_query: &str,
    body: Option<&serde_json::Value>,
) -> Result<Option<T>, CallError> {
    let service = base_url.trim_start_matches("http://").to_owned();
    let mut builder = Request::builder();
    builder.method(method).uri(format!(
        "{}{}",
        base_url.trim_end_matches('/'),
        path_and_query
    ));
    context.forward(&mut builder);
    let key = crate::internal_auth::key().map_err(|_| CallError::Unavailable {
        service: service.clone(),
        reason: "internal_api_key is not set".to_owned(),
    })?;
    builder.header(crate::internal_auth::HEADER, key);
    if let Some(body) = body {
        builder
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response: Response =
        spin_sdk::http::run(spin_sdk::http::send(builder.build())).map_err(|error| {
            CallError::Unavailable {
                service: service.clone(),
                reason: error.to_string(),
            }
        })?;
    let status = *response.status();
    match status {
        204 => Ok(None),
        200..=299 => serde_json::from_slice(response.body())
            .map(Some)
            .map_err(|error| CallError::Unavailable {
                service,
                reason: format!("unreadable answer: {error}"),
            }),
        404 => Ok(None),
        400..=499 => {
            let detail = serde_json::from_slice::<serde_json::Value>(response.body())
                .ok()
                .and_then(|body| {
                    body.get("detail")
                        .and_then(|d| d.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| format!("status {status}"));
            Err(CallError::Rejected {
                service,
                problem: Box::new(Problem::new(
                    status,
                    "upstream-rejected",
                    "Rejected",
                    detail,
                )),
            })
        }
        _ => Err(CallError::Unavailable {
            service,
            reason: format!("status {status}"),
        }),
    }
}
