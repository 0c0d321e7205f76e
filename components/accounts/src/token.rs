//! The access tokens accounts issues: JWTs signed with HMAC-SHA256 by
//! [`service_kit::token`], the one implementation of signing and verification that
//! accounts and the gateway share. Claims: `iss` "wasmart", `sub` the user id, `email`,
//! `role`, `iat`, `exp` (= `iat` + `jwt_ttl_seconds`) and a random `jti`.

use service_kit::token::{self, Claims};

use crate::config::TokenSettings;
use crate::error::AccountsError;
use crate::repository::Account;

/// A signed token and how many seconds it stays valid.
pub struct AccessToken {
    pub token: String,
    pub expires_in: i64,
}

/// Signs a token for `account`, issued at `now` (Unix seconds).
pub fn issue(
    account: &Account,
    settings: &TokenSettings,
    now: i64,
) -> Result<AccessToken, AccountsError> {
    let claims = Claims {
        iss: token::ISSUER.to_owned(),
        sub: account.id.to_string(),
        email: account.email.clone(),
        role: account.role.as_str().to_owned(),
        iat: now,
        exp: now + settings.ttl_seconds,
        jti: service_kit::ids::random_uuid(),
    };
    let token = token::issue(&claims, &settings.key)
        .map_err(|error| AccountsError::Misconfigured(format!("jwt_signing_key: {error}")))?;
    Ok(AccessToken {
        token,
        expires_in: settings.ttl_seconds,
    })
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use service_kit::context::Role;
    use service_kit::ids::UserId;
    use service_kit::token::{verify, TokenError};

    use super::*;

    const KEY: &str = "a-test-signing-key-of-32-bytes!!";
    const NOW: i64 = 1_800_000_000;

    fn settings() -> TokenSettings {
        TokenSettings::parse(KEY, "3600").unwrap()
    }

    fn account() -> Account {
        Account {
            id: UserId::new(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            role: Role::Customer,
            shipping_address: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn issued() -> (Account, String) {
        let account = account();
        let token = issue(&account, &settings(), NOW).unwrap().token;
        (account, token)
    }

    fn parts(token: &str) -> Vec<String> {
        token.split('.').map(str::to_owned).collect()
    }

    fn encode(json: &str) -> String {
        encode_bytes(json.as_bytes())
    }

    fn encode_bytes(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn verifies_what_it_issues() {
        let (account, token) = issued();
        let claims = verify(&token, KEY.as_bytes(), NOW + 10).unwrap();
        assert_eq!(claims.iss, "wasmart");
        assert_eq!(claims.sub, account.id.to_string());
        assert_eq!(claims.email, "ada@example.com");
        assert_eq!(claims.role, "customer");
        assert_eq!((claims.iat, claims.exp), (NOW, NOW + 3600));
        assert!(UserId::parse(&claims.jti).is_some());
        let again = issue(&account, &settings(), NOW).unwrap().token;
        assert_ne!(verify(&again, KEY.as_bytes(), NOW).unwrap().jti, claims.jti);
    }

    #[test]
    fn the_header_pins_hs256() {
        let (_, token) = issued();
        let header = URL_SAFE_NO_PAD.decode(&parts(&token)[0]).unwrap();
        let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
        assert_eq!(header, serde_json::json!({ "alg": "HS256", "typ": "JWT" }));
    }

    #[test]
    fn refuses_other_algorithms_including_none() {
        let (_, token) = issued();
        let p = parts(&token);
        for header in [
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"None"}"#,
            r#"{"alg":"HS512","typ":"JWT"}"#,
            r#"{"alg":"RS256","typ":"JWT"}"#,
            r#"{"typ":"JWT"}"#,
        ] {
            for signature in ["", p[2].as_str()] {
                let forged = format!("{}.{}.{signature}", encode(header), p[1]);
                assert_eq!(
                    verify(&forged, KEY.as_bytes(), NOW),
                    Err(TokenError::Algorithm),
                    "{header}"
                );
            }
        }
    }

    #[test]
    fn refuses_tampered_payloads_and_foreign_signatures() {
        let (account, token) = issued();
        let p = parts(&token);
        let promoted = format!(
            r#"{{"iss":"wasmart","sub":"{}","email":"ada@example.com","role":"admin","iat":{NOW},"exp":{},"jti":"x"}}"#,
            account.id,
            NOW + 3600
        );
        let tampered = format!("{}.{}.{}", p[0], encode(&promoted), p[2]);
        assert_eq!(
            verify(&tampered, KEY.as_bytes(), NOW),
            Err(TokenError::Signature)
        );
        assert_eq!(
            verify(&token, b"another-signing-key-of-32-bytes!", NOW),
            Err(TokenError::Signature)
        );
        let mut signature = URL_SAFE_NO_PAD.decode(&p[2]).unwrap();
        signature.pop();
        let truncated = format!("{}.{}.{}", p[0], p[1], encode_bytes(&signature));
        assert_eq!(
            verify(&truncated, KEY.as_bytes(), NOW),
            Err(TokenError::Signature)
        );
    }

    #[test]
    fn refuses_expired_tokens_and_other_issuers() {
        let (_, token) = issued();
        assert!(verify(&token, KEY.as_bytes(), NOW + 3599).is_ok());
        assert_eq!(
            verify(&token, KEY.as_bytes(), NOW + 3600),
            Err(TokenError::Expired)
        );
        let foreign = Claims {
            iss: "someone-else".into(),
            ..verify(&token, KEY.as_bytes(), NOW).unwrap()
        };
        let foreign = token::issue(&foreign, KEY.as_bytes()).unwrap();
        assert_eq!(
            verify(&foreign, KEY.as_bytes(), NOW),
            Err(TokenError::Issuer)
        );
    }

    #[test]
    fn refuses_malformed_tokens_and_weak_keys() {
        let (_, token) = issued();
        for bad in ["", "a.b", "a.b.c.d", "!!.??.**", &format!("{token}.extra")] {
            assert_eq!(
                verify(bad, KEY.as_bytes(), NOW),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(verify(&token, b"short", NOW), Err(TokenError::WeakKey));
    }
}
