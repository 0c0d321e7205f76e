//! How a producer's events reach their consumers, chosen by the component variable
//! `event_transport`:
//! - `redis` (the default): the relay publishes on the producer's Redis channel, consumers
//!   are Redis-trigger components and leave receipts in Redis, ticks come from Redis key
//!   expiry;
//! - `http`: for platforms without a Redis trigger (Fermyon Cloud). The relay POSTs each
//!   event to `/events` of every subscriber named in `event_subscribers`, at its
//!   `<subscriber>_url`, with the internal key; a 2xx answer is the receipt. No Redis is
//!   needed, and there are no ticks: due work runs on the service's next request.
//!
//! Either way the outbox, the idempotent inbox and dead letters work the same.

use spin_sdk::http::{Method, Request, Response};

use crate::client::upstream_url;
use crate::inbox::Delivery;
use crate::{internal_auth, Problem};

/// The route every consumer answers pushed events on.
pub const EVENTS_PATH: &str = "/events";

/// A service's event transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Redis pub/sub at this address (`redis://host:port`).
    Redis { address: String },
    /// HTTP push to each subscriber's [`EVENTS_PATH`].
    Http,
}

impl Transport {
    /// Reads `event_transport` (absent means `redis`) and, for Redis, `redis_address`.
    pub fn from_variables() -> Result<Self, String> {
        let choice = spin_sdk::variables::get("event_transport").unwrap_or_default();
        Self::parse(&choice, || {
            spin_sdk::variables::get("redis_address")
                .map_err(|error| format!("variable redis_address: {error:?}"))
        })
    }

    fn parse(
        choice: &str,
        redis_address: impl FnOnce() -> Result<String, String>,
    ) -> Result<Self, String> {
        match choice.trim() {
            "" | "redis" => Ok(Self::Redis {
                address: redis_address()?,
            }),
            "http" => Ok(Self::Http),
            other => Err(format!(
                "variable event_transport is {other:?}; expected \"redis\" or \"http\""
            )),
        }
    }

    /// The Redis address, when events travel through Redis.
    pub fn redis_address(&self) -> Option<&str> {
        match self {
            Self::Redis { address } => Some(address),
            Self::Http => None,
        }
    }
}

/// POSTs `envelope` to `subscriber`'s [`EVENTS_PATH`]; `Ok` when it answered 2xx.
pub fn push(subscriber: &str, envelope: &str) -> Result<(), String> {
    let key = internal_auth::key().map_err(|_| "internal_api_key is not set".to_owned())?;
    let request = Request::builder()
        .method(Method::Post)
        .uri(format!("{}{EVENTS_PATH}", upstream_url(subscriber)))
        .header("content-type", "application/json")
        .header(internal_auth::HEADER, key)
        .body(envelope.as_bytes().to_vec())
        .build();
    let response: Response = spin_sdk::http::run(spin_sdk::http::send(request))
        .map_err(|error| format!("pushing to {subscriber}: {error}"))?;
    match *response.status() {
        200..=299 => Ok(()),
        status => Err(format!("{subscriber} answered {status}")),
    }
}

/// The answer to a pushed event: 200 with the outcome, or 503 (deliver it again) when the
/// handler failed and the producer should retry.
pub fn pushed_response(outcome: Result<Option<Delivery>, String>) -> Result<Response, Problem> {
    match outcome {
        Ok(Some(Delivery::WillRetry)) => Err(Problem::unavailable(
            "Handling the event failed; deliver it again.",
        )),
        Ok(delivery) => Ok(crate::http::json(
            200,
            &serde_json::json!({ "outcome": delivery.map(|d| format!("{d:?}")) }),
        )),
        Err(error) => {
            eprintln!("handling a pushed event: {error}");
            Err(Problem::unavailable(
                "The event could not be handled now; deliver it again.",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Transport;

    #[test]
    fn redis_is_the_default_and_http_needs_no_redis() {
        let address = || Ok("redis://127.0.0.1:6379".to_owned());
        let redis = Transport::Redis {
            address: "redis://127.0.0.1:6379".into(),
        };
        assert_eq!(Transport::parse("", address).unwrap(), redis);
        assert_eq!(Transport::parse("redis", address).unwrap(), redis);
        let no_redis = || Err("variable redis_address: undefined".to_owned());
        assert_eq!(Transport::parse("http", no_redis).unwrap(), Transport::Http);
        assert!(Transport::parse("redis", no_redis).is_err());
        assert!(Transport::parse("kafka", address)
            .unwrap_err()
            .contains("kafka"));
    }
}
