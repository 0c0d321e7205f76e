//! A service's clock: Spin has no timer trigger, so a service that has background work
//! (relaying its outbox, watching for stuck orders) sets a Redis key with a time to live,
//! and Redis announces its expiry on the keyevent channel, which the service's Redis trigger
//! subscribes to. Redis must have expiry notifications on (`notify-keyspace-events Ex`);
//! `wasmart up` starts its private Redis that way. Without them the work still happens, on
//! the service's next request or event, only later.

use spin_sdk::redis::{Connection, RedisParameter};

/// The channel Redis announces expired keys of database 0 on.
pub const EXPIRED_CHANNEL: &str = "__keyevent@0__:expired";

/// The tick key of `service`.
pub fn key(service: &str) -> String {
    format!("wasmart:tick:{service}")
}

/// Whether `message` (received on [`EXPIRED_CHANNEL`]) is `service`'s tick.
pub fn is_tick(message: &[u8], service: &str) -> bool {
    message == key(service).as_bytes()
}

/// Whether `message` is an expiry announcement of one of Wasmart's keys rather than an
/// event: other services' ticks, and consumer receipts (`wasmart:receipts:<id>`) whose day
/// is over. Services ignore them; an event is a JSON object, never a key name.
pub fn is_expiry(message: &[u8]) -> bool {
    message.starts_with(b"wasmart:")
}

/// Asks for a tick in `delay_ms` (at least 100 ms), unless one is already set.
pub fn schedule(redis_address: &str, service: &str, delay_ms: i64) {
    let Ok(redis) = Connection::open(redis_address) else {
        return;
    };
    let _ = redis.execute(
        "SET",
        &[
            RedisParameter::Binary(key(service).into_bytes()),
            RedisParameter::Binary(b"1".to_vec()),
            RedisParameter::Binary(b"PX".to_vec()),
            RedisParameter::Int64(delay_ms.max(100)),
            RedisParameter::Binary(b"NX".to_vec()),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_ticks_and_receipts_are_expiries_and_events_are_not() {
        assert!(is_expiry(key("catalog").as_bytes()));
        assert!(is_expiry(
            b"wasmart:receipts:6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
        ));
        assert!(!is_expiry(
            br#"{"id":"wasmart:receipts:x","type":"OrderCreated"}"#
        ));
        assert!(!is_expiry(b"garbage"));
    }
}
