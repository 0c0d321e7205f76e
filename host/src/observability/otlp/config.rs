//! Where and how spans are exported, from the standard `OTEL_*` environment variables, as
//! Spin reads them: tracing is on when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as-is) or
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (with `/v1/traces` appended) is set and not empty. These
//! settings are read here so that the host knows at start whether it traces at all, refuses
//! what it cannot do (gRPC) with a clear error, and names its service after the app;
//! `opentelemetry-otlp` and the SDK are then handed every value explicitly. The headers
//! variables are left to the exporter, which reads them itself.

use std::time::Duration;

/// The wire format of export requests (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `http/protobuf`, the default.
    HttpProtobuf,
    /// `http/json`.
    HttpJson,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::HttpProtobuf => "http/protobuf",
            Self::HttpJson => "http/json",
        })
    }
}

/// How spans are batched (the `OTEL_BSP_*` variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// Finished spans waiting for export; more are dropped (and counted).
    pub max_queue_size: usize,
    /// The most spans in one export request.
    pub max_batch_size: usize,
    /// The longest a span waits for its batch to fill.
    pub schedule_delay: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_queue_size: 2048,
            max_batch_size: 512,
            schedule_delay: Duration::from_secs(5),
        }
    }
}

impl BatchConfig {
    /// The `OTEL_BSP_*` settings read through `var` (empty values already unset), each
    /// defaulting to [`BatchConfig::default`].
    fn from_env(var: &impl Fn(&str) -> Option<String>) -> Result<Self, OtlpConfigError> {
        let defaults = BatchConfig::default();
        let number = |name: &'static str, default: u64| match var(name) {
            None => Ok(default),
            Some(value) => parse_number(name, &value),
        };
        // A size: at least 1, and at most what this platform can count.
        let size = |name: &'static str, default: usize| {
            number(name, default as u64).map(|n| usize::try_from(n).unwrap_or(usize::MAX).max(1))
        };
        Ok(BatchConfig {
            max_queue_size: size("OTEL_BSP_MAX_QUEUE_SIZE", defaults.max_queue_size)?,
            max_batch_size: size("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", defaults.max_batch_size)?,
            schedule_delay: Duration::from_millis(number(
                "OTEL_BSP_SCHEDULE_DELAY",
                defaults.schedule_delay.as_millis() as u64,
            )?),
        })
    }
}

/// The trace exporter's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct OtlpConfig {
    /// The URL export requests are posted to.
    pub endpoint: http::Uri,
    pub protocol: Protocol,
    /// Extra request headers, e.g. a collector's API key. `OTEL_EXPORTER_OTLP_HEADERS` (and
    /// its `TRACES` variant) is read by the exporter itself, and adds to these.
    pub headers: Vec<(String, String)>,
    /// The most one export request may take.
    pub timeout: Duration,
    /// `OTEL_SERVICE_NAME`; the application's name when unset.
    pub service_name: Option<String>,
    /// `OTEL_RESOURCE_ATTRIBUTES`.
    pub resource_attributes: Vec<(String, String)>,
    pub batch: BatchConfig,
}

