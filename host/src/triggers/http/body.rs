//! A client's request body, read whole before the request takes an instance permit (so a
//! slow client holds no instance): refused when its `Content-Length` is over the limit, cut
//! when a stream passes it, and given up when the client pauses or takes too long.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::WasiBody;

/// Why a request body was not read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the client sent nothing of the request body for {0:?}")]
    Stalled(Duration),
    #[error("the client did not send the request body within {0:?}")]
    TooSlow(Duration),
    #[error("the request body could not be read: {0}")]
    Read(String),
}

/// How a body may arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: u64,
    pub idle_timeout: Duration,
    pub total_timeout: Duration,
}

/// Whether `headers` declare a body over `max_bytes` (an unparsable length counts as over).
pub fn declared_too_large(headers: &http::HeaderMap, max_bytes: u64) -> bool {
    headers
        .get(http::header::CONTENT_LENGTH)
        .is_some_and(|value| {
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .is_none_or(|length| length > max_bytes)
        })
}

/// Reads `body` whole within `limits`; the result, trailers included, as a body for the guest.
pub async fn read<B>(body: B, limits: BodyLimits) -> Result<WasiBody, BodyError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    tokio::time::timeout(limits.total_timeout, collect(body, limits))
        .await
        .unwrap_or(Err(BodyError::TooSlow(limits.total_timeout)))
}

async fn collect<B>(mut body: B, limits: BodyLimits) -> Result<WasiBody, BodyError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let mut data = BytesMut::new();
    let mut trailers = None;
    loop {
        let frame = tokio::time::timeout(limits.idle_timeout, body.frame())
            .await
            .map_err(|_| BodyError::Stalled(limits.idle_timeout))?;
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|e| BodyError::Read(e.to_string()))?;
        match frame.into_data() {
            Ok(chunk) => {
                if (data.len() + chunk.len()) as u64 > limits.max_bytes {
                    return Err(BodyError::TooLarge(limits.max_bytes));
                }
                data.extend_from_slice(&chunk);
            }
            Err(frame) => trailers = frame.into_trailers().ok(),
        }
    }
    Ok(Full::new(data.freeze())
        .with_trailers(std::future::ready(trailers.map(Ok)))
        .map_err(|never| match never {})
        .boxed_unsync())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::StreamBody;

    fn limits(max_bytes: u64) -> BodyLimits {
        BodyLimits {
            max_bytes,
            idle_timeout: Duration::from_millis(200),
            total_timeout: Duration::from_secs(5),
        }
    }

    type Frames = futures::stream::Iter<
        std::vec::IntoIter<Result<http_body::Frame<Bytes>, std::convert::Infallible>>,
    >;

    fn chunks(parts: Vec<&'static [u8]>) -> StreamBody<Frames> {
        let frames: Vec<_> = parts
            .into_iter()
            .map(|p| Ok(http_body::Frame::data(Bytes::from_static(p))))
            .collect();
        StreamBody::new(futures::stream::iter(frames))
    }

    #[tokio::test]
    async fn reads_a_body_up_to_the_limit() {
        let body = read(chunks(vec![b"ab", b"cd"]), limits(4)).await.unwrap();
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"abcd");
    }

    #[tokio::test]
    async fn cuts_a_stream_at_the_limit() {
        let error = read(chunks(vec![b"ab", b"cde"]), limits(4)).await;
        assert!(matches!(error, Err(BodyError::TooLarge(4))), "{error:?}");
    }

    #[tokio::test]
    async fn gives_up_on_a_stalled_body() {
        let stalled = StreamBody::new(futures::stream::pending::<
            Result<http_body::Frame<Bytes>, std::convert::Infallible>,
        >());
        let error = read(stalled, limits(4)).await;
        assert!(matches!(error, Err(BodyError::Stalled(_))), "{error:?}");
    }

    #[test]
    fn content_length_over_the_limit_is_refused_before_reading() {
        let mut headers = http::HeaderMap::new();
        assert!(!declared_too_large(&headers, 10));
        headers.insert(http::header::CONTENT_LENGTH, "10".parse().unwrap());
        assert!(!declared_too_large(&headers, 10));
        headers.insert(http::header::CONTENT_LENGTH, "11".parse().unwrap());
        assert!(declared_too_large(&headers, 10));
    }
}
