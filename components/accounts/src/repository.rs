//! accounts' SQLite database.

use serde::Serialize;
use service_kit::clock::{now_ms, rfc3339};
use service_kit::db::{int, opt_text, text, Db, Migration, RowView, Rows};
use service_kit::events::Address;
use service_kit::ids::UserId;
use spin_sdk::sqlite::Error;

use crate::domain::Email;

/// accounts' schema, oldest first.
pub const MIGRATIONS: &[Migration] = &[Migration {
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
}];

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub shipping_address: Option<Address>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str =
    "id, email, name, password_hash, role, shipping_address, created_at, updated_at";

fn user(row: &RowView<'_>) -> User {
    User {
        id: row.text("id"),
        email: row.text("email"),
        name: row.text("name"),
        role: row.text("role"),
        shipping_address: row
            .opt_text("shipping_address")
            .and_then(|json| serde_json::from_str(&json).ok()),
        created_at: rfc3339(row.int("created_at")),
        updated_at: rfc3339(row.int("updated_at")),
    }
}

/// Opens the database, migrating it on first use.
pub fn open() -> Result<Db, Error> {
    Db::open("accounts", MIGRATIONS)
}

/// Inserts a user; `None` if the email is taken.
pub fn insert(
    db: &Db,
    email: &Email,
    name: &str,
    hash: &str,
    role: &str,
) -> Result<Option<User>, Error> {
    let now = now_ms();
    let inserted = db.query(
        &format!(
            "INSERT INTO users ({COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)
             ON CONFLICT (email) DO NOTHING RETURNING {COLUMNS}"
        ),
        &[
            text(UserId::new().as_str()),
            text(email.as_str()),
            text(name),
            text(hash),
            text(role),
            int(now),
            int(now),
        ],
    )?;
    Ok(Rows::new(&inserted).first().map(|row| user(&row)))
}

/// Whether a user with `email` exists.
pub fn email_taken(db: &Db, email: &Email) -> Result<bool, Error> {
    Ok(!db
        .query(
            "SELECT 1 FROM users WHERE email = ?",
            &[text(email.as_str())],
        )?
        .rows
        .is_empty())
}

/// The user with `email` and their password hash.
pub fn by_email(db: &Db, email: &Email) -> Result<Option<(User, String)>, Error> {
    let result = db.query(
        &format!("SELECT {COLUMNS} FROM users WHERE email = ?"),
        &[text(email.as_str())],
    )?;
    Ok(Rows::new(&result)
        .first()
        .map(|row| (user(&row), row.text("password_hash"))))
}

/// The user `id`.
pub fn by_id(db: &Db, id: &UserId) -> Result<Option<User>, Error> {
    let result = db.query(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?"),
        &[text(id.as_str())],
    )?;
    Ok(Rows::new(&result).first().map(|row| user(&row)))
}

/// Changes the name and/or shipping address of user `id`.
pub fn update_profile(
    db: &Db,
    id: &UserId,
    name: Option<&str>,
    address: Option<Option<&Address>>,
) -> Result<Option<User>, Error> {
    let address_json = address.map(|a| a.map(|a| serde_json::to_string(a).unwrap_or_default()));
    let result = db.query(
        &format!(
            "UPDATE users SET name = COALESCE(?, name),
                 shipping_address = CASE WHEN ? THEN ? ELSE shipping_address END,
                 updated_at = ?
             WHERE id = ? RETURNING {COLUMNS}"
        ),
        &[
            opt_text(name),
            int(i64::from(address_json.is_some())),
            opt_text(address_json.flatten()),
            int(now_ms()),
            text(id.as_str()),
        ],
    )?;
    Ok(Rows::new(&result).first().map(|row| user(&row)))
}

/// One page of users, oldest first, and the total.
pub fn list(db: &Db, page: u32, page_size: u32) -> Result<(Vec<User>, i64), Error> {
    let result = db.query(
        &format!("SELECT {COLUMNS} FROM users ORDER BY created_at, email LIMIT ? OFFSET ?"),
        &[
            int(i64::from(page_size)),
            int(i64::from(page - 1) * i64::from(page_size)),
        ],
    )?;
    let users = Rows::new(&result).iter().map(|row| user(&row)).collect();
    let total = db.query("SELECT COUNT(*) AS n FROM users", &[])?;
    let total = Rows::new(&total).first().map_or(0, |row| row.int("n"));
    Ok((users, total))
}
