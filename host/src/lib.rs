//! `wasmart-host`: a Spin-compatible runtime on wasmtime. It runs an unmodified `spin.toml` and
//! unmodified Spin components the way `spin up` does. (Tests drive it through the
//! `wasmart-testing` crate.)

#![forbid(unsafe_code)]

pub mod allowed_hosts;
pub mod app;
pub mod bindings;
pub mod build;
pub mod capabilities;
pub mod engine;
pub mod executor;
pub mod manifest;
pub mod observability;
pub mod redis_server;
pub mod runtime_config;
pub mod state_dir;
pub mod triggers;

pub use app::{App, AppOptions, RunningApp, DEFAULT_MAX_EVENT_INSTANCES};
