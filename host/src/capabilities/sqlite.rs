//! `fermyon:spin/sqlite@2.0.0` and `spin:sqlite/sqlite@3.0.0`: per-label databases a component
//! may open only if its manifest grants the label in `sqlite_databases`.
//!
//! [`SqliteDatabase`] is created once per label at start-up and keeps a small pool of
//! connections; `connection.open` checks one out for the rest of the request. A connection
//! reaches only its own file: `ATTACH` and `VACUUM INTO` another file are refused by an
//! authorizer, and the guest sees the refusal as an `io` error, as any failed statement.
//!
//! Every statement is measured ([`HostCall`]): `wasmart_sqlite_*` metrics by component,
//! label and operation (the statement's first keyword), and a CLIENT span with the
//! statement's text (its parameters are not recorded).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::types::Value as SqlValue;
use wasmtime::component::{HasData, Linker, ResourceTable};

use crate::observability::host_call::{CallTrace, HostCall};
use crate::observability::metrics::OperationStats;
use crate::observability::trace::SpanKind;

/// Bindings of `fermyon:spin/sqlite@2.0.0` and `spin:sqlite/sqlite@3.0.0` (see `build.rs`).
#[allow(missing_docs, clippy::all)]
mod bindings {
    include!(concat!(env!("OUT_DIR"), "/sqlite.rs"));
}

/// The operations measured: a statement's first keyword, or `other`.
pub const OPERATIONS: &[&str] = &[
    "select", "insert", "update", "delete", "begin", "commit", "rollback", "other",
];

/// The span names of [`OPERATIONS`].
const SPAN_NAMES: [&str; 8] = [
    "SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "sqlite",
];

/// The [`OPERATIONS`] number of `statement`.
fn operation(statement: &str) -> usize {
    let keyword = statement
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    OPERATIONS[..OPERATIONS.len() - 1]
        .iter()
        .position(|name| keyword.eq_ignore_ascii_case(name))
        .unwrap_or(OPERATIONS.len() - 1)
}

/// One label's database file and its idle connections.
pub struct SqliteDatabase {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// A failure while opening or running a statement, shown to the guest as `error::io`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SqliteError(String);

impl From<rusqlite::Error> for SqliteError {
    fn from(error: rusqlite::Error) -> Self {
        Self(error.to_string())
    }
}

/// The rows of one statement, independent of the WIT version that asked.
pub struct QueryOutput {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<SqlValue>>,
}

/// What a component holds after `connection.open`: a connection checked out of the pool.
pub struct ConnectionHandle {
    database: Arc<SqliteDatabase>,
    connection: Arc<Mutex<Option<rusqlite::Connection>>>,
    label: String,
    stats: Option<Arc<OperationStats>>,
}

impl SqliteDatabase {
    /// Creates the file at `path` if needed and switches it to WAL mode.
    pub fn open(path: &Path) -> Result<Arc<Self>, SqliteError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| SqliteError(e.to_string()))?;
        }
        let database = Arc::new(Self {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        });
        let first = database.connect()?;
        first.pragma_update(None, "journal_mode", "WAL")?;
        database
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(first);
        Ok(database)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connect(&self) -> Result<rusqlite::Connection, SqliteError> {
        let connection = rusqlite::Connection::open(&self.path)?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.authorizer(Some(own_file_only));
        Ok(connection)
    }

    /// Takes an idle connection, or opens a new one, for a component that opened `label`
    /// (its statements are counted in `stats`).
    pub fn checkout(
        self: &Arc<Self>,
        label: String,
        stats: Option<Arc<OperationStats>>,
    ) -> Result<ConnectionHandle, SqliteError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let connection = match idle {
            Some(c) => c,
            None => self.connect()?,
        };
        Ok(ConnectionHandle {
            database: self.clone(),
            connection: Arc::new(Mutex::new(Some(connection))),
            label,
            stats,
        })
    }
}

/// Refuses attaching any file (`ATTACH`, and `VACUUM INTO`, which attaches its target); a
/// plain `VACUUM` attaches an unnamed temporary database, which is allowed.
fn own_file_only(context: rusqlite::hooks::AuthContext<'_>) -> rusqlite::hooks::Authorization {
    use rusqlite::hooks::{AuthAction, Authorization};
    match context.action {
        AuthAction::Attach { filename } if !filename.is_empty() => Authorization::Deny,
        _ => Authorization::Allow,
    }
}

/// The most idle connections one database keeps.
const MAX_IDLE: usize = 16;

impl Drop for ConnectionHandle {
    fn drop(&mut self) {
        let Some(connection) = self
            .connection
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return;
        };
        // A guest that ended mid-transaction must not leave it open for the next request.
        if !connection.is_autocommit() && connection.execute_batch("ROLLBACK").is_err() {
            return;
        }
        let mut idle = self.database.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(connection);
        }
    }
}

