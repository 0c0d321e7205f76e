//! What the host records about running components: their output, one line per request,
//! metrics for Prometheus, and spans exported over OTLP.

pub mod access_log;
pub mod component_log;
pub mod envelope;
pub mod host_call;
pub mod metrics;
pub mod metrics_server;
pub mod otlp;
pub mod seen_events;
pub mod spans;
pub mod trace;
