//! The alerts domain: rules and their kinds, what each kind measures in telemetry's
//! overview, which measurements fire, and how a rule is changed.

use serde::Deserialize;
use service_kit::FieldError;

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// Calls to a service through the gateway that failed, in percent.
    RequestErrorRate,
    /// The 99th percentile latency of calls to a service, in milliseconds.
    RequestLatencyP99,
    /// PaymentFailed / (PaymentSucceeded + PaymentFailed), in percent.
    PaymentFailureRate,
    /// A consumer's dead letters.
    DeadLetters,
    /// Seconds since a producer's last event.
    ProducerSilent,
    /// Bursts of card processor failures payments announced.
    CardProcessorFailures,
}

impl RuleKind {
    const ALL: [RuleKind; 6] = [
        Self::RequestErrorRate,
        Self::RequestLatencyP99,
        Self::PaymentFailureRate,
        Self::DeadLetters,
        Self::ProducerSilent,
        Self::CardProcessorFailures,
    ];

    /// The kind as stored and shown; also the metric it measures.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestErrorRate => "request_error_rate",
            Self::RequestLatencyP99 => "request_latency_p99",
            Self::PaymentFailureRate => "payment_failure_rate",
            Self::DeadLetters => "dead_letters",
            Self::ProducerSilent => "producer_silent",
            Self::CardProcessorFailures => "card_processor_failures",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The unit of the measurement and threshold.
    pub fn unit(self) -> &'static str {
        match self {
            Self::RequestErrorRate | Self::PaymentFailureRate => "percent",
            Self::RequestLatencyP99 => "ms",
            Self::DeadLetters | Self::CardProcessorFailures => "count",
            Self::ProducerSilent => "seconds",
        }
    }

    /// What the kind measures in `overview`, per service.
    pub fn measure(self, overview: &Overview) -> Vec<Measurement> {
        let services = overview.services.iter();
        match self {
            Self::RequestErrorRate => services
                .filter_map(|s| {
                    let requests = s.requests.as_ref()?;
                    Some(Measurement::new(
                        &s.name,
                        requests.error_rate? * 100.0,
                        requests.count,
                    ))
                })
                .collect(),
            Self::RequestLatencyP99 => services
                .filter_map(|s| {
                    let requests = s.requests.as_ref()?;
                    Some(Measurement::new(
                        &s.name,
                        requests.p99_ms? as f64,
                        requests.count,
                    ))
                })
                .collect(),
            Self::PaymentFailureRate => {
                let payments = &overview.payments;
                payments
                    .failure_rate
                    .map(|rate| {
                        Measurement::new(
                            "payments",
                            rate * 100.0,
                            payments.succeeded + payments.failed,
                        )
                    })
                    .into_iter()
                    .collect()
            }
            Self::DeadLetters => services
                .filter_map(|s| Some(Measurement::new(&s.name, s.dead_letters? as f64, 1)))
                .collect(),
            Self::ProducerSilent => services
                .filter_map(|s| {
                    let silent = s.events.as_ref()?.silent_seconds?;
                    Some(Measurement::new(&s.name, silent as f64, 1))
                })
                .collect(),
            Self::CardProcessorFailures => vec![Measurement::new(
                "payments",
                overview.payments.processor_failure_bursts as f64,
                1,
            )],
        }
    }
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub kind: RuleKind,
    /// The measurement fires above this.
    pub threshold: f64,
    /// Samples (calls, payments) the measurement needs before it may fire.
    pub min_count: u64,
    pub enabled: bool,
    pub updated_at: i64,
}

/// One service's measurement of one kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub service: String,
    pub value: f64,
    /// How many samples the value stands on.
    pub samples: u64,
}

impl Measurement {
    fn new(service: &str, value: f64, samples: u64) -> Self {
        Self {
            service: service.to_owned(),
            value,
            samples,
        }
    }
}

/// A rule firing for a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub rule_id: String,
    pub service: String,
    pub metric: &'static str,
    pub value: f64,
    pub threshold: f64,
    pub summary: String,
}

