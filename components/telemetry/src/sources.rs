//! What telemetry reads from elsewhere when it builds the overview: the gateway's request
//! traffic (`GET <gateway_url>/traffic`, see the gateway's `traffic` module) and every
//! consumer's number of dead letters (the Redis hash the inbox keeps them in).

use std::collections::BTreeMap;

use serde::Deserialize;
use service_kit::client::{call_json, upstream_url, CallError};
use service_kit::context::RequestContext;
use service_kit::inbox::DEAD_LETTER_COUNTS_KEY;
use service_kit::traffic::Traffic;
use spin_sdk::http::Method;
use spin_sdk::redis::{Connection, RedisParameter, RedisResult};

use crate::domain::Window;

/// The gateway's answer.
#[derive(Deserialize)]
struct TrafficAnswer {
    services: BTreeMap<String, Traffic>,
}

/// Calls to each service through the gateway within `window`.
pub fn traffic(
    context: &RequestContext,
    window: Window,
) -> Result<BTreeMap<String, Traffic>, CallError> {
    let answer: Option<TrafficAnswer> = call_json(
        context,
        Method::Get,
        &upstream_url("gateway"),
        &format!("/traffic?window_seconds={}", window.seconds()),
        None,
    )?;
    Ok(answer.map(|answer| answer.services).unwrap_or_default())
}

/// Each consumer's current number of dead letters.
pub fn dead_letters(redis_address: &str) -> Result<BTreeMap<String, i64>, String> {
    let redis = Connection::open(redis_address).map_err(|error| format!("{error:?}"))?;
    let values = redis
        .execute(
            "HGETALL",
            &[RedisParameter::Binary(
                DEAD_LETTER_COUNTS_KEY.as_bytes().to_vec(),
            )],
        )
        .map_err(|error| format!("{error:?}"))?;
    Ok(values
        .chunks(2)
        .filter_map(|pair| match pair {
            [RedisResult::Binary(name), RedisResult::Binary(count)] => Some((
                String::from_utf8_lossy(name).into_owned(),
                String::from_utf8_lossy(count).parse().ok()?,
            )),
            _ => None,
        })
        .collect())
}