/// Why the `OTEL_*` variables cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OtlpConfigError {
    #[error(
        "{0}=grpc: OTLP over gRPC is not supported; use http/protobuf (the default) or \
         http/json, with the collector's OTLP/HTTP endpoint (port 4318)"
    )]
    Grpc(&'static str),
    #[error("{name}={value:?}: expected http/protobuf or http/json")]
    UnknownProtocol { name: &'static str, value: String },
    #[error("{name}={value:?}: expected an http:// or https:// URL")]
    InvalidEndpoint { name: &'static str, value: String },
    #[error("{name}={value:?}: {reason}")]
    InvalidValue {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
}

impl OtlpConfig {
    /// Default settings for posting to the full URL `endpoint`.
    pub fn new(endpoint: &str, protocol: Protocol) -> Result<Self, OtlpConfigError> {
        Ok(Self {
            endpoint: parse_endpoint("endpoint", endpoint)?,
            protocol,
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            service_name: None,
            resource_attributes: Vec::new(),
            batch: BatchConfig::default(),
        })
    }

    /// Reads the `OTEL_*` variables through `env`; `None` when tracing is off (no endpoint,
    /// or `OTEL_SDK_DISABLED=true`). Empty values count as unset.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, OtlpConfigError> {
        let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        if var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            return Ok(None);
        }
        // The signal-specific variable wins over the general one, for every setting.
        let either = |specific: &'static str, general: &'static str| {
            var(specific)
                .map(|value| (specific, value))
                .or_else(|| var(general).map(|value| (general, value)))
        };
        let endpoint = match either(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ) {
            None => return Ok(None),
            Some((name @ "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url)) => {
                parse_endpoint(name, url.trim())?
            }
            Some((name, base)) => {
                let base = base.trim();
                let url = format!("{}/v1/traces", base.strip_suffix('/').unwrap_or(base));
                parse_endpoint(name, &url).map_err(|_| OtlpConfigError::InvalidEndpoint {
                    name,
                    value: base.to_owned(),
                })?
            }
        };
        let protocol = match either(
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ) {
            None => Protocol::HttpProtobuf,
            Some((name, value)) => match value.trim() {
                "http/protobuf" => Protocol::HttpProtobuf,
                "http/json" => Protocol::HttpJson,
                "grpc" => return Err(OtlpConfigError::Grpc(name)),
                _ => return Err(OtlpConfigError::UnknownProtocol { name, value }),
            },
        };
        let timeout = match either(
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            "OTEL_EXPORTER_OTLP_TIMEOUT",
        ) {
            None => Duration::from_secs(10),
            Some((name, value)) => Duration::from_millis(parse_number(name, &value)?),
        };
        let resource_attributes = match var("OTEL_RESOURCE_ATTRIBUTES") {
            None => Vec::new(),
            Some(value) => parse_pairs("OTEL_RESOURCE_ATTRIBUTES", &value)?,
        };
        let batch = BatchConfig::from_env(&var)?;
        Ok(Some(Self {
            endpoint,
            protocol,
            headers: Vec::new(),
            timeout,
            service_name: var("OTEL_SERVICE_NAME").map(|name| name.trim().to_owned()),
            resource_attributes,
            batch,
        }))
    }

    /// The resource every span is reported under: `service.name` (from
    /// `OTEL_SERVICE_NAME`, else `OTEL_RESOURCE_ATTRIBUTES`, else the application's name), the
    /// SDK, and the other `OTEL_RESOURCE_ATTRIBUTES`.
    pub fn resource(&self, app_name: &str) -> Vec<(String, String)> {
        let service_name = self
            .service_name
            .clone()
            .or_else(|| {
                self.resource_attributes
                    .iter()
                    .find(|(key, _)| key == "service.name")
                    .map(|(_, value)| value.clone())
            })
            .unwrap_or_else(|| app_name.to_owned());
        let mut resource = vec![
            ("service.name".to_owned(), service_name),
            ("telemetry.sdk.name".to_owned(), "wasmart".to_owned()),
            ("telemetry.sdk.language".to_owned(), "rust".to_owned()),
            (
                "telemetry.sdk.version".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            ),
        ];
        for (key, value) in &self.resource_attributes {
            if !resource.iter().any(|(known, _)| known == key) {
                resource.push((key.clone(), value.clone()));
            }
        }
        resource
    }
}

fn parse_endpoint(name: &'static str, url: &str) -> Result<http::Uri, OtlpConfigError> {
    let invalid = || OtlpConfigError::InvalidEndpoint {
        name,
        value: url.to_owned(),
    };
    let uri: http::Uri = url.parse().map_err(|_| invalid())?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(uri),
        _ => Err(invalid()),
    }
}

fn parse_number(name: &'static str, value: &str) -> Result<u64, OtlpConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| OtlpConfigError::InvalidValue {
            name,
            value: value.to_owned(),
            reason: "expected a whole number",
        })
}

