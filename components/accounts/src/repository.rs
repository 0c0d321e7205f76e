//! accounts' SQLite database (label `accounts`): the `users` table.

use crate::domain::{DisplayName, Email, ProfileChange};
use crate::error::AccountsError;
use service_kit::clock::now_ms;
use service_kit::context::Role;
use service_kit::db::{int, opt_text, text, Database, Db, Migration, RowView, Rows};
use service_kit::events::Address;
use service_kit::ids::UserId;

/// accounts' schema, oldest first. Emails are stored normalized (lower-case), so the
/// unique index makes them unique case-insensitively.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "users",
        sql: "CREATE TABLE users (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
            shipping_address TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL)",
    },
    Migration {
        version: 2,
        name: "users listed oldest first",
        sql: "CREATE INDEX users_by_creation ON users (created_at, id)",
    },
];

/// A stored account (its password hash is read only by [`credentials`]).
#[derive(Debug, Clone)]
pub struct Account {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub shipping_address: Option<Address>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

const COLUMNS: &str = "id, email, name, role, shipping_address, created_at, updated_at";

fn account(row: &RowView<'_>) -> Account {
    Account {
        id: UserId::parse(&row.text("id")).unwrap_or_default(),
        email: row.text("email"),
        name: row.text("name"),
        role: Role::parse(&row.text("role")).unwrap_or(Role::Customer),
        shipping_address: row
            .opt_text("shipping_address")
            .and_then(|json| serde_json::from_str(&json).ok()),
        created_at: row.int("created_at"),
        updated_at: row.int("updated_at"),
    }
}

/// accounts' database.
pub const DATABASE: Database = Database::new("accounts", MIGRATIONS);

/// Inserts an account; `None` if the email is taken (also when a concurrent insert won).
pub fn insert(
    db: &Db,
    email: &Email,
    name: &DisplayName,
    password_hash: &str,
    role: Role,
) -> Result<Option<Account>, AccountsError> {
    let now = now_ms();
    let inserted = db.query(
        &format!(
            "INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (email) DO NOTHING RETURNING {COLUMNS}"
        ),
        &[
            text(UserId::new().as_str()),
            text(email.as_str()),
            text(name.as_str()),
            text(password_hash),
            text(role.as_str()),
            int(now),
            int(now),
        ],
    )?;
    Ok(Rows::new(&inserted).first().map(|row| account(&row)))
}

/// Whether an account with `email` exists.
pub fn exists(db: &Db, email: &Email) -> Result<bool, AccountsError> {
    let found = db.query(
        "SELECT 1 FROM users WHERE email = ?",
        &[text(email.as_str())],
    )?;
    Ok(!found.rows.is_empty())
}

/// The account with `email` and its password hash.
pub fn credentials(db: &Db, email: &Email) -> Result<Option<(Account, String)>, AccountsError> {
    let result = db.query(
        &format!("SELECT {COLUMNS}, password_hash FROM users WHERE email = ?"),
        &[text(email.as_str())],
    )?;
    Ok(Rows::new(&result)
        .first()
        .map(|row| (account(&row), row.text("password_hash"))))
}

/// The account `id`.
pub fn find(db: &Db, id: &UserId) -> Result<Option<Account>, AccountsError> {
    let result = db.query(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?"),
        &[text(id.as_str())],
    )?;
    Ok(Rows::new(&result).first().map(|row| account(&row)))
}

/// Applies `change` to account `id`; `None` if there is no such account.
pub fn update_profile(
    db: &Db,
    id: &UserId,
    change: &ProfileChange,
) -> Result<Option<Account>, AccountsError> {
    let address = change
        .shipping_address
        .as_ref()
        .map(|address| address.as_ref().and_then(|a| serde_json::to_string(a).ok()));
    let result = db.query(
        &format!(
            "UPDATE users SET name = COALESCE(?, name),
                 shipping_address = CASE WHEN ? THEN ? ELSE shipping_address END,
                 updated_at = ?
             WHERE id = ? RETURNING {COLUMNS}"
        ),
        &[
            opt_text(change.name.as_ref().map(DisplayName::as_str)),
            int(i64::from(address.is_some())),
            opt_text(address.flatten()),
            int(now_ms()),
            text(id.as_str()),
        ],
    )?;
    Ok(Rows::new(&result).first().map(|row| account(&row)))
}

/// Page `page` (from 1) of `page_size` accounts, oldest first, and how many there are.
pub fn list(db: &Db, page: u32, page_size: u32) -> Result<(Vec<Account>, i64), AccountsError> {
    let result = db.query(
        &format!("SELECT {COLUMNS} FROM users ORDER BY created_at, id LIMIT ? OFFSET ?"),
        &[
            int(page_size),
            int(i64::from(page - 1) * i64::from(page_size)),
        ],
    )?;
    let accounts = Rows::new(&result).iter().map(|row| account(&row)).collect();
    let total = db.query("SELECT COUNT(*) AS n FROM users", &[])?;
    let total = Rows::new(&total).first().map_or(0, |row| row.int("n"));
    Ok((accounts, total))
}
