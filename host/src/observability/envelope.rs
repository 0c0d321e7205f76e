//! What the host reads of a Redis message: every Wasmart event is a JSON envelope with an
//! `id`, a `type` and the `traceparent` of the request that caused it. The access log, the
//! consumer span of a delivery and the span of a publish use these; other payloads are
//! opaque.

use serde::Deserialize;

use super::trace::SpanContext;

/// The envelope fields the host uses; all `None` for a payload that is not an envelope.
#[derive(Debug, Default, Deserialize)]
pub struct EventEnvelope {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub traceparent: Option<String>,
}

impl EventEnvelope {
    /// Reads `payload`, if it is a JSON object (other fields are skipped, not kept).
    pub fn read(payload: &[u8]) -> Self {
        if payload.first() != Some(&b'{') {
            return Self::default();
        }
        serde_json::from_slice(payload).unwrap_or_default()
    }

    /// The trace context of the request that caused the event.
    pub fn trace_context(&self) -> Option<SpanContext> {
        self.traceparent.as_deref().and_then(SpanContext::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_read_and_other_payloads_ignored() {
        let envelope = EventEnvelope::read(
            br#"{"id":"e1","type":"OrderCreated","version":1,"payload":{"x":[1]},
               "traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}"#,
        );
        assert_eq!(envelope.id.as_deref(), Some("e1"));
        assert_eq!(envelope.event_type.as_deref(), Some("OrderCreated"));
        assert_eq!(
            envelope.trace_context().unwrap().trace_id_hex(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        for other in [&b"plain text"[..], b"{not json", b"{\"id\":3}", b""] {
            let envelope = EventEnvelope::read(other);
            assert!(envelope.id.is_none() && envelope.trace_context().is_none());
        }
    }
}
