//! Receipts: how a consumer tells a producer, through Redis, that it has an event. A
//! consumer adds its name to the event's receipt set once its inbox transaction is durable;
//! the producer's relay reads the set to confirm the event (see `docs/events.md`).

use spin_sdk::redis::{Connection, RedisParameter};

/// How long a receipt is kept: long past the relay's last attempt.
const KEEP_SECONDS: i64 = 24 * 3600;

/// The Redis set in which consumers leave a receipt for `event_id`.
pub fn receipts_key(event_id: &str) -> String {
    format!("wasmart:receipts:{event_id}")
}

/// Leaves `consumer`'s receipt for `event_id` (kept for a day).
pub fn confirm(redis: &Connection, event_id: &str, consumer: &str) {
    let key = receipts_key(event_id);
    if redis.sadd(&key, &[consumer.to_owned()]).is_ok() {
        let _ = redis.execute(
            "EXPIRE",
            &[
                RedisParameter::Binary(key.into_bytes()),
                RedisParameter::Int64(KEEP_SECONDS),
            ],
        );
    }
}

/// Whether every expected consumer left a receipt; `Err` if Redis did not answer.
pub fn confirmed_by_all(
    redis: &Connection,
    event_id: &str,
    expected: &[String],
) -> Result<bool, spin_sdk::redis::Error> {
    let receipts = redis.smembers(&receipts_key(event_id))?;
    Ok(expected.iter().all(|name| receipts.contains(name)))
}
