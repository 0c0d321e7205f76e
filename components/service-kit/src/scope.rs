//! What one request or message may use: its [`RequestContext`], the service's database
//! (opened on first use, then shared by the handler and the background work) and its
//! messaging configuration (read on first use).

use std::any::Any;
use std::cell::OnceCell;
use std::ops::Deref;

use spin_sdk::sqlite::Error;

use crate::context::RequestContext;
use crate::db::{Database, Db};
use crate::messaging::Messaging;
use crate::outbox::RelayReport;
use crate::Problem;

/// What started the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// An HTTP request to one of the service's routes.
    Request,
    /// An event, from the Redis trigger or pushed over HTTP.
    Event,
    /// The service's own tick.
    Tick,
}

/// One request's or message's view of its service. Dereferences to the
/// [`RequestContext`] (empty for messages).
pub struct Scope {
    service: &'static str,
    trigger: Trigger,
    context: RequestContext,
    database: Option<&'static Database>,
    /// The open [`Db`], type-erased: dropping a `Db` calls into `spin:sqlite`, so a service
    /// that never opens its database (or has none) must not link that drop.
    db: OnceCell<Box<dyn Any>>,
    messaging: OnceCell<Messaging>,
}

impl Scope {
    /// A scope for `service`, whose database (if any) is `database`.
    pub fn new(
        service: &'static str,
        database: Option<&'static Database>,
        trigger: Trigger,
        context: RequestContext,
    ) -> Self {
        Self {
            service,
            trigger,
            context,
            database,
            db: OnceCell::new(),
            messaging: OnceCell::new(),
        }
    }

    /// The service's name.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// What started the work.
    pub fn trigger(&self) -> Trigger {
        self.trigger
    }

    /// The request context (empty for messages).
    pub fn context(&self) -> &RequestContext {
        &self.context
    }

    /// The service's database, opened (and migrated) on the first call and reused after.
    /// A service without a database gets [`Error::NoSuchDatabase`].
    pub fn db(&self) -> Result<&Db, Error> {
        if let Some(db) = self.db.get() {
            return Ok(opened(db.as_ref()));
        }
        let db = self.database.ok_or(Error::NoSuchDatabase)?.open()?;
        Ok(opened(self.db.get_or_init(|| Box::new(db)).as_ref()))
    }

    /// The service's messaging configuration, read on the first call; a 500 problem when the
    /// variables are wrong.
    pub fn messaging(&self) -> Result<&Messaging, Problem> {
        if let Some(messaging) = self.messaging.get() {
            return Ok(messaging);
        }
        let messaging = Messaging::from_variables(self.service).map_err(Problem::internal)?;
        Ok(self.messaging.get_or_init(|| messaging))
    }

    /// Relays the service's outbox (see [`Messaging::relay`]).
    pub fn relay(&self) -> Result<RelayReport, Problem> {
        Ok(self.messaging()?.relay(self.db()?)?)
    }
}

impl Deref for Scope {
    type Target = RequestContext;

    fn deref(&self) -> &RequestContext {
        &self.context
    }
}

/// The [`Db`] a scope holds (it never holds anything else).
fn opened(slot: &dyn Any) -> &Db {
    slot.downcast_ref().expect("a scope holds only its Db")
}
