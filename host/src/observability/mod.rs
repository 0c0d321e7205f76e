//! What the host records about running components: their output and one line per request.

pub mod access_log;
pub mod component_log;
