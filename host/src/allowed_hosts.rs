//! `allowed_outbound_hosts`: Spin's deny-by-default allow-list for outbound connections.
//!
//! A pattern is `<scheme>://<host>[:<port>]`. The scheme, host and port may each be `*`;
//! a host may be `*.example.com`, a CIDR range such as `10.0.0.0/8`, or `self` (requests
//! to the application itself with a relative URL). A missing port means the scheme's
//! well-known port. `insecure:allow-all` allows everything.

use std::net::IpAddr;

/// Why an allow-list entry was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{pattern:?} is not a valid allowed outbound host: {reason}")]
pub struct PatternError {
    pattern: String,
    reason: String,
}

/// The parsed allow-list of one component.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    patterns: Vec<HostPattern>,
}

#[derive(Debug, Clone)]
enum HostPattern {
    AllowAll,
    Entry {
        scheme: Option<String>,
        host: HostMatch,
        port: PortMatch,
    },
}

#[derive(Debug, Clone)]
enum HostMatch {
    Any,
    Subdomain(String),
    Exact(String),
    ToSelf,
    Cidr { network: IpAddr, prefix: u8 },
}

/// A port or a range of ports, both ends included (`a..b` in a pattern excludes `b`, as in
/// Spin).
#[derive(Debug, Clone)]
enum PortMatch {
    Any,
    Range(u16, u16),
}

/// The destination of an outbound connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
}

impl Destination {
    /// Parses `scheme://[user@]host[:port][/...]`, as in a Redis address.
    pub fn parse_url(url: &str) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next()?;
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = split_host_port(authority)?;
        Some(Self {
            scheme: scheme.to_ascii_lowercase(),
            host,
            port,
        })
    }
}

/// Splits `host[:port]`, including bracketed IPv6 hosts.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host.to_ascii_lowercase(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_ascii_lowercase(), Some(port.parse().ok()?))),
        None if authority.is_empty() => None,
        None => Some((authority.to_ascii_lowercase(), None)),
    }
}

/// The port a scheme uses when none is written.
pub fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "redis" | "rediss" => Some(6379),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "mqtt" => Some(1883),
        _ => None,
    }
}

impl AllowedHosts {
    /// Parses every entry; the first bad one is the error.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, PatternError> {
        let patterns = entries
            .iter()
            .map(|e| HostPattern::parse(e.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Self { patterns })
    }

    /// Whether a connection to `dest` is allowed.
    pub fn allows(&self, dest: &Destination) -> bool {
        self.patterns.iter().any(|p| p.allows(dest))
    }

    /// Whether a relative-URL request to the application itself is allowed.
    pub fn allows_self(&self) -> bool {
        self.patterns.iter().any(|p| match p {
            HostPattern::AllowAll => true,
            HostPattern::Entry { scheme, host, .. } => {
                matches!(host, HostMatch::ToSelf | HostMatch::Any)
                    && scheme
                        .as_deref()
                        .is_none_or(|s| s == "http" || s == "https")
            }
        })
    }
}

impl HostPattern {
    fn parse(pattern: &str) -> Result<Self, PatternError> {
        let error = |reason: &str| PatternError {
            pattern: pattern.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = pattern.trim();
        if trimmed == "insecure:allow-all" {
            return Ok(Self::AllowAll);
        }
        let (scheme, rest) = trimmed.split_once("://").ok_or_else(|| {
            error("expected <scheme>://<host>[:<port>], e.g. https://example.com")
        })?;
        let scheme = match scheme {
            "*" => None,
            s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()) => {
                Some(s.to_ascii_lowercase())
            }
            _ => return Err(error("the scheme must be letters or '*'")),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') && !is_cidr(rest) {
            return Err(error("a path is not allowed"));
        }
        let (host, port) = match cidr_with_port(rest) {
            Some(network) => network,
            None => pattern_host_port(rest).ok_or_else(|| error("malformed host or port"))?,
        };
        let host = parse_host(host).map_err(|r| error(&r))?;
        let port = match port {
            Some("*") => PortMatch::Any,
            Some(p) => parse_port(p).map_err(|r| error(&r))?,
            None => match scheme.as_deref().and_then(well_known_port) {
                Some(p) => PortMatch::Range(p, p),
                None if matches!(host, HostMatch::ToSelf) => PortMatch::Any,
                None => return Err(error("no port given and the scheme has no well-known port")),
            },
        };
        Ok(Self::Entry { scheme, host, port })
    }

    fn allows(&self, dest: &Destination) -> bool {
        let Self::Entry { scheme, host, port } = self else {
            return true;
        };
        let scheme_ok = scheme.as_deref().is_none_or(|s| s == dest.scheme);
        let port_ok = match port {
            PortMatch::Any => true,
            PortMatch::Range(lo, hi) => dest
                .port
                .or_else(|| well_known_port(&dest.scheme))
                .is_some_and(|p| (*lo..=*hi).contains(&p)),
        };
        scheme_ok && port_ok && host.allows(&dest.host)
    }
}

impl HostMatch {
    fn allows(&self, host: &str) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        match self {
            Self::Any => true,
            Self::Subdomain(suffix) => host.ends_with(suffix.as_str()),
            Self::Exact(name) => *name == host,
            Self::ToSelf => false,
            Self::Cidr { network, prefix } => host
                .parse::<IpAddr>()
                .is_ok_and(|ip| in_network(ip, *network, *prefix)),
        }
    }
}

