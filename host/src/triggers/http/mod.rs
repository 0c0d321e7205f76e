//! The HTTP trigger: the server and what it allows clients, routing, Spin's request headers,
//! dispatch to components (including chained and self requests).

pub mod body;
pub mod connections;
pub mod dispatch;
pub mod handler;
pub mod headers;
pub mod limits;
pub mod problem;
pub mod router;
pub mod server;
