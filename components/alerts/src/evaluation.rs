//! Evaluating the rules: on alerts' tick (every `alert_evaluation_interval_ms`), alerts
//! reads telemetry's overview, finds every enabled rule's measurements above threshold,
//! raises an alert for each that is not active yet and resolves each active alert that no
//! longer fires, announcing both through the outbox in the same transaction.

use service_kit::client::{call_json, upstream_url};
use service_kit::clock::{now_ms, rfc3339};
use service_kit::context::{Caller, RequestContext};
use service_kit::db::Db;
use service_kit::events::{AlertDetails, AlertRaised, AlertResolved};
use service_kit::outbox;
use spin_sdk::http::Method;

use crate::domain::{evaluate, Overview};
use crate::error::AlertsError;
use crate::repository::{self, Alert};
use crate::SERVICE;

service_kit::id_type!(
    /// An alert.
    AlertId
);

/// What one evaluation changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub raised: usize,
    pub resolved: usize,
}

/// Evaluates every rule once on telemetry's overview. Telemetry not answering changes
/// nothing: alerts are neither raised nor resolved on missing data.
pub fn run(db: &Db) -> Result<Outcome, AlertsError> {
    let context = RequestContext {
        caller: Some(Caller::system()),
        ..RequestContext::default()
    };
    let overview: Overview = call_json(
        &context,
        Method::Get,
        &upstream_url("telemetry"),
        "/overview",
        None,
    )?
    .ok_or_else(|| AlertsError::TelemetryUnavailable("no overview".to_owned()))?;
    let rules = repository::rules(db)?;
    let firing = evaluate(&rules, &overview);
    let now = now_ms();
    let outcome = db.transaction(|db| {
        let active = repository::active(db)?;
        let mut outcome = Outcome::default();
        for firing in &firing {
            let known = active
                .iter()
                .any(|alert| alert.rule_id == firing.rule_id && alert.service == firing.service);
            if known {
                continue;
            }
            let alert = Alert {
                id: AlertId::new().to_string(),
                rule_id: firing.rule_id.clone(),
                service: firing.service.clone(),
                metric: firing.metric.to_owned(),
                value: firing.value,
                threshold: firing.threshold,
                summary: firing.summary.clone(),
                raised_at: now,
                resolved_at: None,
            };
            repository::raise(db, &alert)?;
            let event = AlertRaised {
                alert: details(&alert),
            };
            outbox::enqueue(db, SERVICE, &event, None)?;
            outcome.raised += 1;
        }
        for alert in &active {
            let fires = firing
                .iter()
                .any(|firing| alert.rule_id == firing.rule_id && alert.service == firing.service);
            if fires {
                continue;
            }
            repository::resolve(db, &alert.id, now)?;
            let event = AlertResolved {
                alert: details(alert),
                resolved_at: rfc3339(now),
            };
            outbox::enqueue(db, SERVICE, &event, None)?;
            outcome.resolved += 1;
        }
        Ok::<_, spin_sdk::sqlite::Error>(outcome)
    })?;
    Ok(outcome)
}

fn details(alert: &Alert) -> AlertDetails {
    AlertDetails {
        alert_id: alert.id.clone(),
        rule_id: alert.rule_id.clone(),
        service: alert.service.clone(),
        metric: alert.metric.clone(),
        value: alert.value,
        threshold: alert.threshold,
        summary: alert.summary.clone(),
        raised_at: rfc3339(alert.raised_at),
    }
}