/// Every enabled rule's measurements that are above its threshold on enough samples.
pub fn evaluate(rules: &[Rule], overview: &Overview) -> Vec<Firing> {
    rules
        .iter()
        .filter(|rule| rule.enabled)
        .flat_map(|rule| {
            rule.kind
                .measure(overview)
                .into_iter()
                .filter(|m| m.samples >= rule.min_count && m.value > rule.threshold)
                .map(|m| Firing {
                    summary: format!(
                        "{}: {} {} above {}",
                        m.service,
                        rule.name.to_lowercase(),
                        shown(m.value, rule.kind.unit()),
                        shown(rule.threshold, rule.kind.unit()),
                    ),
                    rule_id: rule.id.clone(),
                    service: m.service,
                    metric: rule.kind.as_str(),
                    value: m.value,
                    threshold: rule.threshold,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `value` in `unit` as people read it: `52%`, `1200 ms`, `3`, `90 s`.
fn shown(value: f64, unit: &str) -> String {
    let number = if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    match unit {
        "percent" => format!("{number}%"),
        "ms" => format!("{number} ms"),
        "seconds" => format!("{number} s"),
        _ => number,
    }
}

/// The largest `min_count` a rule may ask for.
pub const MAX_MIN_COUNT: u64 = 1_000_000;

/// `PUT /rules/:id`: every editable field of a rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    pub threshold: f64,
    #[serde(deserialize_with = "service_kit::integer::whole")]
    pub min_count: u64,
    pub enabled: bool,
}

impl RuleChange {
    /// Checks the change against `kind`: a threshold of 0 or more (at most 100 for
    /// percentages), a `min_count` of 1 to [`MAX_MIN_COUNT`]; every bad field is named.
    pub fn check(&self, kind: RuleKind) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let ceiling = match kind.unit() {
            "percent" => 100.0,
            _ => 1e9,
        };
        if !(self.threshold.is_finite() && (0.0..=ceiling).contains(&self.threshold)) {
            errors.push(FieldError::new(
                "threshold",
                format!("must be a number from 0 to {ceiling} ({})", kind.unit()),
            ));
        }
        if !(1..=MAX_MIN_COUNT).contains(&self.min_count) {
            errors.push(FieldError::new(
                "min_count",
                format!("must be an integer from 1 to {MAX_MIN_COUNT}"),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Telemetry's overview, as far as the rules read it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Overview {
    pub services: Vec<ServiceData>,
    pub payments: PaymentsData,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceData {
    pub name: String,
    pub events: Option<EventsData>,
    pub requests: Option<RequestsData>,
    pub dead_letters: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventsData {
    pub silent_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RequestsData {
    pub count: u64,
    pub error_rate: Option<f64>,
    pub p99_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PaymentsData {
    pub succeeded: u64,
    pub failed: u64,
    pub failure_rate: Option<f64>,
    pub processor_failure_bursts: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: RuleKind, threshold: f64, min_count: u64) -> Rule {
        Rule {
            id: kind.as_str().replace('_', "-"),
            name: "Payment failure rate".into(),
            kind,
            threshold,
            min_count,
            enabled: true,
            updated_at: 0,
        }
    }

    fn overview(succeeded: u64, failed: u64) -> Overview {
        let total = succeeded + failed;
        Overview {
            services: vec![ServiceData {
                name: "cart".into(),
                events: None,
                requests: Some(RequestsData {
                    count: 40,
                    error_rate: Some(0.1),
                    p99_ms: Some(250),
                }),
                dead_letters: Some(0),
            }],
            payments: PaymentsData {
                succeeded,
                failed,
                failure_rate: (total > 0).then(|| failed as f64 / total as f64),
                processor_failure_bursts: 0,
            },
        }
    }

    #[test]
    fn payment_failure_rate_fires_above_its_threshold_on_enough_payments() {
        let rules = [rule(RuleKind::PaymentFailureRate, 50.0, 5)];
        assert!(evaluate(&rules, &overview(0, 4)).is_empty(), "too few");
        let firing = evaluate(&rules, &overview(0, 5));
        assert_eq!(firing.len(), 1);
        assert_eq!(firing[0].service, "payments");
        assert_eq!(firing[0].value, 100.0);
        assert_eq!(
            firing[0].summary,
            "payments: payment failure rate 100% above 50%"
        );
        assert!(
            evaluate(&rules, &overview(5, 5)).is_empty(),
            "50% is not above 50%"
        );
        assert!(evaluate(&rules, &overview(6, 5)).is_empty());
        assert!(evaluate(&rules, &overview(0, 0)).is_empty());
    }

    #[test]
    fn request_rules_read_each_service() {
        let data = overview(0, 0);
        let errors = evaluate(&[rule(RuleKind::RequestErrorRate, 5.0, 20)], &data);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].service, "cart");
        assert!((errors[0].value - 10.0).abs() < 1e-9);
        assert!(evaluate(&[rule(RuleKind::RequestErrorRate, 5.0, 41)], &data).is_empty());
        assert!(evaluate(&[rule(RuleKind::RequestLatencyP99, 250.0, 1)], &data).is_empty());
        assert_eq!(
            evaluate(&[rule(RuleKind::RequestLatencyP99, 200.0, 1)], &data).len(),
            1
        );
        assert!(evaluate(&[rule(RuleKind::DeadLetters, 0.0, 1)], &data).is_empty());
    }

    #[test]
    fn disabled_rules_never_fire() {
        let mut disabled = rule(RuleKind::PaymentFailureRate, 0.0, 1);
        disabled.enabled = false;
        assert!(evaluate(&[disabled], &overview(0, 9)).is_empty());
    }

    #[test]
    fn changes_are_checked_against_the_kind() {
        let change = |threshold, min_count| RuleChange {
            threshold,
            min_count,
            enabled: true,
        };
        assert!(change(50.0, 5).check(RuleKind::PaymentFailureRate).is_ok());
        assert!(change(1500.0, 5).check(RuleKind::RequestLatencyP99).is_ok());
        let errors = change(101.0, 0)
            .check(RuleKind::RequestErrorRate)
            .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["threshold", "min_count"]);
        assert!(change(-1.0, 1).check(RuleKind::DeadLetters).is_err());
        assert!(change(f64::NAN, 1).check(RuleKind::DeadLetters).is_err());
    }

    #[test]
    fn kinds_round_trip() {
        for kind in RuleKind::ALL {
            assert_eq!(RuleKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(RuleKind::parse("vibes"), None);
    }
}
