//! The request id and W3C trace context of one gateway request: accepted from the client
//! when well-formed, created otherwise, and passed on to every upstream call.

use service_kit::context::{is_traceparent, new_traceparent};
use spin_sdk::http::Request;

/// The longest client-chosen request id the gateway accepts.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Ids that tie a request's logs, upstream calls and answer together.
#[derive(Debug, Clone)]
pub struct RequestIds {
    pub request_id: String,
    /// The trace this request belongs to, with the gateway's own span as parent id.
    pub traceparent: String,
}

impl RequestIds {
    /// Takes `X-Request-Id` and `traceparent` from `request` when well-formed, or makes new
    /// ones. A client's traceparent keeps its trace id; the gateway's span gets a new id.
    pub fn from_request(request: &Request) -> Self {
        let header = |name: &str| {
            request
                .header(name)
                .and_then(|value| value.as_str())
                .map(str::trim)
                .map(str::to_owned)
        };
        let request_id = header("x-request-id")
            .filter(|id| is_request_id(id))
            .unwrap_or_else(service_kit::ids::random_uuid);
        let traceparent = match header("traceparent").filter(|value| is_traceparent(value)) {
            Some(incoming) => child_span(&incoming),
            None => new_traceparent(),
        };
        Self {
            request_id,
            traceparent,
        }
    }

    /// A traceparent for one upstream call: same trace, a new span id.
    pub fn upstream_traceparent(&self) -> String {
        child_span(&self.traceparent)
    }
}

/// Whether a client-chosen request id is safe to log and echo: 1-128 characters of
/// letters, digits and `-_.:`.
fn is_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// `traceparent` with the same version, trace id and flags and a fresh span id.
fn child_span(traceparent: &str) -> String {
    let fresh = new_traceparent();
    let span = fresh.split('-').nth(2).unwrap_or_default();
    let parts: Vec<&str> = traceparent.split('-').collect();
    match parts.as_slice() {
        [version, trace, _, flags] => format!("{version}-{trace}-{span}-{flags}"),
        _ => fresh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_checked() {
        assert!(is_request_id("abc-123_x.y:z"));
        assert!(!is_request_id(""));
        assert!(!is_request_id("a b"));
        assert!(!is_request_id("<script>"));
        assert!(!is_request_id(&"a".repeat(129)));
    }

    #[test]
    fn a_child_span_keeps_the_trace() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let child = child_span(parent);
        assert!(is_traceparent(&child));
        assert!(child.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        assert!(child.ends_with("-01"));
        assert_ne!(child, parent);
    }
}
