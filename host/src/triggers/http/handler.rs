//! Runs a component's `wasi:http/incoming-handler` for one request in a fresh instance. The
//! response is handed back as soon as the guest sends its head; the body streams on, and a
//! failure after that is still reported.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiBody, WasiHttpView};

use crate::executor::{Executor, GuestFailure, HostState, Invocation};

/// Runs component `id`'s HTTP handler for `request` in `invocation`.
pub async fn run<B>(
    executor: &Arc<Executor>,
    id: &str,
    request: http::Request<B>,
    invocation: Invocation,
) -> Result<http::Response<WasiBody>, GuestFailure>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    let component = executor.component(id)?.clone();
    let pre = component
        .http
        .clone()
        .ok_or_else(|| GuestFailure::NoHandler(id.to_string()))?;
    let correlation = invocation.correlation.clone();
    let (mut store, mut execution) = executor
        .new_store(&component, invocation)
        .map_err(GuestFailure::Trap)?;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let incoming = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, request)
        .map_err(GuestFailure::Trap)?;
    let outparam = store
        .data_mut()
        .http()
        .new_response_outparam(sender)
        .map_err(GuestFailure::Trap)?;
    let call = Call {
        executor: executor.clone(),
        id: id.to_string(),
        pre,
    };
    let task = tokio::spawn(async move {
        let outcome = call.handle(store, incoming, outparam).await;
        if let Err(failure) = &outcome {
            if execution.is_recording() {
                execution.set_error(failure.to_string());
            }
        }
        outcome
    });
    match receiver.await {
        Ok(Ok(response)) => {
            let executor = executor.clone();
            let id = id.to_string();
            // The guest may still be streaming the body; report a late failure too.
            tokio::spawn(async move {
                if let Ok(Err(failure)) = task.await {
                    executor.report(&id, &failure, &correlation);
                }
            });
            Ok(response)
        }
        Ok(Err(code)) => {
            task.abort();
            Err(GuestFailure::Trap(wasmtime::Error::msg(format!(
                "guest answered with error {code:?}"
            ))))
        }
        Err(_) => Err(match task.await {
            Ok(Err(failure)) => failure,
            Ok(Ok(())) => GuestFailure::NoResponse,
            Err(join) => GuestFailure::Trap(wasmtime::Error::msg(join.to_string())),
        }),
    }
}

/// One call of a component's handler, moved into the task that runs it.
struct Call {
    executor: Arc<Executor>,
    id: String,
    pre: ProxyPre<HostState>,
}

impl Call {
    /// Instantiates the component and calls its handler, within the request deadline.
    async fn handle(
        self,
        mut store: wasmtime::Store<HostState>,
        incoming: wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostIncomingRequest>,
        outparam: wasmtime::component::Resource<
            wasmtime_wasi_http::p2::types::HostResponseOutparam,
        >,
    ) -> Result<(), GuestFailure> {
        let timeout = self.executor.request_timeout();
        let run = async {
            let instantiating = Instant::now();
            let proxy = self.pre.instantiate_async(&mut store).await?;
            self.executor
                .metrics()
                .record_instantiation(&self.id, instantiating.elapsed());
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam)
                .await
        };
        match tokio::time::timeout(timeout, run).await {
            Ok(result) => result.map_err(GuestFailure::Trap),
            Err(_) => Err(GuestFailure::Timeout(timeout)),
        }
    }
}
