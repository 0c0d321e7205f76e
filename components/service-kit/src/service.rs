//! The skeleton every service shares: a [`Service`] says what the service is (its name, its
//! database, the events it consumes, its background work and its routes), and runs each
//! HTTP request and each Redis message the same way:
//!
//! - a request must present the internal key (else 401, and nothing else runs); then the
//!   background work runs, the matching route answers, and after a request that may change
//!   state (any method but `GET` and `HEAD`) the background work runs again;
//! - a message that is another service's tick is ignored; an event goes through the
//!   idempotent inbox (consumers), the outbox is relayed, then the background work runs.
//!
//! Each request or message gets one [`Scope`], so the database is opened at most once for
//! the handler and the background work together.

use spin_sdk::http::{Method, Request, Response};

use crate::context::RequestContext;
use crate::db::{Database, Db};
use crate::events::Envelope;
use crate::inbox::{dead_letters, Delivery, HandlerError};
use crate::router::{Params, Router};
use crate::scope::{Scope, Trigger};
use crate::{http, internal_auth, outbox, tick, transport, Problem};

/// A consumer's event handler; it runs inside the inbox's transaction.
pub type EventHandler = fn(&Db, &Envelope) -> Result<(), HandlerError>;

/// Background work: relaying, charging, sending, evaluating. Its failures are logged after
/// a request (whose answer does not depend on it) and fail a message (which is retried).
pub type Work = fn(&Scope) -> anyhow::Result<()>;

/// How a service takes part in the event system: [`Events::NONE`], [`Events::produce`] (an
/// outbox and the dead-letter routes; messages only wake the background work) or
/// [`Events::consume`] (also the idempotent inbox with its handler and the `/events` route
/// for pushed events). The event code (inbox and outbox tables, Redis, HTTP push, the
/// dead-letter routes) is reached only through the function pointers these put into the
/// service's description, so a service without events links none of it and imports only
/// what its WIT world allows (`tests/contracts/worlds.rs`).
#[derive(Clone, Copy)]
pub struct Events {
    /// A consumer's handler.
    handler: Option<EventHandler>,
    /// The event system's code, for a producer or a consumer.
    system: Option<EventSystem>,
}

impl Events {
    /// No part in the event system at all.
    pub const NONE: Self = Self {
        handler: None,
        system: None,
    };

    /// A producer: an outbox and the dead-letter routes.
    pub const fn produce() -> Self {
        Self {
            handler: None,
            system: Some(EVENT_SYSTEM),
        }
    }

    /// A consumer whose events `handler` handles, inside the inbox's transaction.
    pub const fn consume(handler: EventHandler) -> Self {
        Self {
            handler: Some(handler),
            system: Some(EVENT_SYSTEM),
        }
    }
}

/// The entry points into the event code, referenced only by [`Events::produce`] and
/// [`Events::consume`].
#[derive(Clone, Copy)]
struct EventSystem {
    routes: fn(&'static Service, Router) -> Router,
    consume: fn(&Scope, &[u8], EventHandler) -> anyhow::Result<Option<Delivery>>,
}

const EVENT_SYSTEM: EventSystem = EventSystem {
    routes: event_routes,
    consume,
};

/// What a service is.
pub struct Service {
    /// The producer and consumer name, and the tick key.
    pub name: &'static str,
    /// Its own SQLite database, if it has one.
    pub database: Option<Database>,
    /// Its part in the event system.
    pub events: Events,
    /// Work that runs around every request and after every message.
    pub background: Option<Work>,
    /// Its route table (the shared event routes are added to it).
    pub routes: fn(Router) -> Router,
}

impl Service {
    /// Answers one HTTP request (see the module docs).
    pub fn handle_http(&'static self, request: Request) -> Response {
        let context = RequestContext::from_request(&request);
        if let Err(problem) = internal_auth::verify(&request) {
            return problem
                .with_request_id(context.request_id.as_deref())
                .into_response();
        }
        let scope = Scope::new(self.name, self.database.as_ref(), Trigger::Request, context);
        self.run_background_logged(&scope);
        let response = self.router().handle(&request, &scope);
        if !matches!(request.method(), Method::Get | Method::Head) {
            self.run_background_logged(&scope);
        }
        response
    }

    /// Handles one message from the Redis trigger.
    pub fn handle_message(&'static self, message: &[u8]) -> anyhow::Result<()> {
        self.receive(message)
            .map(|_| ())
            .map_err(|error| anyhow::anyhow!("{}: {error:#}", self.name))
    }

