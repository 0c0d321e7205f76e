//! alerts' HTTP routes, for admins (through the gateway's `/ops/...`): alerts active and
//! recently resolved, the rules, and changing a rule; and the events alerts could not
//! deliver.

use serde::Serialize;
use service_kit::clock::{now_ms, rfc3339};
use service_kit::context::{Caller, RequestContext};
use service_kit::http::{json, parse_json};
use service_kit::router::Params;
use service_kit::scope::Scope;
use service_kit::Problem;
use spin_sdk::http::{Request, Response};

use crate::domain::{Rule, RuleChange};
use crate::error::AlertsError;
use crate::repository::{self, Alert};

/// Resolved alerts `GET /alerts` shows.
const RECENT_LIMIT: u32 = 50;

/// An alert as admins see it.
#[derive(Serialize)]
struct AlertView {
    id: String,
    rule_id: String,
    service: String,
    metric: String,
    value: f64,
    threshold: f64,
    summary: String,
    status: &'static str,
    raised_at: String,
    resolved_at: Option<String>,
}

impl From<Alert> for AlertView {
    fn from(alert: Alert) -> Self {
        Self {
            status: match alert.resolved_at {
                Some(_) => "resolved",
                None => "active",
            },
            id: alert.id,
            rule_id: alert.rule_id,
            service: alert.service,
            metric: alert.metric,
            value: alert.value,
            threshold: alert.threshold,
            summary: alert.summary,
            raised_at: rfc3339(alert.raised_at),
            resolved_at: alert.resolved_at.map(rfc3339),
        }
    }
}

/// A rule as admins see it.
#[derive(Serialize)]
struct RuleView {
    id: String,
    name: String,
    kind: &'static str,
    unit: &'static str,
    threshold: f64,
    min_count: u64,
    enabled: bool,
    updated_at: Option<String>,
}

impl From<Rule> for RuleView {
    fn from(rule: Rule) -> Self {
        Self {
            id: rule.id,
            name: rule.name,
            kind: rule.kind.as_str(),
            unit: rule.kind.unit(),
            threshold: rule.threshold,
            min_count: rule.min_count,
            enabled: rule.enabled,
            updated_at: (rule.updated_at > 0).then(|| rfc3339(rule.updated_at)),
        }
    }
}

fn admin(context: &RequestContext) -> Result<&Caller, AlertsError> {
    match context.caller.as_ref() {
        None => Err(AlertsError::Unauthenticated),
        Some(caller) if caller.is_admin() => Ok(caller),
        Some(_) => Err(AlertsError::AdminOnly),
    }
}

/// `GET /alerts`: the active alerts and the latest resolved ones, newest first.
pub fn alerts(_: &Request, context: &Scope, _: &Params) -> Result<Response, AlertsError> {
    admin(context)?;
    let db = context.db()?;
    let active: Vec<AlertView> = repository::active(db)?
        .into_iter()
        .map(AlertView::from)
        .collect();
    let recent: Vec<AlertView> = repository::resolved(db, RECENT_LIMIT)?
        .into_iter()
        .map(AlertView::from)
        .collect();
    Ok(json(
        200,
        &serde_json::json!({ "active": active, "recent": recent }),
    ))
}

/// `GET /rules`: every rule.
pub fn rules(_: &Request, context: &Scope, _: &Params) -> Result<Response, AlertsError> {
    admin(context)?;
    let db = context.db()?;
    let items: Vec<RuleView> = repository::rules(db)?
        .into_iter()
        .map(RuleView::from)
        .collect();
    Ok(json(200, &serde_json::json!({ "items": items })))
}

/// `PUT /rules/:id` with `threshold`, `min_count` and `enabled`: changes the rule; the
/// next evaluation applies it.
pub fn update_rule(
    request: &Request,
    context: &Scope,
    params: &Params,
) -> Result<Response, Problem> {
    admin(context)?;
    let id = params.get("id");
    let db = context.db().map_err(AlertsError::from)?;
    let rule = repository::rule(db, id)
        .map_err(AlertsError::from)?
        .ok_or_else(|| AlertsError::RuleNotFound(id.to_owned()))?;
    let change: RuleChange = parse_json(request)?;
    change.check(rule.kind).map_err(AlertsError::Invalid)?;
    let updated = repository::update_rule(db, id, &change, now_ms())
        .map_err(AlertsError::from)?
        .ok_or_else(|| AlertsError::RuleNotFound(id.to_owned()))?;
    Ok(json(200, &RuleView::from(updated)))
}
