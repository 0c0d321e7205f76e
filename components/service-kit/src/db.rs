//! SQLite access for a service's own database: migrations tracked by the set of applied
//! versions, transactions, and typed reads of result rows.

use std::collections::BTreeSet;

use spin_sdk::sqlite::{Connection, Error, QueryResult, Value};

/// One schema change. Versions are unique and never reused, and a migration, once released,
/// is never edited; every version a database has not applied yet runs, in version order
/// (so a service's migration 3 added after the shared outbox (1000) still runs).
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// A service's database: its label, its migrations, and what to do once they are applied.
pub struct Database {
    pub label: &'static str,
    pub migrations: &'static [Migration],
    /// Runs after the migrations were checked (e.g. seeding; it must be idempotent).
    pub prepare: fn(&Db) -> Result<(), Error>,
}

impl Database {
    /// A database that needs nothing but its migrations.
    pub const fn new(label: &'static str, migrations: &'static [Migration]) -> Self {
        Self {
            label,
            migrations,
            prepare: |_| Ok(()),
        }
    }

    /// Opens the database and applies every migration not applied yet, whatever its
    /// version (a migration numbered below ones already applied still runs), then runs
    /// `prepare`. When the database's `PRAGMA user_version` holds the [`fingerprint`] of the
    /// migrations, all of them ran (and `prepare` too) and opening costs that one read.
    /// Concurrent instances are serialized by `BEGIN IMMEDIATE`, and each migration
    /// re-checks inside its transaction, so each runs exactly once.
    pub fn open(&self) -> Result<Db, Error> {
        let db = Db {
            connection: Connection::open(self.label)?,
        };
        let fingerprint = fingerprint(self.migrations);
        if db.user_version() != Some(fingerprint) {
            db.migrate(self.migrations)?;
            (self.prepare)(&db)?;
            // Only a shortcut: if it cannot be written, the next open checks the set again.
            let _ = db.execute(&format!("PRAGMA user_version = {fingerprint}"), &[]);
        }
        Ok(db)
    }
}

/// A connection to the service's database.
pub struct Db {
    connection: Connection,
}

impl Db {
    /// `PRAGMA user_version`, if it can be read.
    fn user_version(&self) -> Option<i64> {
        let result = self.query("PRAGMA user_version", &[]).ok()?;
        integer(result.rows.first()?.values.first())
    }

    /// Applies, in version order, each migration whose version is not in
    /// `schema_migrations`.
    fn migrate(&self, migrations: &[Migration]) -> Result<(), Error> {
        self.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
            &[],
        )?;
        let applied: BTreeSet<i64> = self
            .query("SELECT version FROM schema_migrations", &[])?
            .rows
            .iter()
            .filter_map(|row| integer(row.values.first()))
            .collect();
        let mut pending: Vec<&Migration> = migrations
            .iter()
            .filter(|migration| !applied.contains(&migration.version))
            .collect();
        pending.sort_by_key(|migration| migration.version);
        for migration in pending {
            self.transaction(|db| db.apply(migration))?;
        }
        Ok(())
    }

    /// Runs `migration` unless another instance did meanwhile; call inside a transaction.
    fn apply(&self, migration: &Migration) -> Result<(), Error> {
        let done = self.query(
            "SELECT 1 FROM schema_migrations WHERE version = ?",
            &[Value::Integer(migration.version)],
        )?;
        if !done.rows.is_empty() {
            return Ok(());
        }
        for statement in split_statements(migration.sql) {
            self.execute(statement, &[])?;
        }
        self.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            &[
                Value::Integer(migration.version),
                Value::Text(migration.name.to_owned()),
                Value::Integer(crate::clock::now_ms()),
            ],
        )
    }

    /// Runs a statement and discards its rows.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<(), Error> {
        self.connection.execute(sql, params).map(|_| ())
    }

    /// Runs a query and returns its rows.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<QueryResult, Error> {
        self.connection.execute(sql, params)
    }

    /// Runs `work` inside `BEGIN IMMEDIATE` … `COMMIT` (the write lock is taken up front, so
    /// concurrent writers queue instead of failing mid-way); rolls back if `work` fails.
    pub fn transaction<T, E: From<Error>>(
        &self,
        work: impl FnOnce(&Db) -> Result<T, E>,
    ) -> Result<T, E> {
        self.execute("BEGIN IMMEDIATE", &[])?;
        match work(self) {
            Ok(value) => {
                self.execute("COMMIT", &[])?;
                Ok(value)
            }
            Err(error) => {
                let _ = self.execute("ROLLBACK", &[]);
                Err(error)
            }
        }
    }
}