fn parse_host(host: &str) -> Result<HostMatch, String> {
    let host = host.trim().to_ascii_lowercase();
    if host == "*" {
        return Ok(HostMatch::Any);
    }
    if host == "self" || host == "self.alt" {
        return Ok(HostMatch::ToSelf);
    }
    if let Some((network, prefix)) = host.split_once('/') {
        let network: IpAddr = network
            .parse()
            .map_err(|_| format!("{network:?} is not an IP network"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or("bad CIDR prefix length")?;
        return Ok(HostMatch::Cidr { network, prefix });
    }
    if let Some(domain) = host.strip_prefix("*.") {
        if domain.is_empty() || domain.contains('*') {
            return Err("wildcards are allowed only as a leading '*.'".into());
        }
        return Ok(HostMatch::Subdomain(format!(".{domain}")));
    }
    if host.is_empty() || host.contains('*') {
        return Err("wildcards are allowed only as a leading '*.'".into());
    }
    Ok(HostMatch::Exact(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    ))
}

/// The host and optional port of a pattern: `host`, `host:port`, `[v6]` or `[v6]:port`.
fn pattern_host_port(text: &str) -> Option<(&str, Option<&str>)> {
    if text.starts_with('[') {
        let end = text.find(']')?;
        let (host, after) = text.split_at(end + 1);
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port))),
            None => after.is_empty().then_some((host, None)),
        };
    }
    Some(match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    })
}

fn parse_port(port: &str) -> Result<PortMatch, String> {
    let number = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("port {p:?} is not a number"))
    };
    match port.split_once("..") {
        Some((lo, hi)) => {
            let (lo, hi) = (number(lo)?, number(hi)?);
            if hi <= lo {
                return Err(format!("the port range {port:?} is empty"));
            }
            Ok(PortMatch::Range(lo, hi - 1))
        }
        None => {
            let p = number(port)?;
            Ok(PortMatch::Range(p, p))
        }
    }
}

fn is_cidr(text: &str) -> bool {
    cidr_with_port(text).is_some()
}

/// `10.0.0.0/8` or `10.0.0.0/8:80`.
fn cidr_with_port(text: &str) -> Option<(&str, Option<&str>)> {
    let (network, rest) = text.split_once('/')?;
    network.parse::<IpAddr>().ok()?;
    match rest.split_once(':') {
        Some((prefix, port)) => Some((&text[..network.len() + 1 + prefix.len()], Some(port))),
        None => Some((text, None)),
    }
}

fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(url: &str) -> Destination {
        Destination::parse_url(url).unwrap()
    }

    fn allows(patterns: &[&str], url: &str) -> bool {
        AllowedHosts::parse(patterns).unwrap().allows(&dest(url))
    }

    #[test]
    fn empty_list_denies_everything() {
        assert!(!allows(&[], "https://example.com"));
        assert!(!AllowedHosts::default().allows_self());
    }

    #[test]
    fn exact_hosts_and_default_ports() {
        assert!(allows(&["https://example.com"], "https://example.com/x"));
        assert!(allows(&["https://example.com"], "https://example.com:443"));
        assert!(!allows(
            &["https://example.com"],
            "https://example.com:8443"
        ));
        assert!(!allows(&["https://example.com"], "http://example.com"));
        assert!(!allows(&["https://example.com"], "https://evil.com"));
        assert!(allows(
            &["redis://127.0.0.1:6380"],
            "redis://127.0.0.1:6380/0"
        ));
        assert!(!allows(&["redis://127.0.0.1:6380"], "redis://127.0.0.1"));
    }

    #[test]
    fn wildcards_ranges_and_cidr() {
        assert!(allows(&["*://*:*"], "redis://anything:1"));
        assert!(allows(
            &["http://*.spin.internal"],
            "http://catalog.spin.internal"
        ));
        assert!(!allows(
            &["http://*.spin.internal"],
            "http://spin.internal.evil.com"
        ));
        assert!(allows(
            &["http://localhost:3000..3010"],
            "http://localhost:3005"
        ));
        assert!(!allows(
            &["http://localhost:3000..3010"],
            "http://localhost:3010"
        ));
        assert!(allows(&["http://10.0.0.0/8:80"], "http://10.2.3.4"));
        assert!(!allows(&["http://10.0.0.0/8:80"], "http://11.2.3.4"));
        assert!(allows(&["https://[::1]:8443"], "https://[::1]:8443"));
        assert!(allows(&["insecure:allow-all"], "ftp://x:21"));
    }

    #[test]
    fn ipv6_without_port_and_the_last_port() {
        assert!(allows(&["https://[::1]"], "https://[::1]/x"));
        assert!(!allows(&["https://[::1]"], "https://[::1]:8443"));
        assert!(allows(
            &["http://[2001:db8::1]:*"],
            "http://[2001:db8::1]:9"
        ));
        assert!(allows(&["http://x.test:65535"], "http://x.test:65535"));
        assert!(allows(
            &["http://x.test:65000..65535"],
            "http://x.test:65534"
        ));
        assert!(!allows(&["http://x.test:65534"], "http://x.test:65535"));
        assert!(AllowedHosts::parse(&["http://x.test:10..10"]).is_err());
        assert!(AllowedHosts::parse(&["http://[::1"]).is_err());
    }

    #[test]
    fn self_requests() {
        assert!(AllowedHosts::parse(&["http://self"]).unwrap().allows_self());
        assert!(!AllowedHosts::parse(&["http://self"])
            .unwrap()
            .allows(&dest("http://self")));
        assert!(!AllowedHosts::parse(&["https://example.com"])
            .unwrap()
            .allows_self());
    }

    #[test]
    fn rejects_malformed_patterns() {
        for bad in [
            "example.com",
            "*",
            "http://exa*mple.com",
            "http://x.com/path",
            "ftp://x.com",
            "http://x:port",
        ] {
            assert!(
                AllowedHosts::parse(&[bad]).is_err(),
                "{bad} should be rejected"
            );
        }
    }
}
