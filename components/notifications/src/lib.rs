//! notifications: turns order and payment events into notifications for their user, and
//! alerts into one for every admin (one per event, never duplicated), lets users read them,
//! and emails each user notification once through an email provider (a fake one here).
//!
//! Entry points: the private HTTP routes (`handlers`) and the Redis trigger (events of
//! `wasmart.orders`, `wasmart.payments` and `wasmart.ops`, and its tick). Both also send the
//! emails still due (`email`), outside any transaction; a failed one asks for a tick.

mod domain;
mod email;
mod error;
mod events;
mod fake_email;
mod handlers;
mod repository;

use service_kit::router::Router;
use service_kit::scope::Scope;
use service_kit::service::{sqlite, Events, Service};
use spin_sdk::http::{Method, Request, Response};

use crate::fake_email::FakeEmailProvider;

/// The service's name: its consumer name.
pub(crate) const SERVICE: &str = "notifications";

/// How long a failed email waits for the tick that tries it again.
const EMAIL_RETRY_MS: i64 = 1_000;

static NOTIFICATIONS: Service = Service {
    name: SERVICE,
    database: Some(repository::DATABASE),
    events: Events::consume(events::handle),
    background: Some(send_pending),
    routes,
};

fn routes(router: Router) -> Router {
    router
        .route(Method::Get, "/notifications", handlers::list)
        .route(
            Method::Get,
            "/notifications/unread-count",
            handlers::unread_count,
        )
        .route(Method::Post, "/notifications/:id/read", handlers::mark_read)
}

/// Emails the notifications not emailed yet. When a send (or sending at all) fails, asks for
/// a tick in [`EMAIL_RETRY_MS`], so the email does not wait for the next message or request.
fn send_pending(scope: &Scope) -> anyhow::Result<()> {
    let outcome = FakeEmailProvider::open()
        .map_err(|error| anyhow::anyhow!("opening {}: {error:?}", fake_email::STORE))
        .and_then(|sender| {
            let db = scope.db().map_err(sqlite)?;
            email::send_pending(db, &sender).map_err(sqlite)
        });
    if !matches!(outcome, Ok(0)) {
        scope.messaging()?.schedule_tick(EMAIL_RETRY_MS);
    }
    outcome.map(|_| ())
}

#[spin_sdk::http_component]
fn handle_request(request: Request) -> Response {
    NOTIFICATIONS.handle_http(request)
}

#[spin_sdk::redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    NOTIFICATIONS.handle_message(&message)
}
