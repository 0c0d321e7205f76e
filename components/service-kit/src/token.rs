//! Access tokens: JWTs signed with HMAC-SHA256 (`alg` pinned to HS256). accounts issues
//! them; the gateway verifies them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

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

fn mac(key: &[u8]) -> Result<Hmac<Sha256>, TokenError> {
    if key.len() < MIN_KEY_BYTES {
        return Err(TokenError::WeakKey);
    }
    Hmac::<Sha256>::new_from_slice(key).map_err(|_| TokenError::WeakKey)
}

/// Signs `claims` with `key`.
pub fn issue(claims: &Claims, key: &[u8]) -> Result<String, TokenError> {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).map_err(|_| TokenError::Malformed)?);
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(key)?;
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    Ok(format!("{signing_input}.{signature}"))
}

/// Checks `token`'s algorithm, signature (in constant time), issuer and expiry at `now`
/// (Unix seconds), and returns its claims.
pub fn verify(token: &str, key: &[u8], now: i64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header_part), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: serde_json::Value = decode(header_part)?;
    if header.get("alg").and_then(|alg| alg.as_str()) != Some("HS256") {
        return Err(TokenError::Algorithm);
    }
    let mut mac = mac(key)?;
    mac.update(format!("{header_part}.{payload}").as_bytes());
    let expected = mac.finalize().into_bytes();
    let given = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    if given.len() != expected.len() || !bool::from(given.ct_eq(&expected)) {
        return Err(TokenError::Signature);
    }
    let claims: Claims = decode(payload)?;
    if claims.iss != ISSUER {
        return Err(TokenError::Issuer);
    }
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

fn decode<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
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
