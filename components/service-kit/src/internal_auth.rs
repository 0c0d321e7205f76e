//! Service-to-service authentication.
//!
//! A service's routes (`/internal/<service>/...`) are reachable over the network whenever it
//! runs in a host process of its own, so identity headers alone prove nothing. Every caller
//! (the gateway, and services calling each other) presents the app's internal key in
//! [`HEADER`]; a service answers nothing else. The key is the secret variable
//! `internal_api_key`.

use spin_sdk::http::Request;

use crate::Problem;

/// The header carrying the internal key.
pub const HEADER: &str = "x-wasmart-internal-key";
/// The component variable holding the key.
const VARIABLE: &str = "internal_api_key";

/// The internal key this component presents and accepts.
pub fn key() -> Result<String, Problem> {
    spin_sdk::variables::get(VARIABLE).map_err(|error| {
        Problem::unavailable(format!(
            "This service is misconfigured: {VARIABLE} is not set ({error})."
        ))
    })
}

/// Admits `request` only if it carries the internal key; 401 otherwise.
pub fn verify(request: &Request) -> Result<(), Problem> {
    let expected = key()?;
    let presented = request
        .header(HEADER)
        .map(|value| value.as_bytes())
        .unwrap_or_default();
    if keys_match(presented, expected.as_bytes()) {
        Ok(())
    } else {
        Err(Problem::unauthorized(
            "This is an internal route: callers must present the service key.",
        ))
    }
}

/// Compares in time independent of where the keys differ (an empty key never matches).
fn keys_match(presented: &[u8], expected: &[u8]) -> bool {
    if expected.is_empty() || presented.len() != expected.len() {
        return false;
    }
    presented
        .iter()
        .zip(expected)
        .fold(0u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::keys_match;

    #[test]
    fn only_the_same_non_empty_key_matches() {
        assert!(keys_match(b"s3cret-key", b"s3cret-key"));
        assert!(!keys_match(b"s3cret-kez", b"s3cret-key"));
        assert!(!keys_match(b"s3cret", b"s3cret-key"));
        assert!(!keys_match(b"", b""));
        assert!(!keys_match(b"s3cret-key-and-more", b"s3cret-key"));
    }
}
