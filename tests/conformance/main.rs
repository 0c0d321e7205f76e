//! Conformance suite: Spin guest fixtures (`fixtures/*`, built with spin-sdk 5) run on
//! `wasmart-host` through `wasmart_testing`, checking the host behaves like Spin 3: routing,
//! headers, chaining, outbound HTTP and Redis, the Redis trigger, key-value, SQLite,
//! variables, files, environment, logs and instance isolation.
//!
//! The fixtures are built once per test process by `wasmart_testing::fixtures::wasm`
//! (skipped when `WASMART_COMPONENTS_PREBUILT` is set).

#![forbid(unsafe_code)]

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
