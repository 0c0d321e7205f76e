//! `fermyon:spin/key-value`: per-label stores a component may open only if its manifest grants
//! the label in `key_value_stores`.
//!
//! [`KeyValueStore`] is the backend trait: one instance per configured label, created at
//! start-up and shared by every request. [`SqliteKeyValue`] (Spin's default) and
//! [`RedisKeyValue`] are the backends.
//!
//! Every operation is measured ([`HostCall`]): `wasmart_key_value_*` metrics by component,
//! label and operation, and a `spin_key_value.<operation>` CLIENT span.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::OptionalExtension;
use wasmtime::component::{HasData, Linker, Resource, ResourceTable};

use crate::observability::host_call::{CallTrace, HostCall};
use crate::observability::metrics::OperationStats;
use crate::observability::trace::SpanKind;

/// Bindings of `fermyon:spin/key-value@2.0.0` (see `build.rs`).
#[allow(missing_docs, clippy::all)]
mod bindings {
    include!(concat!(env!("OUT_DIR"), "/key_value.rs"));
}

use bindings::fermyon::spin2_0_0::key_value::{self as wit, Error};

/// The operations measured, by [`Operation`] number.
pub const OPERATIONS: &[&str] = &["get", "set", "delete", "exists", "get_keys"];

/// The span names of [`OPERATIONS`], as Spin names them.
const SPAN_NAMES: [&str; 5] = [
    "spin_key_value.get",
    "spin_key_value.set",
    "spin_key_value.delete",
    "spin_key_value.exists",
    "spin_key_value.get_keys",
];

/// A store operation, numbered as [`OPERATIONS`].
#[derive(Debug, Clone, Copy)]
enum Operation {
    Get,
    Set,
    Delete,
    Exists,
    GetKeys,
}

/// A failure inside a backend, shown to the guest as `error::other`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackendError(String);

impl BackendError {
    /// Wraps any displayable backend error.
    pub fn from_display(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

/// The operations of one key-value store. Each call runs when the guest calls the matching
/// `store` method; the store outlives every request.
#[async_trait]
pub trait KeyValueStore: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError>;
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), BackendError>;
    async fn delete(&self, key: &str) -> Result<(), BackendError>;
    async fn exists(&self, key: &str) -> Result<bool, BackendError>;
    async fn get_keys(&self) -> Result<Vec<String>, BackendError>;
}

/// What a component holds after `store.open`: the backend of one granted label.
pub struct StoreHandle {
    store: Arc<dyn KeyValueStore>,
    label: String,
    stats: Option<Arc<OperationStats>>,
}

/// Spin's default backend: labels share one SQLite file, keyed by `(store, key)`.
pub struct SqliteKeyValue {
    connection: Arc<Mutex<rusqlite::Connection>>,
    label: String,
}

impl SqliteKeyValue {
    /// Opens (creating if needed) the file at `path` and serves `label` from it.
    pub fn open(path: &Path, label: &str) -> Result<Self, BackendError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(BackendError::from_display)?;
        }
        let connection = rusqlite::Connection::open(path).map_err(BackendError::from_display)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS spin_key_value (
                   store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                   PRIMARY KEY (store, key));",
            )
            .map_err(BackendError::from_display)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            label: label.to_string(),
        })
    }

    /// Runs `op` on a blocking thread with the connection and this store's label.
    async fn with_connection<T: Send + 'static>(
        &self,
        op: impl FnOnce(&rusqlite::Connection, &str) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, BackendError> {
        let connection = self.connection.clone();
        let label = self.label.clone();
        tokio::task::spawn_blocking(move || {
            let connection = connection.lock().unwrap_or_else(|p| p.into_inner());
            op(&connection, &label)
        })
        .await
        .map_err(BackendError::from_display)?
        .map_err(BackendError::from_display)
    }
}

#[async_trait]
impl KeyValueStore for SqliteKeyValue {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        let key = key.to_string();
        self.with_connection(move |c, store| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row((store, &key), |row| row.get(0))
                .optional()
        })
        .await
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), BackendError> {
        let (key, value) = (key.to_string(), value.to_vec());
        self.with_connection(move |c, store| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute((store, &key, &value))
            .map(drop)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), BackendError> {
        let key = key.to_string();
        self.with_connection(move |c, store| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .execute((store, &key))
                .map(drop)
        })
        .await
    }

    async fn exists(&self, key: &str) -> Result<bool, BackendError> {
        Ok(self.get(key).await?.is_some())
    }

    async fn get_keys(&self) -> Result<Vec<String>, BackendError> {
        self.with_connection(|c, store| {
            c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")?
                .query_map([store], |row| row.get(0))?
                .collect()
        })
        .await
    }
}

/// A label served by a Redis server: keys are stored as plain Redis strings. It connects on
/// first use (the server may be a private one started after loading) and reconnects by itself
/// after a Redis restart.
pub struct RedisKeyValue {
    url: String,
    connection: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
}

impl RedisKeyValue {
    /// A store on the Redis server at `url`.
    pub fn new(url: String) -> Self {
        Self {
            url,
            connection: tokio::sync::OnceCell::new(),
        }
    }

    async fn connection(&self) -> Result<redis::aio::ConnectionManager, BackendError> {
        self.connection
            .get_or_try_init(|| async {
                let client =
                    redis::Client::open(self.url.as_str()).map_err(BackendError::from_display)?;
                redis::aio::ConnectionManager::new(client)
                    .await
                    .map_err(BackendError::from_display)
            })
            .await
            .cloned()
    }
}

