//! One service's side of the event system, configured once from the component's variables
//! `event_transport`, `redis_address` and `event_subscribers`: its outbox relay, its tick,
//! and its idempotent consumer. [`crate::service`] runs them for every request and message.

use spin_sdk::sqlite::Error;

use crate::clock::now_ms;
use crate::db::Db;
use crate::inbox::Consumer;
use crate::outbox::{parse_subscribers, Relay, RelayReport};
use crate::tick;
use crate::transport::Transport;

/// A service's messaging configuration.
pub struct Messaging {
    service: &'static str,
    transport: Transport,
    subscribers: String,
}

impl Messaging {
    /// Reads the transport (see [`Transport::from_variables`]) and, for producers,
    /// `event_subscribers`.
    pub fn from_variables(service: &'static str) -> Result<Self, String> {
        let subscribers = spin_sdk::variables::get("event_subscribers").unwrap_or_default();
        Ok(Self {
            service,
            transport: Transport::from_variables()?,
            subscribers,
        })
    }

    /// The service name: the producer name on its events and its consumer name.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// Publishes and confirms the outbox; while anything is unconfirmed, asks for a tick
    /// when the next row is due. Call after every commit that enqueued events, and on every
    /// request or message the service handles (a cheap indexed query when idle).
    pub fn relay(&self, db: &Db) -> Result<RelayReport, Error> {
        let subscribers = |channel: &str| parse_subscribers(&self.subscribers, channel);
        let report = Relay {
            transport: &self.transport,
            subscribers: &subscribers,
        }
        .run(db)?;
        if let Some(due) = report.next_due_at {
            self.schedule_tick(due - now_ms());
        }
        Ok(report)
    }

    /// Whether ticks exist: only with Redis (see [`Self::schedule_tick`]).
    pub fn has_ticks(&self) -> bool {
        self.transport.redis_address().is_some()
    }

    /// Asks for a tick in `delay_ms` (for background work other than the relay). Without
    /// Redis there are no ticks: the work waits for the service's next request.
    pub fn schedule_tick(&self, delay_ms: i64) {
        if let Some(address) = self.transport.redis_address() {
            tick::schedule(address, self.service, delay_ms);
        }
    }

    /// The idempotent consumer for this service.
    pub fn consumer(&self) -> Consumer<'_> {
        Consumer {
            name: self.service,
            redis_address: self.transport.redis_address(),
        }
    }
}