/// `key1=value1,key2=value2` with percent-encoded values (the W3C Baggage format the OTel
/// specification uses for headers and resource attributes).
fn parse_pairs(name: &'static str, text: &str) -> Result<Vec<(String, String)>, OtlpConfigError> {
    let invalid = |reason| OtlpConfigError::InvalidValue {
        name,
        value: text.to_owned(),
        reason,
    };
    text.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| invalid("expected key=value pairs separated by commas"))?;
            let key = key.trim();
            if key.is_empty() {
                return Err(invalid("a key is empty"));
            }
            let value = percent_decode(value.trim())
                .ok_or_else(|| invalid("a value is not valid percent-encoded UTF-8"))?;
            Ok((key.to_owned(), value))
        })
        .collect()
}

fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let digits = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(digits, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Option<OtlpConfig>, OtlpConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        OtlpConfig::from_env(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    fn endpoint(vars: &[(&str, &str)]) -> String {
        config(vars).unwrap().unwrap().endpoint.to_string()
    }

    #[test]
    fn tracing_is_off_without_an_endpoint_or_when_disabled() {
        assert!(config(&[]).unwrap().is_none());
        assert!(config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")])
            .unwrap()
            .is_none());
        assert!(config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_SDK_DISABLED", "true"),
        ])
        .unwrap()
        .is_none());
    }

    #[test]
    fn the_traces_endpoint_is_used_as_is_and_wins_over_the_base_one() {
        assert_eq!(
            endpoint(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            endpoint(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example/base/")]),
            "https://otel.example/base/v1/traces"
        );
        assert_eq!(
            endpoint(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
                (
                    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                    "http://other:9999/custom"
                ),
            ]),
            "http://other:9999/custom"
        );
        assert!(matches!(
            config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]),
            Err(OtlpConfigError::InvalidEndpoint { .. })
        ));
    }

    #[test]
    fn protocols_default_to_protobuf_and_grpc_is_refused() {
        let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318");
        let protocol = |vars: &[(&str, &str)]| {
            let mut all = vec![base];
            all.extend_from_slice(vars);
            config(&all).map(|c| c.unwrap().protocol)
        };
        assert_eq!(protocol(&[]).unwrap(), Protocol::HttpProtobuf);
        assert_eq!(
            protocol(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]).unwrap(),
            Protocol::HttpJson
        );
        assert_eq!(
            protocol(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
            ])
            .unwrap(),
            Protocol::HttpProtobuf
        );
        let grpc = protocol(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]).unwrap_err();
        assert!(grpc.to_string().contains("not supported"), "{grpc}");
        assert!(matches!(
            protocol(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")]),
            Err(OtlpConfigError::UnknownProtocol { .. })
        ));
    }

    #[test]
    fn timeout_batching_and_the_resource_come_from_the_environment() {
        let config = config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "10"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=te%20st,service.name=r",
            ),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(config.timeout, Duration::from_millis(2500));
        assert_eq!(
            config.batch,
            BatchConfig {
                max_queue_size: 10,
                max_batch_size: 512,
                schedule_delay: Duration::from_millis(100),
            }
        );
        let resource = config.resource("wasmart");
        assert_eq!(resource[0], ("service.name".to_owned(), "r".to_owned()));
        assert!(resource.contains(&("deployment.environment".to_owned(), "te st".to_owned())));
        let named = OtlpConfig {
            service_name: Some("shop".into()),
            ..config.clone()
        };
        assert_eq!(named.resource("wasmart")[0].1, "shop");
        let plain = OtlpConfig::new("http://c:4318/v1/traces", Protocol::HttpJson).unwrap();
        assert_eq!(plain.resource("wasmart")[0].1, "wasmart");
        assert!(matches!(
            parse_pairs("X", "novalue"),
            Err(OtlpConfigError::InvalidValue { .. })
        ));
    }
}
