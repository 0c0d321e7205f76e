//! What the host records about running components: their output, one line per request, and
//! metrics for Prometheus.

pub mod access_log;
pub mod component_log;
pub mod metrics;
pub mod metrics_server;
