//! One service's side of the event system, wired once: its outbox relay, its tick, and its
//! idempotent consumer, configured from the component's variables `event_transport`,
//! `redis_address` and `event_subscribers`.

use spin_sdk::http::{Method, Response};
use spin_sdk::sqlite::Error;

use crate::clock::now_ms;
use crate::db::Db;
use crate::events::Envelope;
use crate::http::Router;
use crate::inbox::{dead_letters, Consumer, Delivery, HandlerError};
use crate::outbox::{self, parse_subscribers, Relay, RelayReport};
use crate::transport::{self, Transport};
use crate::{http, tick, Problem};

/// A service's messaging configuration.
pub struct Messaging {
    service: &'static str,
    transport: Transport,
    subscribers: String,
}

impl Messaging {
    /// Reads the transport (see [`Transport::from_variables`]) and, for producers,
    /// `event_subscribers`.
    pub fn from_variables(service: &'static str) -> Result<Self, String> {
        let subscribers = spin_sdk::variables::get("event_subscribers").unwrap_or_default();
        Ok(Self {
            service,
            transport: Transport::from_variables()?,
            subscribers,
        })
    }

    /// The service name: the producer name on its events and its consumer name.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// Publishes and confirms the outbox; while anything is unconfirmed, asks for a tick
    /// when the next row is due. Call after every commit that enqueued events, and on every
    /// request or message the service handles (a cheap indexed query when idle).
    pub fn relay(&self, db: &Db) -> Result<RelayReport, Error> {
        let subscribers = |channel: &str| parse_subscribers(&self.subscribers, channel);
        let report = Relay {
            transport: &self.transport,
            subscribers: &subscribers,
        }
        .run(db)?;
        if let Some(due) = report.next_due_at {
            self.schedule_tick(due - now_ms());
        }
        Ok(report)
    }

    /// Whether ticks exist: only with Redis (see [`Self::schedule_tick`]).
    pub fn has_ticks(&self) -> bool {
        self.transport.redis_address().is_some()
    }

    /// Asks for a tick in `delay_ms` (for background work other than the relay). Without
    /// Redis there are no ticks: the work waits for the service's next request.
    pub fn schedule_tick(&self, delay_ms: i64) {
        if let Some(address) = self.transport.redis_address() {
            tick::schedule(address, self.service, delay_ms);
        }
    }

    /// Handles one message from the Redis trigger or pushed to the service's `/events` route:
    /// this service's tick needs no work of its own; other services' ticks are ignored;
    /// anything else is an event for the idempotent consumer. The outbox is relayed
    /// afterwards in every case.
    pub fn on_message(
        &self,
        db: &Db,
        message: &[u8],
        handle: impl FnOnce(&Db, &Envelope) -> Result<(), HandlerError>,
    ) -> Result<Option<Delivery>, Error> {
        let delivery = if tick::is_tick(message, self.service) {
            None
        } else if tick::is_expiry(message) {
            return Ok(None);
        } else {
            Some(self.consumer().receive(db, message, handle)?)
        };
        self.relay(db)?;
        Ok(delivery)
    }

    /// The idempotent consumer for this service.
    pub fn consumer(&self) -> Consumer<'_> {
        Consumer {
            name: self.service,
            redis_address: self.transport.redis_address(),
        }
    }

    /// `GET /admin/dead-letters`: the events this service gave up on, as consumer (dead
    /// letters) and as producer (undelivered).
    fn dead_letters_response(&self, db: &Db) -> Result<Response, Problem> {
        Ok(http::json(
            200,
            &serde_json::json!({
                "dead_letters": dead_letters(db)?,
                "undelivered": outbox::undelivered(db)?,
            }),
        ))
    }

    /// `POST /admin/dead-letters/:id/replay`: runs a dead letter through `handle` again, or
    /// queues an undelivered event for publication again; 404 if `event_id` is neither.
    fn replay_response(
        &self,
        db: &Db,
        event_id: &str,
        handle: impl FnOnce(&Db, &Envelope) -> Result<(), HandlerError>,
    ) -> Result<Response, Problem> {
        let outcome = match self.consumer().replay(db, event_id, handle)? {
            Some(delivery) => format!("{delivery:?}"),
            None if outbox::redeliver(db, event_id)? => "Requeued".to_owned(),
            None => return Err(Problem::not_found(format!("No dead letter {event_id}."))),
        };
        self.relay(db)?;
        Ok(http::json(
            202,
            &serde_json::json!({ "event_id": event_id, "outcome": outcome }),
        ))
    }
}

/// Adds the admin routes of `service`'s event system to `router`:
/// `GET /admin/dead-letters` ([`Messaging::dead_letters_response`]) and
/// `POST /admin/dead-letters/:id/replay` ([`Messaging::replay_response`] with `handle`, the
/// service's event handler), both for admins only, on the database `open` opens.
pub fn dead_letter_routes(
    router: Router,
    service: &'static str,
    open: fn() -> Result<Db, Error>,
    handle: fn(&Db, &Envelope) -> Result<(), HandlerError>,
) -> Router {
    let messaging = move || Messaging::from_variables(service).map_err(Problem::internal);
    router
        .route(Method::Get, "/admin/dead-letters", move |_, context, _| {
            context.admin()?;
            messaging()?.dead_letters_response(&open()?)
        })
        .route(
            Method::Post,
            "/admin/dead-letters/:id/replay",
            move |_, context, params| {
                context.admin()?;
                let db = open()?;
                messaging()?.replay_response(&db, params.get("id"), handle)
            },
        )
}

/// Adds the routes every event consumer has to `router`: [`dead_letter_routes`], and
/// `POST` [`transport::EVENTS_PATH`] for pushed events, which runs `on_event` (the code the
/// service's Redis trigger runs) and answers as [`transport::pushed_response`] says.
pub fn consumer_routes(
    router: Router,
    service: &'static str,
    open: fn() -> Result<Db, Error>,
    handle: fn(&Db, &Envelope) -> Result<(), HandlerError>,
    on_event: fn(&[u8]) -> Result<Option<Delivery>, String>,
) -> Router {
    dead_letter_routes(router, service, open, handle).route(
        Method::Post,
        transport::EVENTS_PATH,
        move |request, _, _| transport::pushed_response(on_event(request.body())),
    )
}

/// What a consuming service has after one message: its messaging, its database, and what
/// became of the message (`None` for a tick).
pub struct Received {
    pub messaging: Messaging,
    pub db: Db,
    pub delivery: Option<Delivery>,
}

/// A consuming service's entry point for one message (from the Redis trigger or pushed over
/// HTTP): reads the messaging configuration, opens the service's database with `open`, and
/// hands `message` to [`Messaging::on_message`].
pub fn receive(
    service: &'static str,
    message: &[u8],
    open: impl FnOnce() -> Result<Db, Error>,
    handle: impl FnOnce(&Db, &Envelope) -> Result<(), HandlerError>,
) -> Result<Received, String> {
    let messaging = Messaging::from_variables(service)?;
    let db = open().map_err(|error| format!("opening {service}'s database: {error:?}"))?;
    let delivery = messaging
        .on_message(&db, message, handle)
        .map_err(|error| format!("handling a message: {error:?}"))?;
    Ok(Received {
        messaging,
        db,
        delivery,
    })
}
