//! One module per host interface a Spin component may import. Each checks the component's
//! grant first, then calls its backend.

pub mod key_value;
pub mod outbound_http;
pub mod outbound_redis;
pub mod sqlite;
pub mod variables;
