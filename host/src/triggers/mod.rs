//! Triggers: what makes components run.

pub mod http;
pub mod redis;
