//! The HTTP trigger: routing, Spin's request headers, dispatch to components (including
//! chained and self requests) and the server.

pub mod dispatch;
pub mod handler;
pub mod headers;
pub mod router;
pub mod server;
