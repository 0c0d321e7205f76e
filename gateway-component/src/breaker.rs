//! Circuit breakers, one per upstream service, whose state lives in the gateway's
//! key-value store so that it survives across requests.
//!
//! Closed: calls go through; [`FAILURE_THRESHOLD`] failures in a row open the circuit.
//! Open: calls fail fast with 503 and `Retry-After` for [`OPEN_FOR_MS`].
//! Half-open (after that): one trial call goes through; its success closes the circuit,
//! its failure opens it again. Other calls keep failing fast while the trial runs.
//!
//! Like the rate limiter, updates are last-write-wins (Spin's key-value store has no
//! compare-and-swap), so two concurrent requests may both become the trial call.

use serde::{Deserialize, Serialize};
use spin_sdk::key_value::Store;

use crate::config::Service;

/// Failures in a row that open a circuit.
pub const FAILURE_THRESHOLD: u32 = 5;
/// How long an open circuit refuses calls before it lets a trial through.
pub const OPEN_FOR_MS: i64 = 10_000;

/// The stored state of one service's circuit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Circuit {
    consecutive_failures: u32,
    /// When the circuit opened; `None` while closed.
    opened_at_ms: Option<i64>,
    /// When the running half-open trial call started.
    trial_started_at_ms: Option<i64>,
}

/// What a caller sees of a circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    Open,
    HalfOpen,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        }
    }
}

impl Circuit {
    /// The state at `now_ms`.
    pub fn state(&self, now_ms: i64) -> State {
        match self.opened_at_ms {
            None => State::Closed,
            Some(opened) if now_ms - opened < OPEN_FOR_MS => State::Open,
            Some(_) => State::HalfOpen,
        }
    }

    /// Whether a call may go out at `now_ms`: `Err(seconds)` to wait when not. In half-open
    /// state the first caller becomes the trial (a trial older than [`OPEN_FOR_MS`] is
    /// presumed lost and replaced).
    pub fn admit(&mut self, now_ms: i64) -> Result<(), u32> {
        match self.state(now_ms) {
            State::Closed => Ok(()),
            State::Open => {
                let opened = self.opened_at_ms.unwrap_or(now_ms);
                Err(seconds(OPEN_FOR_MS - (now_ms - opened)))
            }
            State::HalfOpen => match self.trial_started_at_ms {
                Some(started) if now_ms - started < OPEN_FOR_MS => Err(1),
                _ => {
                    self.trial_started_at_ms = Some(now_ms);
                    Ok(())
                }
            },
        }
    }

    /// Records a successful call: the circuit closes.
    pub fn succeeded(&mut self) {
        *self = Circuit::default();
    }

    /// Records a failed call at `now_ms`.
    pub fn failed(&mut self, now_ms: i64) {
        self.consecutive_failures += 1;
        let trial_failed = self.trial_started_at_ms.take().is_some();
        if trial_failed || self.consecutive_failures >= FAILURE_THRESHOLD {
            self.opened_at_ms = Some(now_ms);
        }
    }
}

fn seconds(ms: i64) -> u32 {
    ((ms.max(0) + 999) / 1000).max(1) as u32
}

fn key(service: Service) -> String {
    format!("circuit:{}", service.name())
}

/// Reads `service`'s circuit (closed when nothing is stored or the store fails).
pub fn load(store: &Store, service: Service) -> Circuit {
    store
        .get(&key(service))
        .ok()
        .flatten()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Stores `circuit` for `service` if it differs from `before`.
pub fn save(store: &Store, service: Service, before: &Circuit, circuit: &Circuit) {
    if before == circuit {
        return;
    }
    let result = serde_json::to_vec(circuit)
        .map_err(|error| error.to_string())
        .and_then(|bytes| {
            store
                .set(&key(service), &bytes)
                .map_err(|error| format!("{error:?}"))
        });
    if let Err(error) = result {
        eprintln!("gateway: saving the {} circuit: {error}", service.name());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_fails_fast() {
        let mut circuit = Circuit::default();
        for _ in 0..FAILURE_THRESHOLD - 1 {
            circuit.failed(0);
        }
        assert_eq!(circuit.state(0), State::Closed);
        circuit.failed(1_000);
        assert_eq!(circuit.state(1_000), State::Open);
        assert_eq!(circuit.admit(1_000), Err(10));
        assert_eq!(circuit.admit(10_500), Err(1));
    }

    #[test]
    fn a_success_in_between_resets_the_count() {
        let mut circuit = Circuit::default();
        for _ in 0..FAILURE_THRESHOLD - 1 {
            circuit.failed(0);
        }
        circuit.succeeded();
        circuit.failed(0);
        assert_eq!(circuit.state(0), State::Closed);
    }

    #[test]
    fn half_open_lets_one_trial_through() {
        let mut circuit = Circuit::default();
        for _ in 0..FAILURE_THRESHOLD {
            circuit.failed(0);
        }
        assert_eq!(circuit.state(OPEN_FOR_MS), State::HalfOpen);
        assert_eq!(circuit.admit(OPEN_FOR_MS), Ok(()));
        assert_eq!(
            circuit.admit(OPEN_FOR_MS + 1),
            Err(1),
            "one trial at a time"
        );
        circuit.failed(OPEN_FOR_MS + 2);
        assert_eq!(
            circuit.state(OPEN_FOR_MS + 3),
            State::Open,
            "a failed trial reopens"
        );
        assert_eq!(circuit.admit(3 * OPEN_FOR_MS), Ok(()));
        circuit.succeeded();
        assert_eq!(circuit.state(3 * OPEN_FOR_MS), State::Closed);
    }
}
