//! The gateway's settings, read from Spin variables on every request (each request is a
//! fresh instance; variables are cheap host calls).

use spin_sdk::variables;

use crate::error::GatewayError;

/// A private service behind the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Catalog,
    Accounts,
    Cart,
    Orders,
    Payments,
    Notifications,
    Telemetry,
    Alerts,
}

impl Service {
    /// Every service, in the order health reports them.
    pub const ALL: [Service; 8] = [
        Service::Catalog,
        Service::Accounts,
        Service::Cart,
        Service::Orders,
        Service::Payments,
        Service::Notifications,
        Service::Telemetry,
        Service::Alerts,
    ];

    /// The services that keep dead letters (as consumers) or undelivered events (as
    /// producers).
    pub const WITH_DEAD_LETTERS: [Service; 6] = [
        Service::Catalog,
        Service::Orders,
        Service::Payments,
        Service::Notifications,
        Service::Telemetry,
        Service::Alerts,
    ];

    /// The service's name: its component id, and the prefix of its variable.
    pub fn name(self) -> &'static str {
        match self {
            Service::Catalog => "catalog",
            Service::Accounts => "accounts",
            Service::Cart => "cart",
            Service::Orders => "orders",
            Service::Payments => "payments",
            Service::Notifications => "notifications",
            Service::Telemetry => "telemetry",
            Service::Alerts => "alerts",
        }
    }

    /// The service called `name`.
    pub fn parse(name: &str) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|service| service.name() == name)
    }
}

/// Everything the gateway reads from its variables.
pub struct Config {
    /// HS256 key that verifies access tokens.
    pub jwt_signing_key: Vec<u8>,
    /// How long one upstream call may take in all, retries included.
    pub upstream_timeout_ms: u64,
    /// Requests per minute a client may make (token bucket; the burst is the same number).
    pub rate_limit_per_minute: u32,
    /// Sign-in attempts per minute a client may make.
    pub login_rate_limit_per_minute: u32,
    /// Origins allowed to call the API from a browser (CORS).
    pub cors_allowed_origins: Vec<String>,
    /// The key the services' internal routes require (`internal_api_key`), read once per
    /// request; without it only calls to services fail.
    internal_key: Option<String>,
}

impl Config {
    /// Reads every variable; a missing or invalid one is a misconfiguration (500, logged).
    pub fn load() -> Result<Self, GatewayError> {
        Ok(Self {
            jwt_signing_key: required("jwt_signing_key")?.into_bytes(),
            upstream_timeout_ms: number("upstream_timeout_ms")?,
            rate_limit_per_minute: number("rate_limit_per_minute")?,
            login_rate_limit_per_minute: number("login_rate_limit_per_minute")?,
            cors_allowed_origins: required("cors_allowed_origins")?
                .split(',')
                .map(str::trim)
                .filter(|origin| !origin.is_empty())
                .map(str::to_owned)
                .collect(),
            internal_key: variables::get("internal_api_key").ok(),
        })
    }

    /// Where and how to reach `service`: its base URL (`<name>_url`, e.g.
    /// `http://catalog.spin.internal`) and the internal key it requires.
    pub fn endpoint(&self, service: Service) -> Result<Endpoint<'_>, GatewayError> {
        let internal_key = self
            .internal_key
            .as_deref()
            .ok_or_else(|| GatewayError::Misconfigured("internal_api_key is not set".to_owned()))?;
        Ok(Endpoint {
            base_url: required(&format!("{}_url", service.name()))?
                .trim_end_matches('/')
                .to_owned(),
            internal_key,
        })
    }
}

/// A service's base URL and the key its internal routes require.
pub struct Endpoint<'a> {
    pub base_url: String,
    pub internal_key: &'a str,
}

fn required(name: &str) -> Result<String, GatewayError> {
    variables::get(name).map_err(|error| GatewayError::Misconfigured(format!("{name}: {error}")))
}

fn number<T: std::str::FromStr>(name: &str) -> Result<T, GatewayError> {
    let text = required(name)?;
    text.trim()
        .parse()
        .map_err(|_| GatewayError::Misconfigured(format!("{name} is not a number: {text}")))
}
