//! Everything that can go wrong in accounts, mapped to HTTP in one place.

use service_kit::{FieldError, Problem};

/// An accounts failure.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("an account with this email exists")]
    EmailTaken,
    /// One message for an unknown email and a wrong password alike.
    #[error("the email or password is wrong")]
    BadCredentials,
    #[error("the account no longer exists")]
    UnknownUser,
    /// A variable is missing or unusable (e.g. a signing key shorter than 32 bytes).
    #[error("accounts is misconfigured: {0}")]
    Misconfigured(String),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("database: {0:?}")]
    Database(#[from] spin_sdk::sqlite::Error),
}

impl From<AccountsError> for Problem {
    fn from(error: AccountsError) -> Self {
        match error {
            AccountsError::Invalid(errors) => Problem::validation(errors),
            AccountsError::EmailTaken => {
                Problem::conflict("email-taken", "An account with this email address exists.")
            }
            AccountsError::BadCredentials => {
                Problem::unauthorized("The email address or password is wrong.")
            }
            AccountsError::UnknownUser => Problem::not_found("This account no longer exists."),
            AccountsError::Misconfigured(_) => {
                eprintln!("{error}");
                Problem::unavailable("Accounts is not available right now; try again later.")
            }
            AccountsError::Hashing(_) | AccountsError::Database(_) => Problem::internal(&error),
        }
    }
}