#[async_trait]
impl KeyValueStore for RedisKeyValue {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        let mut c = self.connection().await?;
        redis::cmd("GET")
            .arg(key)
            .query_async(&mut c)
            .await
            .map_err(BackendError::from_display)
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), BackendError> {
        let mut c = self.connection().await?;
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .query_async(&mut c)
            .await
            .map_err(BackendError::from_display)
    }

    async fn delete(&self, key: &str) -> Result<(), BackendError> {
        let mut c = self.connection().await?;
        redis::cmd("DEL")
            .arg(key)
            .query_async(&mut c)
            .await
            .map_err(BackendError::from_display)
    }

    async fn exists(&self, key: &str) -> Result<bool, BackendError> {
        let mut c = self.connection().await?;
        redis::cmd("EXISTS")
            .arg(key)
            .query_async(&mut c)
            .await
            .map_err(BackendError::from_display)
    }

    async fn get_keys(&self) -> Result<Vec<String>, BackendError> {
        let mut c = self.connection().await?;
        redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut c)
            .await
            .map_err(BackendError::from_display)
    }
}

fn other(error: BackendError) -> Error {
    Error::Other(error.to_string())
}

/// One granted label: its backend and, when metrics are on, its operation counters.
struct GrantedStore {
    store: Arc<dyn KeyValueStore>,
    stats: Option<Arc<OperationStats>>,
}

/// The stores one component may open, fixed at start-up from its `key_value_stores`.
#[derive(Default)]
pub struct KeyValueGrants {
    by_label: HashMap<String, GrantedStore>,
}

impl KeyValueGrants {
    /// Grants `label`, served by `store` and measured in `stats`.
    pub fn grant(
        &mut self,
        label: String,
        store: Arc<dyn KeyValueStore>,
        stats: Option<Arc<OperationStats>>,
    ) {
        self.by_label.insert(label, GrantedStore { store, stats });
    }
}

/// What key-value calls of one invocation see: the component's grants, the store's resource
/// table, and where host-call spans go.
pub struct KeyValueView<'a> {
    pub grants: &'a KeyValueGrants,
    pub table: &'a mut ResourceTable,
    pub trace: &'a CallTrace,
}

/// Links `fermyon:spin/key-value` to the store data `T`, reached through `view`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> KeyValueView<'_>,
) -> wasmtime::Result<()> {
    bindings::KeyValue::add_to_linker::<T, HasKeyValue>(linker, view)
}

/// [`HasData`] marker whose data is a [`KeyValueView`].
struct HasKeyValue;

impl HasData for HasKeyValue {
    type Data<'a> = KeyValueView<'a>;
}

impl KeyValueView<'_> {
    /// The backend behind `store`, and the measurement of one `operation` on it.
    fn call(
        &self,
        store: &Resource<StoreHandle>,
        operation: Operation,
    ) -> wasmtime::Result<(Arc<dyn KeyValueStore>, HostCall)> {
        let handle = self.table.get(store)?;
        let index = operation as usize;
        let mut span = self.trace.span(SPAN_NAMES[index], SpanKind::Client);
        if span.is_recording() {
            span.set("db.operation.name", OPERATIONS[index]);
            span.set("db.namespace", handle.label.clone());
        }
        let call = HostCall::start(handle.stats.as_ref(), index, span);
        Ok((handle.store.clone(), call))
    }
}

impl wit::Host for KeyValueView<'_> {}

impl wit::HostStore for KeyValueView<'_> {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<StoreHandle>, Error>> {
        // As in Spin: a label the manifest does not grant is denied, whether or not it exists.
        let Some(granted) = self.grants.by_label.get(&label) else {
            return Ok(Err(Error::AccessDenied));
        };
        let handle = StoreHandle {
            store: granted.store.clone(),
            stats: granted.stats.clone(),
            label,
        };
        Ok(Ok(self.table.push(handle)?))
    }

    async fn get(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let (store, call) = self.call(&store, Operation::Get)?;
        let result = store.get(&key).await;
        call.finish(&result);
        Ok(result.map_err(other))
    }

    async fn set(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let (store, call) = self.call(&store, Operation::Set)?;
        let result = store.set(&key, &value).await;
        call.finish(&result);
        Ok(result.map_err(other))
    }

    async fn delete(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let (store, call) = self.call(&store, Operation::Delete)?;
        let result = store.delete(&key).await;
        call.finish(&result);
        Ok(result.map_err(other))
    }

    async fn exists(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let (store, call) = self.call(&store, Operation::Exists)?;
        let result = store.exists(&key).await;
        call.finish(&result);
        Ok(result.map_err(other))
    }

    async fn get_keys(
        &mut self,
        store: Resource<StoreHandle>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let (store, call) = self.call(&store, Operation::GetKeys)?;
        let result = store.get_keys().await;
        call.finish(&result);
        Ok(result.map_err(other))
    }

    async fn drop(&mut self, store: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_labels_share_a_file_but_not_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.db");
        let a = SqliteKeyValue::open(&path, "a").unwrap();
        let b = SqliteKeyValue::open(&path, "b").unwrap();
        a.set("k", b"1").await.unwrap();
        a.set("k", b"2").await.unwrap();
        assert_eq!(a.get("k").await.unwrap(), Some(b"2".to_vec()));
        assert_eq!(b.get("k").await.unwrap(), None);
        assert!(a.exists("k").await.unwrap());
        assert_eq!(a.get_keys().await.unwrap(), ["k"]);
        a.delete("k").await.unwrap();
        assert!(!a.exists("k").await.unwrap());
    }
}