impl ConnectionHandle {
    /// Runs one statement with positional parameters on a blocking thread.
    pub async fn execute(
        &self,
        statement: String,
        parameters: Vec<SqlValue>,
    ) -> Result<QueryOutput, SqliteError> {
        self.with_connection(move |c| {
            let mut prepared = c.prepare_cached(&statement)?;
            let columns: Vec<String> = prepared
                .column_names()
                .into_iter()
                .map(String::from)
                .collect();
            let width = columns.len();
            let mut rows = Vec::new();
            let mut cursor = prepared.query(rusqlite::params_from_iter(parameters))?;
            while let Some(row) = cursor.next()? {
                rows.push(
                    (0..width)
                        .map(|i| row.get::<_, SqlValue>(i))
                        .collect::<Result<_, _>>()?,
                );
            }
            Ok(QueryOutput { columns, rows })
        })
        .await
    }

    /// The row id of the last insert on this connection.
    pub async fn last_insert_rowid(&self) -> i64 {
        self.with_connection(|c| Ok(c.last_insert_rowid()))
            .await
            .unwrap_or(0)
    }

    /// Rows changed by the last statement on this connection.
    pub async fn changes(&self) -> u64 {
        self.with_connection(|c| Ok(c.changes())).await.unwrap_or(0)
    }

    /// Starts measuring `statement`, traced under `trace`.
    fn measure(&self, trace: &CallTrace, statement: &str) -> HostCall {
        let index = operation(statement);
        let mut span = trace.span(SPAN_NAMES[index], SpanKind::Client);
        if span.is_recording() {
            span.set("db.system.name", "sqlite");
            span.set("db.namespace", self.label.clone());
            span.set("db.operation.name", SPAN_NAMES[index]);
            span.set("db.query.text", statement.to_owned());
        }
        HostCall::start(self.stats.as_ref(), index, span)
    }

    async fn with_connection<T: Send + 'static>(
        &self,
        op: impl FnOnce(&rusqlite::Connection) -> Result<T, SqliteError> + Send + 'static,
    ) -> Result<T, SqliteError> {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || {
            let guard = connection.lock().unwrap_or_else(|p| p.into_inner());
            let connection = guard
                .as_ref()
                .ok_or_else(|| SqliteError("connection closed".into()))?;
            op(connection)
        })
        .await
        .map_err(|e| SqliteError(e.to_string()))?
    }
}

/// One granted label: its database and, when metrics are on, its statement counters.
struct GrantedDatabase {
    database: Arc<SqliteDatabase>,
    stats: Option<Arc<OperationStats>>,
}

/// The databases one component may open, fixed at start-up from its `sqlite_databases`.
#[derive(Default)]
pub struct SqliteGrants {
    by_label: HashMap<String, GrantedDatabase>,
}

impl SqliteGrants {
    /// Grants `label`, served by `database` and measured in `stats`.
    pub fn grant(
        &mut self,
        label: String,
        database: Arc<SqliteDatabase>,
        stats: Option<Arc<OperationStats>>,
    ) {
        self.by_label
            .insert(label, GrantedDatabase { database, stats });
    }

    /// Checks out a connection to granted `label`; `None` when it is not granted.
    fn checkout(&self, label: String) -> Option<Result<ConnectionHandle, SqliteError>> {
        let granted = self.by_label.get(&label)?;
        Some(granted.database.checkout(label, granted.stats.clone()))
    }
}

/// What SQLite calls of one invocation see: the component's grants, the store's resource
/// table, and where host-call spans go.
pub struct SqliteView<'a> {
    pub grants: &'a SqliteGrants,
    pub table: &'a mut ResourceTable,
    pub trace: &'a CallTrace,
}

/// Links both SQLite interface versions to the store data `T`, reached through `view`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> SqliteView<'_>,
) -> wasmtime::Result<()> {
    bindings::Sqlite::add_to_linker::<T, HasSqlite>(linker, view)
}

/// [`HasData`] marker whose data is a [`SqliteView`].
struct HasSqlite;

impl HasData for HasSqlite {
    type Data<'a> = SqliteView<'a>;
}

