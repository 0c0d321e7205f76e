//! The HTTP trigger: routing, Spin's request headers and the server.

pub mod headers;
pub mod router;
pub mod server;
