//! What telemetry does with each event it consumes: counts it, whatever its type, for its
//! producer. Runs inside the inbox transaction, so a redelivered event is counted once.

use service_kit::clock::{now_ms, parse_rfc3339};
use service_kit::db::Db;
use service_kit::events::Envelope;
use service_kit::inbox::HandlerError;

use crate::repository;

/// Counts one event, with its lag: how long after it occurred telemetry received it.
pub fn handle(db: &Db, envelope: &Envelope) -> Result<(), HandlerError> {
    let now = now_ms();
    let occurred = parse_rfc3339(&envelope.occurred_at).ok_or_else(|| {
        HandlerError::Reject(format!(
            "occurred_at {} is not RFC 3339",
            envelope.occurred_at
        ))
    })?;
    let lag_ms = (now - occurred).max(0);
    repository::record(db, &envelope.producer, &envelope.event_type, lag_ms, now)?;
    Ok(())
}
