//! accounts' Spin variables, read and checked where they are used. A missing or unusable
//! value is an [`AccountsError::Misconfigured`]: logged, and answered with 503.

use spin_sdk::variables;

use crate::domain::{Email, Password};
use crate::error::AccountsError;

/// The longest access token lifetime accepted: 30 days.
const MAX_TTL_SECONDS: i64 = 30 * 24 * 3600;

fn variable(name: &str) -> Result<String, AccountsError> {
    variables::get(name)
        .map_err(|error| AccountsError::Misconfigured(format!("variable {name}: {error:?}")))
}

/// How access tokens are signed: `jwt_signing_key` and `jwt_ttl_seconds`.
pub struct TokenSettings {
    pub key: Vec<u8>,
    pub ttl_seconds: i64,
}

impl TokenSettings {
    /// Reads and checks the variables.
    pub fn from_variables() -> Result<Self, AccountsError> {
        Self::parse(&variable("jwt_signing_key")?, &variable("jwt_ttl_seconds")?)
    }

    /// Checks a signing key (at least [`service_kit::token::MIN_KEY_BYTES`] bytes) and a
    /// lifetime in seconds (1 to 30 days' worth).
    pub fn parse(key: &str, ttl_seconds: &str) -> Result<Self, AccountsError> {
        let min = service_kit::token::MIN_KEY_BYTES;
        if key.len() < min {
            return Err(AccountsError::Misconfigured(format!(
                "jwt_signing_key is {} bytes long; HS256 needs at least {min}",
                key.len()
            )));
        }
        let ttl_seconds = ttl_seconds
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|ttl| (1..=MAX_TTL_SECONDS).contains(ttl))
            .ok_or_else(|| {
                AccountsError::Misconfigured(format!(
                    "jwt_ttl_seconds `{ttl_seconds}` is not a number of seconds from 1 to \
                     {MAX_TTL_SECONDS}"
                ))
            })?;
        Ok(Self {
            key: key.as_bytes().to_vec(),
            ttl_seconds,
        })
    }
}

/// The first admin: `admin_email` and `admin_password`.
pub struct AdminSeed {
    pub email: Email,
    pub password: Password,
}

impl AdminSeed {
    /// Reads and checks both variables; the password must pass the rules for new passwords.
    pub fn from_variables() -> Result<Self, AccountsError> {
        let email = Email::parse(&variable("admin_email")?)
            .map_err(|message| AccountsError::Misconfigured(format!("admin_email {message}")))?;
        let password = Password::parse(&variable("admin_password")?)
            .map_err(|message| AccountsError::Misconfigured(format!("admin_password {message}")))?;
        Ok(Self { email, password })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_signing_keys_are_refused() {
        let error = TokenSettings::parse("too short", "3600").err().unwrap();
        assert!(error.to_string().contains("at least 32"), "{error}");
        let settings = TokenSettings::parse(&"k".repeat(32), " 900 ").unwrap();
        assert_eq!(settings.ttl_seconds, 900);
    }

    #[test]
    fn lifetimes_must_be_sane() {
        let key = "k".repeat(32);
        for bad in ["", "0", "-5", "ten", "2592001"] {
            assert!(TokenSettings::parse(&key, bad).is_err(), "{bad}");
        }
    }
}
