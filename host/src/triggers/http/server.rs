//! The HTTP/1.1 server in front of the trigger's dispatch: hyper with the head limits and
//! header read timeout of [`HttpLimits`], connections admitted by [`Connections`], accept
//! errors (such as running out of file descriptors) backed off. On shutdown it stops accepting
//! and lets in-flight requests finish, up to [`DRAIN_TIMEOUT`].

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::connections::Connections;
use super::dispatch::HttpTrigger;
use super::limits::HttpLimits;

/// How long shutdown waits for in-flight requests.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The first and the longest pause after a failed accept.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(5), Duration::from_secs(1));

/// Serves `listener` until `shutdown` is cancelled, then drains.
pub async fn serve(
    listener: TcpListener,
    trigger: Arc<HttpTrigger>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let limits = trigger.limits().clone();
    let connections = Connections::new(limits.max_connections, limits.max_connections_per_client);
    let builder = builder(&limits);
    let graceful = GracefulShutdown::new();
    let mut backoff = ACCEPT_BACKOFF.0;
    loop {
        let slot = tokio::select! {
            slot = connections.free_slot() => slot,
            () = shutdown.cancelled() => break,
        };
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!("accept failed: {e}; pausing {backoff:?}");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.cancelled() => break,
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        backoff = ACCEPT_BACKOFF.0;
        let Some(slot) = connections.admit(slot, client.ip()) else {
            tracing::debug!("closing a connection from {client}: it holds too many");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let trigger = trigger.clone();
        let service = service_fn(move |request| {
            let trigger = trigger.clone();
            async move { Ok::<_, Infallible>(trigger.serve(request, client).await) }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = connection.await {
                tracing::debug!("connection from {client} ended: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests were still running after {DRAIN_TIMEOUT:?}");
    }
    Ok(())
}

/// hyper's HTTP/1.1 connection settings from `limits`.
fn builder(limits: &HttpLimits) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_header_size(limits.max_header_bytes);
    builder
}