    /// One message, from the Redis trigger or pushed to `/events`: what became of it
    /// (`None` for a tick, or for what is not an event for this service).
    pub fn receive(&'static self, message: &[u8]) -> anyhow::Result<Option<Delivery>> {
        let own_tick = tick::is_tick(message, self.name);
        if tick::is_expiry(message) && !own_tick {
            return Ok(None);
        }
        let trigger = if own_tick {
            Trigger::Tick
        } else {
            Trigger::Event
        };
        let scope = Scope::new(
            self.name,
            self.database.as_ref(),
            trigger,
            RequestContext::default(),
        );
        let delivery = match (self.events.system, self.events.handler) {
            (Some(system), Some(handle)) => Some((system.consume)(&scope, message, handle)?),
            _ => None,
        };
        if let Some(work) = self.background {
            work(&scope)?;
        }
        Ok(delivery.flatten())
    }

    fn run_background_logged(&self, scope: &Scope) {
        if let Some(work) = self.background {
            if let Err(error) = work(scope) {
                eprintln!("{}: background work failed: {error:#}", self.name);
            }
        }
    }

    /// The service's routes, with the event system's.
    fn router(&'static self) -> Router {
        let router = (self.routes)(Router::new());
        match self.events.system {
            None => router,
            Some(system) => (system.routes)(self, router),
        }
    }
}

/// The dead-letter routes of a producer or consumer, and a consumer's `/events` route.
fn event_routes(service: &'static Service, router: Router) -> Router {
    match service.events.handler {
        None => dead_letter_routes(router, |_, _| Ok(())),
        Some(handle) => dead_letter_routes(router, handle).route(
            Method::Post,
            transport::EVENTS_PATH,
            move |request: &Request, _: &Scope, _: &Params| {
                transport::pushed_response(
                    service
                        .receive(request.body())
                        .map_err(|error| format!("{error:#}")),
                )
            },
        ),
    }
}

/// Hands `message` to the inbox (unless it is the tick) and relays the outbox.
fn consume(
    scope: &Scope,
    message: &[u8],
    handle: EventHandler,
) -> anyhow::Result<Option<Delivery>> {
    let db = scope.db().map_err(sqlite)?;
    let messaging = scope.messaging()?;
    let delivery = match scope.trigger() {
        Trigger::Tick => None,
        _ => Some(
            messaging
                .consumer()
                .receive(db, message, handle)
                .map_err(sqlite)?,
        ),
    };
    messaging.relay(db).map_err(sqlite)?;
    Ok(delivery)
}

/// `GET /admin/dead-letters`: the events the service gave up on, as consumer (dead letters)
/// and as producer (undelivered); `POST /admin/dead-letters/:id/replay`: runs a dead letter
/// through `handle` again, or queues an undelivered event for publication again. Admins only.
fn dead_letter_routes(router: Router, handle: EventHandler) -> Router {
    router
        .route(Method::Get, "/admin/dead-letters", |_, scope, _| {
            scope.admin()?;
            let db = scope.db()?;
            Ok::<_, Problem>(http::json(
                200,
                &serde_json::json!({
                    "dead_letters": dead_letters(db)?,
                    "undelivered": outbox::undelivered(db)?,
                }),
            ))
        })
        .route(
            Method::Post,
            "/admin/dead-letters/:id/replay",
            move |_, scope, params| replay(scope, params.get("id"), handle),
        )
}

fn replay(scope: &Scope, event_id: &str, handle: EventHandler) -> Result<Response, Problem> {
    scope.admin()?;
    let (db, messaging) = (scope.db()?, scope.messaging()?);
    let outcome = match messaging.consumer().replay(db, event_id, handle)? {
        Some(delivery) => format!("{delivery:?}"),
        None if outbox::redeliver(db, event_id)? => "Requeued".to_owned(),
        None => return Err(Problem::not_found(format!("No dead letter {event_id}."))),
    };
    messaging.relay(db)?;
    Ok(http::json(
        202,
        &serde_json::json!({ "event_id": event_id, "outcome": outcome }),
    ))
}

/// An anyhow error for a SQLite failure.
pub fn sqlite(error: spin_sdk::sqlite::Error) -> anyhow::Error {
    anyhow::anyhow!("sqlite: {error:?}")
}
