//! The first admin, created from the variables `admin_email` and `admin_password` the first
//! time accounts is used, exactly once.

use service_kit::context::Role;
use service_kit::db::Db;

use crate::config::AdminSeed;
use crate::domain::DisplayName;
use crate::error::AccountsError;
use crate::{password, repository};

/// The first admin's display name (they can change it with `PATCH /me`).
const ADMIN_NAME: &str = "Administrator";

/// Creates the admin account unless an account with the admin email exists. Cheap once it
/// does (one indexed lookup); concurrent first requests may each hash the password, but
/// `INSERT … ON CONFLICT DO NOTHING` on the unique email lets exactly one of them insert.
/// An existing customer with that email is never promoted.
pub fn ensure_first_admin(db: &Db) -> Result<(), AccountsError> {
    let seed = AdminSeed::from_variables()?;
    if repository::exists(db, &seed.email)? {
        return Ok(());
    }
    let name = DisplayName::parse(ADMIN_NAME).map_err(AccountsError::Misconfigured)?;
    let hash = password::hash(&seed.password)?;
    if repository::insert(db, &seed.email, &name, &hash, Role::Admin)?.is_some() {
        eprintln!("accounts: created the first admin, {}", seed.email.as_str());
    }
    Ok(())
}
