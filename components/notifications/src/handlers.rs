//! notifications' HTTP routes: a signed-in caller reads and marks their own notifications
//! (an admin's include their copies of the admins' notifications). Dead letters are
//! service-kit's (`service`).

use serde::Serialize;
use service_kit::clock::{now_ms, rfc3339};
use service_kit::context::Caller;
use service_kit::db::Db;
use service_kit::http::{json, Query};
use service_kit::router::Params;
use service_kit::scope::Scope;
use spin_sdk::http::{Request, Response};

use crate::domain::{Audience, ListQuery, Notification, NotificationId};
use crate::error::NotificationsError;
use crate::repository;

/// A notification as its owner sees it.
#[derive(Serialize)]
struct NotificationView {
    id: String,
    kind: String,
    order_id: Option<String>,
    title: String,
    body: String,
    created_at: String,
    read_at: Option<String>,
}

impl From<Notification> for NotificationView {
    fn from(notification: Notification) -> Self {
        Self {
            id: notification.id.to_string(),
            kind: notification.kind,
            order_id: notification.order_id,
            title: notification.title,
            body: notification.body,
            created_at: rfc3339(notification.created_at),
            read_at: notification.read_at.map(rfc3339),
        }
    }
}

fn caller(context: &Scope) -> Result<&Caller, NotificationsError> {
    context
        .caller
        .as_ref()
        .ok_or(NotificationsError::Unauthenticated)
}

/// The database, once an admin caller has their copy of every admins' notification they
/// do not have yet.
fn open_for<'a>(context: &'a Scope, caller: &Caller) -> Result<&'a Db, NotificationsError> {
    let db = context.db()?;
    if caller.is_admin() {
        repository::deliver_broadcasts(db, Audience::Admins, &caller.user_id)?;
    }
    Ok(db)
}

/// `GET /notifications?unread=&page=&page_size=`: the caller's notifications, newest first.
pub fn list(
    request: &Request,
    context: &Scope,
    _: &Params,
) -> Result<Response, NotificationsError> {
    let caller = caller(context)?;
    let query =
        ListQuery::parse(&Query::from_request(request)).map_err(NotificationsError::Invalid)?;
    let db = open_for(context, caller)?;
    let (items, total) = repository::page(
        db,
        &caller.user_id,
        query.unread_only,
        query.page,
        query.page_size,
    )?;
    let unread = repository::unread_count(db, &caller.user_id)?;
    let items: Vec<NotificationView> = items.into_iter().map(NotificationView::from).collect();
    let body = serde_json::json!({
        "items": items,
        "page": query.page,
        "page_size": query.page_size,
        "total": total,
        "unread": unread,
    });
    Ok(json(200, &body))
}

/// `GET /notifications/unread-count`.
pub fn unread_count(
    _: &Request,
    context: &Scope,
    _: &Params,
) -> Result<Response, NotificationsError> {
    let caller = caller(context)?;
    let db = open_for(context, caller)?;
    let unread = repository::unread_count(db, &caller.user_id)?;
    Ok(json(200, &serde_json::json!({ "unread": unread })))
}

/// `POST /notifications/:id/read`: marks the caller's notification read (idempotent).
pub fn mark_read(
    _: &Request,
    context: &Scope,
    params: &Params,
) -> Result<Response, NotificationsError> {
    let caller = caller(context)?;
    let id = params.get("id");
    let not_found = || NotificationsError::NotificationNotFound(id.to_owned());
    let notification_id = NotificationId::parse(id).ok_or_else(not_found)?;
    let db = open_for(context, caller)?;
    let notification = repository::mark_read(db, &caller.user_id, &notification_id, now_ms())?
        .ok_or_else(not_found)?;
    Ok(json(200, &NotificationView::from(notification)))
}
