//! A collector that accepts OTLP/HTTP export requests and discards them: the trace
//! exporter's counterpart in `bench/observability`, so that the host's cost of tracing is
//! measured without a real collector competing for the CPU.
//!
//! Usage: `otlp_sink ADDR` (e.g. `127.0.0.1:4318`). On SIGTERM or Ctrl-C it prints
//! `requests=N bytes=M` (export requests received and their body bytes) and exits.

#![forbid(unsafe_code)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

#[derive(Default)]
struct Received {
    requests: AtomicU64,
    bytes: AtomicU64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let address = std::env::args().nth(1).context("usage: otlp_sink ADDR")?;
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("listening on {address}"))?;
    let received = Arc::new(Received::default());
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        };
        let received = received.clone();
        let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let received = received.clone();
            async move {
                let body = request.into_body().collect().await.map(|b| b.to_bytes());
                let length = body.map_or(0, |b| b.len() as u64);
                received.requests.fetch_add(1, Ordering::Relaxed);
                received.bytes.fetch_add(length, Ordering::Relaxed);
                // An empty ExportTraceServiceResponse: full success.
                Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::new())))
            }
        });
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    println!(
        "requests={} bytes={}",
        received.requests.load(Ordering::Relaxed),
        received.bytes.load(Ordering::Relaxed)
    );
    Ok(())
}
