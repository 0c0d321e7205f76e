//! Emailing notifications. The email provider is an outside system, so sending happens
//! after the notification is committed, never inside the event's transaction: each unsent
//! notification with an address is claimed, sent (the provider is idempotent by
//! notification id), then marked `emailed_at`. A failed send is released and tried again
//! on the service's next tick (asked for at once), message or request.

use service_kit::clock::now_ms;
use service_kit::db::Db;
use spin_sdk::sqlite::Error;

use crate::repository;

/// One email.
#[derive(Debug, Clone)]
pub struct Email<'a> {
    /// The idempotency key: one notification is emailed at most once.
    pub notification_id: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
}

/// An email provider.
pub trait EmailSender {
    /// Sends `email`; sending the same notification id again sends nothing.
    fn send(&self, email: &Email<'_>) -> Result<(), String>;
}

/// Emails every notification that has an address and has not been emailed yet; returns
/// how many sends failed (released, to be tried again).
pub fn send_pending(db: &Db, sender: &dyn EmailSender) -> Result<usize, Error> {
    let mut failed = 0;
    for notification in repository::unsent(db, now_ms())? {
        let Some(to) = notification.email.as_deref() else {
            continue;
        };
        if !repository::claim_email(db, &notification.id, now_ms())? {
            continue;
        }
        let email = Email {
            notification_id: notification.id.as_str(),
            to,
            subject: &notification.title,
            text: &notification.body,
        };
        match sender.send(&email) {
            Ok(()) => repository::mark_emailed(db, &notification.id, now_ms())?,
            Err(error) => {
                eprintln!(
                    "notifications: emailing {} failed: {error}",
                    notification.id
                );
                repository::release_email(db, &notification.id)?;
                failed += 1;
            }
        }
    }
    Ok(failed)
}
