//! Test support shared by Wasmart's suites (`tests/`: conformance, components, contracts;
//! `host/tests/cli.rs`): start an application on `wasmart-host` with a fresh state dir
//! ([`TestApp`]), send it requests ([`HttpClient`]), run private Redis servers
//! ([`RedisServer`]), build the components and fixtures once per test process
//! ([`built_components`], [`fixtures`]), and poll until something holds ([`eventually`]).

#![forbid(unsafe_code)]

mod app;
mod client;
pub mod fixtures;
mod redis;
mod wait;
mod workspace;

pub use app::{TestApp, TestOptions};
pub use client::{free_port, HttpClient, TestResponse};
pub use redis::{RedisServer, RedisSubscription};
pub use wait::eventually;
pub use workspace::{
    built_components, host_binary, target_dir, wasm_dir, workspace_root, workspace_toml, PREBUILT,
};
