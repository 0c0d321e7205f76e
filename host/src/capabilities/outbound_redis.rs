//! `fermyon:spin/redis`: outbound Redis, only to addresses the component's
//! `allowed_outbound_hosts` allows. Connections are shared per address across requests and
//! reconnect by themselves after a Redis restart.
//!
//! Every command is measured ([`HostCall`]): `wasmart_redis_*` metrics by component and
//! operation, messages published by channel, and a CLIENT span named after the command. A
//! published Wasmart event's id and type are added to its span.

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::component::{HasData, Linker, Resource, ResourceTable};

use crate::allowed_hosts::{AllowedHosts, Destination};
use crate::observability::envelope::EventEnvelope;
use crate::observability::host_call::{CallTrace, HostCall};
use crate::observability::metrics::{ChannelCounts, OperationStats};
use crate::observability::trace::SpanKind;

/// Bindings of `fermyon:spin/redis@2.0.0` (see `build.rs`).
#[allow(missing_docs, clippy::all)]
mod bindings {
    include!(concat!(env!("OUT_DIR"), "/redis.rs"));
}

use bindings::fermyon::spin2_0_0::redis::{self as wit, Error, RedisParameter, RedisResult};

/// The operations measured, by [`Operation`] number.
pub const OPERATIONS: &[&str] = &[
    "publish", "get", "set", "incr", "del", "sadd", "smembers", "srem", "execute",
];

/// The span names of [`OPERATIONS`]: the command, as Spin names them.
const SPAN_NAMES: [&str; 9] = [
    "PUBLISH", "GET", "SET", "INCR", "DEL", "SADD", "SMEMBERS", "SREM", "EXECUTE",
];

/// A command, numbered as [`OPERATIONS`].
#[derive(Debug, Clone, Copy)]
enum Operation {
    Publish,
    Get,
    Set,
    Incr,
    Del,
    Sadd,
    Smembers,
    Srem,
    Execute,
}

/// What a component holds after `connection.open`.
pub struct ConnectionHandle(redis::aio::ConnectionManager);

/// Open connections by address, shared by every component and request.
#[derive(Default)]
pub struct RedisConnections {
    by_address: tokio::sync::Mutex<HashMap<String, redis::aio::ConnectionManager>>,
}

impl RedisConnections {
    /// A connection to `address`, opened on first use.
    pub async fn get(&self, address: &str) -> Result<redis::aio::ConnectionManager, Error> {
        let mut map = self.by_address.lock().await;
        if let Some(c) = map.get(address) {
            return Ok(c.clone());
        }
        let client = redis::Client::open(address).map_err(|_| Error::InvalidAddress)?;
        // Fail fast while Redis is away: one quick retry, and no command waits more than
        // two seconds. Guests see an error and decide what to do; the manager reconnects
        // on a later command.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(std::time::Duration::from_secs(2))
            .set_response_timeout(std::time::Duration::from_secs(2))
            .set_number_of_retries(1)
            .set_max_delay(200);
        let connection = redis::aio::ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| Error::Other(e.to_string()))?;
        map.insert(address.to_string(), connection.clone());
        Ok(connection)
    }
}

fn other(e: redis::RedisError) -> Error {
    if e.kind() == redis::ErrorKind::TypeError {
        Error::TypeError
    } else {
        Error::Other(e.to_string())
    }
}

/// What one component may reach over outbound Redis, and how its commands are counted.
pub struct RedisGrants {
    /// The component's `allowed_outbound_hosts`.
    pub allowed_hosts: Arc<AllowedHosts>,
    /// The connections every component shares.
    pub connections: Arc<RedisConnections>,
    /// Its command counters, when metrics are on.
    pub stats: Option<Arc<OperationStats>>,
    /// Its published messages by channel, when metrics are on.
    pub published: Option<Arc<ChannelCounts>>,
}

/// What Redis calls of one invocation see: the component's grants, the store's resource
/// table, and where host-call spans go.
pub struct RedisView<'a> {
    pub grants: &'a RedisGrants,
    pub table: &'a mut ResourceTable,
    pub trace: &'a CallTrace,
}

/// Links `fermyon:spin/redis` to the store data `T`, reached through `view`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> RedisView<'_>,
) -> wasmtime::Result<()> {
    bindings::Redis::add_to_linker::<T, HasRedis>(linker, view)
}

/// [`HasData`] marker whose data is a [`RedisView`].
struct HasRedis;

impl HasData for HasRedis {
    type Data<'a> = RedisView<'a>;
}

impl RedisView<'_> {
    /// Starts measuring one `operation` of the running component.
    fn call(&self, operation: Operation) -> HostCall {
        let index = operation as usize;
        let mut span = self.trace.span(SPAN_NAMES[index], SpanKind::Client);
        if span.is_recording() {
            span.set("db.system.name", "redis");
            span.set("db.operation.name", SPAN_NAMES[index]);
        }
        HostCall::start(self.grants.stats.as_ref(), index, span)
    }
}

/// Runs `command` on `connection`, measured by `call`.
async fn run<T: redis::FromRedisValue>(
    view: &mut RedisView<'_>,
    connection: &Resource<ConnectionHandle>,
    call: HostCall,
    command: redis::Cmd,
) -> wasmtime::Result<Result<T, Error>> {
    let mut c = view.table.get(connection)?.0.clone();
    let result = command.query_async(&mut c).await.map_err(other);
    call.finish(&result);
    Ok(result)
}

