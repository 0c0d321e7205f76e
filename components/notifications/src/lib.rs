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

use service_kit::db::Db;
use service_kit::http::Router;
use service_kit::inbox::Delivery;
use service_kit::messaging::{self, Messaging};
use service_kit::{tick, Problem};
use spin_sdk::http::{Method, Request, Response};

use crate::fake_email::FakeEmailProvider;

/// The service's name: its consumer name.
pub(crate) const SERVICE: &str = "notifications";

/// How long a failed email waits for the tick that tries it again.
const EMAIL_RETRY_MS: i64 = 1_000;

#[spin_sdk::http_component]
fn handle_request(request: Request) -> Response {
    let changes_state = request.method() != &Method::Get;
    send_pending_logged();
    let response = router().handle(request);
    if changes_state {
        send_pending_logged();
    }
    response
}

fn router() -> Router {
    messaging::consumer_routes(
        Router::new(),
        SERVICE,
        repository::open,
        events::handle,
        on_event,
    )
    .route(Method::Get, "/notifications", |r, c, p| {
        handlers::list(r, c, p).map_err(Problem::from)
    })
    .route(Method::Get, "/notifications/unread-count", |r, c, p| {
        handlers::unread_count(r, c, p).map_err(Problem::from)
    })
    .route(Method::Post, "/notifications/:id/read", |r, c, p| {
        handlers::mark_read(r, c, p).map_err(Problem::from)
    })
}

#[spin_sdk::redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    on_event(&message).map_err(anyhow::Error::msg)?;
    Ok(())
}

/// One message, from the Redis trigger or pushed to `/events`; then the emails still due
/// (not for another service's tick, which only shares the expiry channel).
fn on_event(message: &[u8]) -> Result<Option<Delivery>, String> {
    if tick::is_expiry(message) && !tick::is_tick(message, SERVICE) {
        return Ok(None);
    }
    let received = messaging::receive(SERVICE, message, repository::open, events::handle)?;
    send_pending(&received.db, &received.messaging).map_err(|error| format!("{error:#}"))?;
    Ok(received.delivery)
}

/// Emails the notifications not emailed yet. When a send (or sending at all) fails, asks for
/// a tick in [`EMAIL_RETRY_MS`], so the email does not wait for the next message or request.
fn send_pending(db: &Db, messaging: &Messaging) -> anyhow::Result<()> {
    let outcome = FakeEmailProvider::open()
        .map_err(|error| anyhow::anyhow!("opening {}: {error:?}", fake_email::STORE))
        .and_then(|sender| email::send_pending(db, &sender).map_err(sqlite));
    if !matches!(outcome, Ok(0)) {
        messaging.schedule_tick(EMAIL_RETRY_MS);
    }
    outcome.map(|_| ())
}

/// [`send_pending`] for an HTTP request, whose answer does not depend on it: failures are
/// logged.
fn send_pending_logged() {
    let outcome = Messaging::from_variables(SERVICE)
        .map_err(anyhow::Error::msg)
        .and_then(|messaging| {
            let db = repository::open().map_err(sqlite)?;
            send_pending(&db, &messaging)
        });
    if let Err(error) = outcome {
        eprintln!("notifications: sending emails failed: {error:#}");
    }
}

fn sqlite(error: spin_sdk::sqlite::Error) -> anyhow::Error {
    anyhow::anyhow!("sqlite: {error:?}")
}
