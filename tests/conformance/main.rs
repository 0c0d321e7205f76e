//! Conformance suite: Spin guest fixtures (`fixtures/*`, built with spin-sdk 5) run
//! through `wasmart_host::testing`, checking the host behaves like Spin 3.
//!
//! The fixtures are built once per test process by [`fixtures::wasm`]; see that module
//! for the cargo command.

mod chaining;
mod environment;
mod files;
mod fixtures;
mod headers;
mod hostile;
mod isolation;
mod key_value;
mod logs;
mod outbound_http;
mod redis;
mod routing;
mod slow_clients;
mod sqlite;
mod support;
mod variables;