/// Identifies a set of migrations by their versions and names (FNV-1a, kept positive and
/// non-zero so that it never equals a fresh database's `user_version` of 0). Order does not
/// matter; a released migration is never edited, so its SQL need not be hashed.
pub fn fingerprint(migrations: &[Migration]) -> i64 {
    let mut versions: Vec<(i64, &str)> = migrations
        .iter()
        .map(|migration| (migration.version, migration.name))
        .collect();
    versions.sort_unstable();
    let mut hash: u32 = 0x811c_9dc5;
    for (version, name) in versions {
        for byte in version
            .to_le_bytes()
            .iter()
            .chain(name.as_bytes())
            .chain(b";")
        {
            hash = (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193);
        }
    }
    i64::from(hash & 0x7fff_ffff).max(1)
}

/// Splits a migration script on `;` at line ends (statements in migrations do not contain
/// `;` inside string literals).
fn split_statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n")
        .map(|statement| statement.trim().trim_end_matches(';').trim())
        .filter(|statement| !statement.is_empty())
}

/// A text parameter.
pub fn text(value: impl Into<String>) -> Value {
    Value::Text(value.into())
}

/// An integer parameter.
pub fn int(value: impl Into<i64>) -> Value {
    Value::Integer(value.into())
}

/// A text parameter, or NULL.
pub fn opt_text(value: Option<impl Into<String>>) -> Value {
    value.map_or(Value::Null, |value| Value::Text(value.into()))
}

/// The integer in a result cell.
pub fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Integer(number) => Some(*number),
        _ => None,
    }
}

/// Reads result rows by column name.
pub struct Rows<'a> {
    result: &'a QueryResult,
}

impl<'a> Rows<'a> {
    pub fn new(result: &'a QueryResult) -> Self {
        Self { result }
    }

    /// The first row, if any.
    pub fn first(&self) -> Option<RowView<'a>> {
        let result: &'a QueryResult = self.result;
        result.rows.first().map(|row| RowView {
            columns: &result.columns,
            values: &row.values,
        })
    }

    /// Each row as a [`RowView`].
    pub fn iter(&self) -> impl Iterator<Item = RowView<'a>> + 'a {
        let result: &'a QueryResult = self.result;
        result.rows.iter().map(move |row| RowView {
            columns: &result.columns,
            values: &row.values,
        })
    }
}

/// One result row, read by column name. Reading a column the query did not select, or a
/// value of another type, gives the type's empty value: queries and readers live side by
/// side in each repository, and tests cover them.
pub struct RowView<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl RowView<'_> {
    fn value(&self, column: &str) -> Option<&Value> {
        let index = self.columns.iter().position(|name| name == column)?;
        self.values.get(index)
    }

    /// A TEXT column (NULL and other types read as "").
    pub fn text(&self, column: &str) -> String {
        self.opt_text(column).unwrap_or_default()
    }

    /// A nullable TEXT column.
    pub fn opt_text(&self, column: &str) -> Option<String> {
        match self.value(column)? {
            Value::Text(text) => Some(text.clone()),
            _ => None,
        }
    }

    /// An INTEGER column (NULL reads as 0).
    pub fn int(&self, column: &str) -> i64 {
        self.opt_int(column).unwrap_or_default()
    }

    /// A nullable INTEGER column.
    pub fn opt_int(&self, column: &str) -> Option<i64> {
        integer(self.value(column))
    }

    /// A nullable REAL column (an INTEGER reads as its value).
    pub fn opt_real(&self, column: &str) -> Option<f64> {
        match self.value(column)? {
            Value::Real(number) => Some(*number),
            Value::Integer(number) => Some(*number as f64),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_scripts() {
        let statements: Vec<_> =
            split_statements("CREATE TABLE a (x);\nCREATE INDEX i ON a (x);\n\n").collect();
        assert_eq!(
            statements,
            ["CREATE TABLE a (x)", "CREATE INDEX i ON a (x)"]
        );
    }

    const fn migration(version: i64, name: &'static str) -> Migration {
        Migration {
            version,
            name,
            sql: "",
        }
    }

    #[test]
    fn fingerprints_identify_the_set() {
        let old = [migration(1, "a"), migration(1000, "outbox")];
        let new = [
            migration(1, "a"),
            migration(2, "b"),
            migration(1000, "outbox"),
        ];
        let shuffled = [
            migration(1000, "outbox"),
            migration(2, "b"),
            migration(1, "a"),
        ];
        assert_ne!(fingerprint(&old), fingerprint(&new));
        assert_eq!(fingerprint(&new), fingerprint(&shuffled));
        assert_ne!(
            fingerprint(&[migration(2, "a")]),
            fingerprint(&[migration(2, "b")])
        );
        for set in [&old[..], &new[..], &[]] {
            assert!((1..=i64::from(i32::MAX)).contains(&fingerprint(set)));
        }
    }
}
