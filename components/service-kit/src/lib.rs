//! What every Wasmart service shares, and nothing that belongs to one service.
//!
//! - [`money`], [`ids`]: value types that parse, so invalid values never enter a service.
//! - [`integer`]: JSON integers as JSON Schema counts them (`82.0` is 82).
//! - [`problem`]: RFC 9457 `application/problem+json` errors, the only error shape on the wire.
//! - [`context`]: the request context the gateway passes on (request id, trace, caller).
//! - [`http`]: JSON bodies and responses, query strings and paths; [`router`]: a small
//!   router whose misses are problems too; [`client`]: calls to other services.
//! - [`service`]: the skeleton of a service (name, database, events, background work,
//!   routes), and [`scope`]: what one request or message uses, its database opened once.
//! - [`internal_auth`]: the key every service-to-service call presents.
//! - [`token`]: the signed access tokens accounts issues and the gateway checks.
//! - [`db`]: SQLite access with migrations tracked by version, and transactions.
//! - [`events`]: the event envelope and the typed payload of every integration event.
//! - [`outbox`], [`inbox`], [`receipts`], [`tick`], wired together by [`messaging`]: reliable delivery on
//!   top of at-most-once pub/sub, or HTTP push where there is no Redis trigger
//!   ([`transport`]; see `docs/events.md`).
//! - [`traffic`]: request counts and latency histograms, as the gateway measures them and
//!   telemetry reads them.

pub mod client;
pub mod clock;
pub mod context;
pub mod db;
pub mod events;
pub mod http;
pub mod ids;
pub mod inbox;
pub mod integer;
pub mod internal_auth;
pub mod messaging;
pub mod money;
pub mod outbox;
pub mod problem;
pub mod receipts;
pub mod router;
pub mod scope;
pub mod service;
pub mod tick;
pub mod token;
pub mod traffic;
pub mod transport;

pub use problem::{FieldError, Problem};