fn to_result(value: redis::Value) -> Vec<RedisResult> {
    match value {
        redis::Value::Nil => vec![RedisResult::Nil],
        redis::Value::Int(i) => vec![RedisResult::Int64(i)],
        redis::Value::BulkString(b) => vec![RedisResult::Binary(b)],
        redis::Value::SimpleString(s) => vec![RedisResult::Status(s)],
        redis::Value::Okay => vec![RedisResult::Status("OK".into())],
        redis::Value::Array(items) | redis::Value::Set(items) => {
            items.into_iter().flat_map(to_result).collect()
        }
        redis::Value::Boolean(b) => vec![RedisResult::Int64(i64::from(b))],
        redis::Value::Double(d) => vec![RedisResult::Binary(d.to_string().into_bytes())],
        other => vec![RedisResult::Binary(format!("{other:?}").into_bytes())],
    }
}

impl wit::Host for RedisView<'_> {}

impl wit::HostConnection for RedisView<'_> {
    async fn open(
        &mut self,
        address: String,
    ) -> wasmtime::Result<Result<Resource<ConnectionHandle>, Error>> {
        let allowed =
            Destination::parse_url(&address).is_some_and(|d| self.grants.allowed_hosts.allows(&d));
        if !allowed {
            return Ok(Err(Error::InvalidAddress));
        }
        match self.grants.connections.get(&address).await {
            Ok(c) => Ok(Ok(self.table.push(ConnectionHandle(c))?)),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn publish(
        &mut self,
        c: Resource<ConnectionHandle>,
        channel: String,
        payload: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let mut call = self.call(Operation::Publish);
        if call.span.is_recording() {
            call.span.set("messaging.system", "redis");
            call.span.set("messaging.operation.type", "send");
            call.span.set("messaging.destination.name", channel.clone());
            let envelope = EventEnvelope::read(&payload);
            let cause = envelope.trace_context();
            if let Some(id) = envelope.id {
                call.span.set("messaging.message.id", id);
            }
            if let Some(event_type) = envelope.event_type {
                call.span.set("wasmart.event.type", event_type);
            }
            // An event of an earlier request (republished by the outbox relay) links to it.
            let current = call.span.context().map(|context| context.trace_id);
            if let Some(cause) = cause {
                if Some(cause.trace_id) != current {
                    call.span.add_link(cause);
                }
            }
        }
        let command = redis::cmd("PUBLISH").arg(&channel).arg(payload).clone();
        let published = run::<i64>(self, &c, call, command).await?.map(drop);
        if let (Ok(()), Some(counts)) = (&published, &self.grants.published) {
            counts.record(&channel);
        }
        Ok(published)
    }

    async fn get(
        &mut self,
        c: Resource<ConnectionHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let call = self.call(Operation::Get);
        run(self, &c, call, redis::cmd("GET").arg(key).clone()).await
    }

    async fn set(
        &mut self,
        c: Resource<ConnectionHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let call = self.call(Operation::Set);
        run(
            self,
            &c,
            call,
            redis::cmd("SET").arg(key).arg(value).clone(),
        )
        .await
    }

    async fn incr(
        &mut self,
        c: Resource<ConnectionHandle>,
        key: String,
    ) -> wasmtime::Result<Result<i64, Error>> {
        let call = self.call(Operation::Incr);
        run(self, &c, call, redis::cmd("INCR").arg(key).clone()).await
    }

    async fn del(
        &mut self,
        c: Resource<ConnectionHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<u32, Error>> {
        let call = self.call(Operation::Del);
        run(self, &c, call, redis::cmd("DEL").arg(keys).clone()).await
    }

    async fn sadd(
        &mut self,
        c: Resource<ConnectionHandle>,
        key: String,
        values: Vec<String>,
    ) -> wasmtime::Result<Result<u32, Error>> {
        let call = self.call(Operation::Sadd);
        run(
            self,
            &c,
            call,
            redis::cmd("SADD").arg(key).arg(values).clone(),
        )
        .await
    }

    async fn smembers(
        &mut self,
        c: Resource<ConnectionHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let call = self.call(Operation::Smembers);
        run(self, &c, call, redis::cmd("SMEMBERS").arg(key).clone()).await
    }

    async fn srem(
        &mut self,
        c: Resource<ConnectionHandle>,
        key: String,
        values: Vec<String>,
    ) -> wasmtime::Result<Result<u32, Error>> {
        let call = self.call(Operation::Srem);
        run(
            self,
            &c,
            call,
            redis::cmd("SREM").arg(key).arg(values).clone(),
        )
        .await
    }

    async fn execute(
        &mut self,
        c: Resource<ConnectionHandle>,
        command: String,
        arguments: Vec<RedisParameter>,
    ) -> wasmtime::Result<Result<Vec<RedisResult>, Error>> {
        let mut cmd = redis::cmd(&command);
        for argument in arguments {
            match argument {
                RedisParameter::Int64(i) => cmd.arg(i),
                RedisParameter::Binary(b) => cmd.arg(b),
            };
        }
        let call = self.call(Operation::Execute);
        Ok(run::<redis::Value>(self, &c, call, cmd)
            .await?
            .map(to_result))
    }

    async fn drop(&mut self, c: Resource<ConnectionHandle>) -> wasmtime::Result<()> {
        self.table.delete(c)?;
        Ok(())
    }
}
