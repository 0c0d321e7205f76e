//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane),
//! stored as PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so the cost can
//! grow later without a migration: verification reads the parameters from the stored string.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::Password;
use crate::error::AccountsError;

/// Memory cost in KiB.
const MEMORY_KIB: u32 = 19_456;
/// Passes over memory.
const PASSES: u32 = 2;
/// Lanes.
const LANES: u32 = 1;
/// Random salt bytes per hash.
const SALT_BYTES: usize = 16;

/// A hash of a password nobody has, at the same cost as real ones: signing in with an
/// unknown email verifies against it, so the answer takes as long as for a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$d2FzbWFydC1kdW1teS1zYWx0LTE2$0knZFqy7YkVWP49GqK4i9KyjoeCdsOd8efEI1lRraRM";

fn argon2() -> Result<Argon2<'static>, AccountsError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|error| AccountsError::Hashing(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` with a fresh random salt from the host's secure random source.
pub fn hash(password: &Password) -> Result<String, AccountsError> {
    let mut salt = [0u8; SALT_BYTES];
    getrandom::fill(&mut salt).map_err(|error| AccountsError::Hashing(error.to_string()))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|error| AccountsError::Hashing(error.to_string()))?;
    argon2()?
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AccountsError::Hashing(error.to_string()))
}

/// Whether `candidate` matches `stored` (a PHC string); an unreadable hash matches nothing.
pub fn verify(candidate: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        eprintln!("accounts: a stored password hash is not a PHC string");
        return false;
    };
    argon2().is_ok_and(|argon2| {
        argon2
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends what [`verify`] spends, for a sign-in whose email has no account.
pub fn verify_dummy(candidate: &str) {
    // The result is meaningless: nobody's password is behind the dummy hash.
    let _ = verify(candidate, DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_use_fresh_salts() {
        let password = Password::parse("correct horse battery").unwrap();
        let first = hash(&password).unwrap();
        let second = hash(&password).unwrap();
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "every hash has its own salt");
        assert!(verify("correct horse battery", &first));
        assert!(!verify("correct horse battery!", &first));
        assert!(!verify("correct horse battery", "not a phc string"));
    }

    #[test]
    fn the_dummy_hash_costs_what_real_hashes_cost() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = Params::try_from(&dummy).unwrap();
        assert_eq!(dummy.algorithm.as_str(), "argon2id");
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (MEMORY_KIB, PASSES, LANES)
        );
    }
}
