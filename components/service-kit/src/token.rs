//! Access tokens: JWTs signed with HMAC-SHA256 (`alg` pinned to HS256), encoded and
//! verified by the `jsonwebtoken` crate. accounts issues them; the gateway verifies them.
//!
//! jsonwebtoken takes its signature algorithms from a crypto provider. Its bundled
//! `rust_crypto` provider picks the algorithm at run time from every one it supports, so
//! RSA, ECDSA and EdDSA would be linked into each component that handles tokens (about
//! 1.2 MB each: the gateway would pass the 2 MB budget). [`hs256`] provides HS256 alone,
//! with RustCrypto's `hmac` (the crate that provider uses for HMAC), and the crate does the
//! rest: encoding, parsing, algorithm checks and signature comparison.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The issuer every token names.
pub const ISSUER: &str = "wasmart";
/// The shortest signing key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// What a token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub email: String,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the signing key is shorter than {MIN_KEY_BYTES} bytes")]
    WeakKey,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's algorithm is not HS256")]
    Algorithm,
    #[error("the signature does not match")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token was not issued by {ISSUER}")]
    Issuer,
}

/// `key`, if long enough.
fn checked(key: &[u8]) -> Result<&[u8], TokenError> {
    if key.len() < MIN_KEY_BYTES {
        return Err(TokenError::WeakKey);
    }
    Ok(key)
}

/// Signs `claims` with `key`.
pub fn issue(claims: &Claims, key: &[u8]) -> Result<String, TokenError> {
    hs256::install();
    let key = EncodingKey::from_secret(checked(key)?).map_err(|_| TokenError::WeakKey)?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
        .map_err(|_| TokenError::Malformed)
}

/// Checks `token`'s shape, algorithm, signature, issuer and expiry at `now` (Unix seconds:
/// a token is valid strictly before its `exp`), and returns its claims.
pub fn verify(token: &str, key: &[u8], now: i64) -> Result<Claims, TokenError> {
    hs256::install();
    let key = DecodingKey::from_secret(checked(key)?).map_err(|_| TokenError::WeakKey)?;
    if token.split('.').count() != 3 {
        return Err(TokenError::Malformed);
    }
    match jsonwebtoken::decode_header(token) {
        Ok(header) if header.alg == Algorithm::HS256 => {}
        // A header that decodes but names another algorithm, or none the crate knows.
        Ok(_) => return Err(TokenError::Algorithm),
        Err(error) if matches!(error.kind(), ErrorKind::Json(_)) => {
            return Err(TokenError::Algorithm)
        }
        Err(_) => return Err(TokenError::Malformed),
    }
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry and issuer are checked below, against the caller's clock and with this
    // module's errors.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|error| match error.kind() {
            ErrorKind::InvalidSignature => TokenError::Signature,
            ErrorKind::InvalidAlgorithm => TokenError::Algorithm,
            _ => TokenError::Malformed,
        })?
        .claims;
    if claims.iss != ISSUER {
        return Err(TokenError::Issuer);
    }
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// jsonwebtoken's crypto provider for HS256, the only algorithm tokens use.
mod hs256 {
    use hmac::{Hmac, Mac};
    use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
    use jsonwebtoken::errors::ErrorKind;
    use jsonwebtoken::signature::{self, Signer, Verifier};
    use jsonwebtoken::Algorithm;
    use sha2::Sha256;

    /// An HMAC-SHA256 keyed for one token.
    struct Hs256(Hmac<Sha256>);

    impl Hs256 {
        fn new(algorithm: &Algorithm, key: &[u8]) -> jsonwebtoken::errors::Result<Self> {
            if *algorithm != Algorithm::HS256 {
                return Err(ErrorKind::InvalidAlgorithm.into());
            }
            Hmac::new_from_slice(key)
                .map(Self)
                .map_err(|_| ErrorKind::InvalidKeyFormat.into())
        }

        fn mac(&self, message: &[u8]) -> Hmac<Sha256> {
            let mut mac = self.0.clone();
            mac.update(message);
            mac
        }
    }

    impl Signer<Vec<u8>> for Hs256 {
        fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
            Ok(self.mac(message).finalize().into_bytes().to_vec())
        }
    }

    impl Verifier<Vec<u8>> for Hs256 {
        /// Compares in constant time (`verify_slice`).
        fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
            self.mac(message)
                .verify_slice(signature)
                .map_err(|_| signature::Error::new())
        }
    }

    impl JwtSigner for Hs256 {
        fn algorithm(&self) -> Algorithm {
            Algorithm::HS256
        }
    }

    impl JwtVerifier for Hs256 {
        fn algorithm(&self) -> Algorithm {
            Algorithm::HS256
        }
    }

    static PROVIDER: CryptoProvider = CryptoProvider {
        signer_factory: |algorithm, key| Ok(Box::new(Hs256::new(algorithm, key.as_bytes())?)),
        verifier_factory: |algorithm, key| {
            Ok(Box::new(Hs256::new(algorithm, key.try_get_as_bytes()?)?))
        },
        // Only for JWKs, which tokens never use.
        key_utils: KeyUtils::new_unimplemented(),
    };

    /// Makes [`PROVIDER`] jsonwebtoken's provider (once per instance; later calls find it
    /// installed).
    pub fn install() {
        let _ = PROVIDER.install_default();
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: ISSUER.into(),
            sub: "u".into(),
            email: "a@b.c".into(),
            role: "customer".into(),
            iat: 0,
            exp,
            jti: "j".into(),
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let token = issue(&claims(100), KEY).unwrap();
        assert_eq!(verify(&token, KEY, 50).unwrap(), claims(100));
        assert_eq!(verify(&token, KEY, 100), Err(TokenError::Expired));
        assert_eq!(
            verify(&token, b"another-key-another-key-another!", 50),
            Err(TokenError::Signature)
        );
        let (head, rest) = token.split_once('.').unwrap();
        let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        assert_eq!(
            verify(&format!("{none}.{rest}"), KEY, 50),
            Err(TokenError::Algorithm)
        );
        assert!(!head.is_empty());
        assert_eq!(issue(&claims(1), b"short"), Err(TokenError::WeakKey));
        assert_eq!(verify("a.b", KEY, 0), Err(TokenError::Malformed));
    }
}