/// Implements one version of the Spin SQLite interface on [`SqliteView`]; v2 and v3 differ
/// only in v3's `last-insert-rowid` and `changes`.
macro_rules! sqlite_interface {
    ($wit:path $(, $extra:item)*) => {
        use $wit as wit;
        use wit::{Error, QueryResult, RowResult, Value};
        use wasmtime::component::Resource;
        use rusqlite::types::Value as SqlValue;
        use crate::capabilities::sqlite::{ConnectionHandle, SqliteView};

        fn to_sql(value: Value) -> SqlValue {
            match value {
                Value::Integer(i) => SqlValue::Integer(i),
                Value::Real(f) => SqlValue::Real(f),
                Value::Text(s) => SqlValue::Text(s),
                Value::Blob(b) => SqlValue::Blob(b),
                Value::Null => SqlValue::Null,
            }
        }

        fn from_sql(value: SqlValue) -> Value {
            match value {
                SqlValue::Integer(i) => Value::Integer(i),
                SqlValue::Real(f) => Value::Real(f),
                SqlValue::Text(s) => Value::Text(s),
                SqlValue::Blob(b) => Value::Blob(b),
                SqlValue::Null => Value::Null,
            }
        }

        impl wit::Host for SqliteView<'_> {}

        impl wit::HostConnection for SqliteView<'_> {
            async fn open(&mut self, label: String) -> wasmtime::Result<Result<Resource<ConnectionHandle>, Error>> {
                match self.grants.checkout(label) {
                    None => Ok(Err(Error::AccessDenied)),
                    Some(Ok(handle)) => Ok(Ok(self.table.push(handle)?)),
                    Some(Err(e)) => Ok(Err(Error::Io(e.to_string()))),
                }
            }

            async fn execute(
                &mut self,
                connection: Resource<ConnectionHandle>,
                statement: String,
                parameters: Vec<Value>,
            ) -> wasmtime::Result<Result<QueryResult, Error>> {
                let handle = self.table.get(&connection)?;
                let call = handle.measure(self.trace, &statement);
                let output = handle.execute(statement, parameters.into_iter().map(to_sql).collect()).await;
                call.finish(&output);
                Ok(output
                    .map(|out| QueryResult {
                        columns: out.columns,
                        rows: out
                            .rows
                            .into_iter()
                            .map(|row| RowResult { values: row.into_iter().map(from_sql).collect() })
                            .collect(),
                    })
                    .map_err(|e| Error::Io(e.to_string())))
            }

            $($extra)*

            async fn drop(&mut self, connection: Resource<ConnectionHandle>) -> wasmtime::Result<()> {
                self.table.delete(connection)?;
                Ok(())
            }
        }
    };
}

/// `fermyon:spin/sqlite@2.0.0`.
mod v2 {
    sqlite_interface!(super::bindings::fermyon::spin2_0_0::sqlite);
}

/// `spin:sqlite/sqlite@3.0.0`.
mod v3 {
    sqlite_interface!(
        super::bindings::spin::sqlite::sqlite,
        async fn last_insert_rowid(
            &mut self,
            connection: Resource<ConnectionHandle>,
        ) -> wasmtime::Result<i64> {
            Ok(self.table.get(&connection)?.last_insert_rowid().await)
        },
        async fn changes(
            &mut self,
            connection: Resource<ConnectionHandle>,
        ) -> wasmtime::Result<u64> {
            Ok(self.table.get(&connection)?.changes().await)
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pooled_connections_share_the_file_and_roll_back_open_transactions() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteDatabase::open(&dir.path().join("x.db")).unwrap();
        let a = db.checkout("x".into(), None).unwrap();
        a.execute("CREATE TABLE t (v INTEGER)".into(), vec![])
            .await
            .unwrap();
        a.execute("BEGIN".into(), vec![]).await.unwrap();
        a.execute(
            "INSERT INTO t VALUES (?1)".into(),
            vec![SqlValue::Integer(1)],
        )
        .await
        .unwrap();
        drop(a);
        let b = db.checkout("x".into(), None).unwrap();
        let out = b
            .execute("SELECT count(*) AS n FROM t".into(), vec![])
            .await
            .unwrap();
        assert_eq!(out.columns, ["n"]);
        assert_eq!(out.rows, vec![vec![SqlValue::Integer(0)]]);
        b.execute("INSERT INTO t VALUES (2)".into(), vec![])
            .await
            .unwrap();
        assert_eq!(b.changes().await, 1);
        assert_eq!(b.last_insert_rowid().await, 1);
    }

    #[test]
    fn statements_are_measured_by_their_first_keyword() {
        let name = |statement| OPERATIONS[operation(statement)];
        assert_eq!(name("SELECT 1"), "select");
        assert_eq!(name("\n  insert into t values (1)"), "insert");
        assert_eq!(name("UPDATE outbox SET a = 1 RETURNING b"), "update");
        assert_eq!(name("begin immediate"), "begin");
        assert_eq!(name("COMMIT;"), "commit");
        assert_eq!(name("WITH x AS (SELECT 1) SELECT * FROM x"), "other");
        assert_eq!(name(""), "other");
    }
}
