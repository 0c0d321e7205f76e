//! Calls to the private services: each with a deadline, retried with jittered backoff when
//! the call is idempotent, and guarded by that service's circuit breaker.

use std::time::Duration;

use service_kit::context::{Caller, REQUEST_ID, TRACEPARENT, USER_EMAIL, USER_ID, USER_ROLE};
use service_kit::internal_auth;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::key_value::Store;

use crate::breaker;
use crate::config::{Config, Endpoint, Service};
use crate::error::GatewayError;
use crate::request_context::RequestIds;
use crate::{timer, traffic};

/// Attempts an idempotent call gets in all.
const MAX_ATTEMPTS: u32 = 3;
/// The first retry waits up to this long; each further one twice as long (full jitter).
const BASE_BACKOFF_MS: u64 = 50;

/// One call to a service.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: Service,
    pub method: Method,
    /// The service's private path, with the query string.
    pub path_and_query: String,
    /// Client headers passed on (never identity headers: the gateway sets those).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the call may be repeated safely (idempotent method, or an `Idempotency-Key`).
    pub retryable: bool,
}

impl Call {
    /// A `GET` of `path_and_query` on `service` (retryable).
    pub fn get(service: Service, path_and_query: impl Into<String>) -> Self {
        Self {
            service,
            method: Method::Get,
            path_and_query: path_and_query.into(),
            headers: Vec::new(),
            body: Vec::new(),
            retryable: true,
        }
    }
}

/// What upstream calls of one gateway request share: its configuration, its ids, its
/// caller, the time each call may take, and the store holding the circuit breakers.
pub struct Upstreams<'a> {
    pub config: &'a Config,
    pub ids: &'a RequestIds,
    pub caller: Option<&'a Caller>,
    pub timeout: Duration,
    pub store: Option<&'a Store>,
}

/// How a service answered a health probe.
pub struct Probe {
    /// The response status, or `None` when there was none in time.
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub circuit: breaker::State,
}

impl Upstreams<'_> {
    /// Sends `call` within the deadline; a 5xx answer, a transport error or a timeout counts
    /// as a failure of the service (4xx answers are the client's problem and pass through).
    pub async fn send(&self, call: &Call) -> Result<Response, GatewayError> {
        let endpoint = self.config.endpoint(call.service)?;
        self.admit(call.service)?;
        let started = timer::now_ns();
        let deadline = timer::now_ns().saturating_add(self.timeout.as_nanos() as u64);
        let mut attempt = 1;
        let outcome = loop {
            let request = self.request(call, &endpoint);
            let failure =
                match timer::until(deadline, spin_sdk::http::send::<_, Response>(request)).await {
                    None => break Err(GatewayError::UpstreamTimeout(call.service)),
                    Some(Ok(response)) if *response.status() < 500 => break Ok(response),
                    Some(Ok(response)) => format!("answered {}", response.status()),
                    Some(Err(error)) => error.to_string(),
                };
            self.log(call, &format!("attempt {attempt} failed: {failure}"));
            let backoff = backoff(attempt);
            let time_left = timer::now_ns().saturating_add(backoff.as_nanos() as u64) < deadline;
            if !call.retryable || attempt >= MAX_ATTEMPTS || !time_left {
                break Err(GatewayError::UpstreamUnavailable(call.service));
            }
            timer::sleep(backoff).await;
            attempt += 1;
        };
        if let Err(error) = &outcome {
            self.log(call, &error.to_string());
        }
        let latency_ms = (timer::now_ns() - started) / 1_000_000;
        self.record(call.service, outcome.is_ok(), latency_ms);
        outcome
    }

    /// Probes `service`'s liveness route once, within the deadline, past its circuit.
    pub async fn probe(&self, service: Service) -> Probe {
        let circuit = self
            .store
            .map(|store| breaker::load(store, service).state(service_kit::clock::now_ms()))
            .unwrap_or(breaker::State::Closed);
        let started = timer::now_ns();
        let status = match self.config.endpoint(service) {
            Ok(endpoint) => {
                let call = Call::get(service, service_kit::router::HEALTH_PATH);
                let deadline = started.saturating_add(self.timeout.as_nanos() as u64);
                let send = spin_sdk::http::send::<_, Response>(self.request(&call, &endpoint));
                match timer::until(deadline, send).await {
                    Some(Ok(response)) => Some(*response.status()),
                    _ => None,
                }
            }
            Err(_) => None,
        };
        Probe {
            status,
            latency_ms: (timer::now_ns() - started) / 1_000_000,
            circuit,
        }
    }

    /// Fails fast while `service`'s circuit is open.
    fn admit(&self, service: Service) -> Result<(), GatewayError> {
        let Some(store) = self.store else {
            return Ok(());
        };
        let before = breaker::load(store, service);
        let mut circuit = before.clone();
        let admitted = circuit.admit(service_kit::clock::now_ms());
        breaker::save(store, service, &before, &circuit);
        admitted.map_err(|retry_after_secs| GatewayError::CircuitOpen {
            service,
            retry_after_secs,
        })
    }

    /// Records a call's outcome in `service`'s circuit (read again: other requests may have
    /// changed it meanwhile) and in its traffic.
    fn record(&self, service: Service, succeeded: bool, latency_ms: u64) {
        let Some(store) = self.store else {
            return;
        };
        let now_ms = service_kit::clock::now_ms();
        traffic::record(store, service, latency_ms, !succeeded, now_ms);
        let before = breaker::load(store, service);
        let mut circuit = before.clone();
        if succeeded {
            circuit.succeeded();
        } else {
            circuit.failed(now_ms);
        }
        breaker::save(store, service, &before, &circuit);
    }

    /// The outgoing request: the call's own headers and body, plus the request id, a child
    /// trace span, the internal key and the verified caller.
    fn request(&self, call: &Call, endpoint: &Endpoint<'_>) -> Request {
        let mut builder = Request::builder();
        builder
            .method(call.method.clone())
            .uri(format!("{}{}", endpoint.base_url, call.path_and_query));
        for (name, value) in &call.headers {
            builder.header(name.as_str(), value.as_str());
        }
        builder
            .header(REQUEST_ID, self.ids.request_id.as_str())
            .header(TRACEPARENT, self.ids.upstream_traceparent())
            .header(internal_auth::HEADER, endpoint.internal_key);
        if let Some(caller) = self.caller {
            builder
                .header(USER_ID, caller.user_id.as_str())
                .header(USER_ROLE, caller.role.as_str());
            if let Some(email) = &caller.email {
                builder.header(USER_EMAIL, email.as_str());
            }
        }
        builder.body(call.body.clone()).build()
    }

    fn log(&self, call: &Call, message: &str) {
        eprintln!(
            "gateway: {} {} {}: {message} (request {})",
            call.service.name(),
            call.method,
            call.path_and_query,
            self.ids.request_id
        );
    }
}

/// The wait before retry number `attempt`: uniformly random up to
/// `BASE_BACKOFF_MS * 2^(attempt-1)` ("full jitter"), so retries of many clients spread out.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BASE_BACKOFF_MS << (attempt - 1).min(6);
    let random = uuid::Uuid::new_v4().as_u64_pair().0;
    Duration::from_millis(random % (ceiling + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_under_its_ceiling() {
        for _ in 0..100 {
            assert!(backoff(1) <= Duration::from_millis(50));
            assert!(backoff(2) <= Duration::from_millis(100));
        }
        let spread: std::collections::HashSet<_> = (0..50).map(|_| backoff(2)).collect();
        assert!(spread.len() > 5, "backoff is jittered");
    }
}
