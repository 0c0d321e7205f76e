//! The request context the gateway hands every service, in headers it sets itself.
//!
//! Services sit on private routes: only other components of the app reach them, and the
//! gateway strips these headers from client requests before setting them. A service can
//! therefore trust them, and never parses a token itself.

use spin_sdk::http::{Request, RequestBuilder};

use crate::ids::UserId;
use crate::Problem;

/// The request id, echoed in responses and problem bodies.
pub const REQUEST_ID: &str = "x-request-id";
/// W3C trace context.
pub const TRACEPARENT: &str = "traceparent";
/// The authenticated caller's user id.
pub const USER_ID: &str = "x-wasmart-user-id";
/// The authenticated caller's role (`customer` or `admin`).
pub const USER_ROLE: &str = "x-wasmart-user-role";
/// The authenticated caller's email address.
pub const USER_EMAIL: &str = "x-wasmart-user-email";

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "customer" => Some(Self::Customer),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Admin => "admin",
        }
    }
}

/// The authenticated user on whose behalf a request runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub role: Role,
    pub email: Option<String>,
}

/// The user id a component acting on its own behalf presents (see [`Caller::system`]).
pub const SYSTEM_USER_ID: &str = "00000000-0000-4000-8000-000000000000";

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// A component acting on its own behalf with the admin role, e.g. alerts reading
    /// telemetry's overview. Only callers holding the internal key reach a service, so only
    /// components can present it.
    pub fn system() -> Self {
        Self {
            user_id: UserId::parse(SYSTEM_USER_ID).unwrap_or_default(),
            role: Role::Admin,
            email: None,
        }
    }
}

/// Request id, trace context and caller of one request.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub request_id: Option<String>,
    pub traceparent: Option<String>,
    pub caller: Option<Caller>,
}

impl RequestContext {
    /// Reads the context headers; malformed identity headers count as anonymous.
    pub fn from_request(request: &Request) -> Self {
        let header = |name: &str| {
            request
                .header(name)
                .and_then(|value| value.as_str())
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let caller = match (header(USER_ID), header(USER_ROLE)) {
            (Some(id), Some(role)) => {
                UserId::parse(&id)
                    .zip(Role::parse(&role))
                    .map(|(user_id, role)| Caller {
                        user_id,
                        role,
                        email: header(USER_EMAIL),
                    })
            }
            _ => None,
        };
        Self {
            request_id: header(REQUEST_ID),
            traceparent: header(TRACEPARENT).filter(|value| is_traceparent(value)),
            caller,
        }
    }

    /// The caller, or 401.
    pub fn caller(&self) -> Result<&Caller, Problem> {
        self.caller
            .as_ref()
            .ok_or_else(|| Problem::unauthorized("Sign in to use this resource."))
    }

    /// The caller if an admin; 401 when anonymous, 403 otherwise.
    pub fn admin(&self) -> Result<&Caller, Problem> {
        let caller = self.caller()?;
        if caller.is_admin() {
            Ok(caller)
        } else {
            Err(Problem::forbidden("This resource requires the admin role."))
        }
    }

    /// Copies request id, trace context and caller onto an outgoing request to another
    /// service.
    pub fn forward(&self, builder: &mut RequestBuilder) {
        if let Some(id) = &self.request_id {
            builder.header(REQUEST_ID, id.as_str());
        }
        if let Some(traceparent) = &self.traceparent {
            builder.header(TRACEPARENT, traceparent.as_str());
        }
        if let Some(caller) = &self.caller {
            builder.header(USER_ID, caller.user_id.as_str());
            builder.header(USER_ROLE, caller.role.as_str());
            if let Some(email) = &caller.email {
                builder.header(USER_EMAIL, email.as_str());
            }
        }
    }
}

/// Whether `value` is a well-formed W3C `traceparent` (version 00).
pub fn is_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |part: &str, len: usize| {
        part.len() == len
            && part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    matches!(parts.as_slice(), [version, trace, span, flags]
        if hex(version, 2) && *version != "ff" && hex(trace, 32) && hex(span, 16) && hex(flags, 2)
            && trace.bytes().any(|b| b != b'0') && span.bytes().any(|b| b != b'0'))
}

/// A new `traceparent` with a random trace id and span id, sampled.
pub fn new_traceparent() -> String {
    let trace = uuid::Uuid::new_v4().simple().to_string();
    let span = &uuid::Uuid::new_v4().simple().to_string()[..16];
    format!("00-{trace}-{span}-01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_validation() {
        assert!(is_traceparent(&new_traceparent()));
        assert!(is_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        ));
        assert!(!is_traceparent(
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
        ));
        assert!(!is_traceparent(
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"
        ));
        assert!(!is_traceparent("garbage"));
    }
}
