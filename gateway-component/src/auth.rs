//! Who is calling: the bearer token is verified here (HS256 only, signature, issuer and
//! expiry), and only the gateway's own identity headers reach the services.

use service_kit::context::{Caller, Role};
use service_kit::ids::UserId;
use service_kit::token;
use spin_sdk::http::Request;

use crate::error::GatewayError;

/// What a route demands of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; a valid token is still used when present.
    Public,
    /// A signed-in customer or admin.
    SignedIn,
    /// An admin.
    Admin,
}

/// The verified caller of a request, if any. An `Authorization` header that is present but
/// not a valid bearer token is a 401 on every route, never silently anonymous.
pub fn authenticate(
    request: &Request,
    key: &[u8],
    now_secs: i64,
) -> Result<Option<Caller>, GatewayError> {
    let Some(header) = request.header("authorization") else {
        return Ok(None);
    };
    let value = header.as_str().ok_or(GatewayError::Unauthenticated(
        "The Authorization header is not text.",
    ))?;
    let bearer = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(GatewayError::Unauthenticated(
            "Use Authorization: Bearer <access token>.",
        ))?;
    let claims = token::verify(bearer, key, now_secs).map_err(|error| match error {
        token::TokenError::Expired => {
            GatewayError::Unauthenticated("The access token has expired; sign in again.")
        }
        token::TokenError::WeakKey => {
            GatewayError::Misconfigured("jwt_signing_key is shorter than 32 bytes".to_owned())
        }
        _ => GatewayError::Unauthenticated("The access token is invalid."),
    })?;
    let user_id = UserId::parse(&claims.sub).ok_or(GatewayError::Unauthenticated(
        "The access token is invalid.",
    ))?;
    let role = Role::parse(&claims.role).ok_or(GatewayError::Unauthenticated(
        "The access token is invalid.",
    ))?;
    Ok(Some(Caller {
        user_id,
        role,
        email: Some(claims.email),
    }))
}

/// Checks `caller` against `access`: 401 when a sign-in is needed, 403 when the role falls
/// short.
pub fn authorize(caller: Option<&Caller>, access: Access) -> Result<(), GatewayError> {
    match (access, caller) {
        (Access::Public, _) => Ok(()),
        (_, None) => Err(GatewayError::Unauthenticated(
            "Sign in: this resource needs an access token.",
        )),
        (Access::SignedIn, Some(_)) => Ok(()),
        (Access::Admin, Some(caller)) if caller.is_admin() => Ok(()),
        (Access::Admin, Some(_)) => Err(GatewayError::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller {
            user_id: UserId::new(),
            role,
            email: None,
        }
    }

    #[test]
    fn access_rules() {
        let customer = caller(Role::Customer);
        let admin = caller(Role::Admin);
        assert!(authorize(None, Access::Public).is_ok());
        assert!(matches!(
            authorize(None, Access::SignedIn),
            Err(GatewayError::Unauthenticated(_))
        ));
        assert!(authorize(Some(&customer), Access::SignedIn).is_ok());
        assert!(matches!(
            authorize(Some(&customer), Access::Admin),
            Err(GatewayError::Forbidden)
        ));
        assert!(authorize(Some(&admin), Access::Admin).is_ok());
    }
}
