//! What the HTTP server allows one client: how long it may take to send a request head and a
//! body, how large a body may be (for the app, or per component), and how many connections it
//! may hold open (in all, and per client address). See `docs/security.md`.

use std::collections::HashMap;
use std::time::Duration;

/// The HTTP server's limits; `Default` gives `wasmart up`'s defaults.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Time to send a whole request head, from the connection's start or its previous
    /// response (so it also closes idle keep-alive connections).
    pub header_read_timeout: Duration,
    /// Header fields in one request head.
    pub max_headers: usize,
    /// Bytes of one request head (request line and headers).
    pub max_header_bytes: usize,
    /// Longest pause between two pieces of a request body.
    pub body_idle_timeout: Duration,
    /// Time to send a whole request body.
    pub body_timeout: Duration,
    /// Request body bytes for every component without an override.
    pub max_body_bytes: u64,
    /// `--component-max-body-bytes ID=BYTES`: per-component overrides of `max_body_bytes`.
    pub component_max_body_bytes: HashMap<String, u64>,
    /// Connections open at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// Connections open at once from one client address (an IPv6 client: its /64); more
    /// are closed on accept.
    pub max_connections_per_client: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_headers: 100,
            max_header_bytes: 64 * 1024,
            body_idle_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            component_max_body_bytes: HashMap::new(),
            max_connections: 2048,
            max_connections_per_client: 256,
        }
    }
}

impl HttpLimits {
    /// The request body limit of component `id`.
    pub fn max_body_bytes_for(&self, id: Option<&str>) -> u64 {
        id.and_then(|id| self.component_max_body_bytes.get(id))
            .copied()
            .unwrap_or(self.max_body_bytes)
    }
}
