//! accounts' failures, mapped to HTTP in one place.

use service_kit::Problem;

/// An accounts failure.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("an account with this email exists")]
    EmailTaken,
    #[error("the email or password is wrong")]
    BadCredentials,
    #[error("the account no longer exists")]
    UnknownUser,
    #[error("accounts is misconfigured: {0}")]
    Configuration(String),
    #[error("hashing failed: {0}")]
    Hashing(String),
    #[error("database: {0:?}")]
    Database(#[from] spin_sdk::sqlite::Error),
}

impl From<AccountsError> for Problem {
    fn from(error: AccountsError) -> Self {
        match &error {
            AccountsError::EmailTaken => Problem::conflict("email-taken", error.to_string()),
            AccountsError::BadCredentials => Problem::unauthorized(error.to_string()),
            AccountsError::UnknownUser => Problem::not_found(error.to_string()),
            AccountsError::Configuration(cause) => {
                eprintln!("configuration: {cause}");
                Problem::unavailable("Sign-in is unavailable right now.")
            }
            AccountsError::Hashing(_) | AccountsError::Database(_) => Problem::internal(&error),
        }
    }
}
