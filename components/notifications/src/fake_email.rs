//! `FakeEmailProvider`: a stand-in for a real email provider, for development and tests.
//! It sends nothing. It records what it would have sent in the key-value store
//! `fake-email-provider`, under `sent:<notification id>` ([`SentEmail`],
//! `kv-schemas/notifications/sent-email.schema.json`); a notification already recorded is
//! not recorded again, as a real provider honours an idempotency key. An address starting
//! with `fail-once` fails its first attempt, so that retries can be tested.

use serde::Serialize;
use service_kit::clock::now_rfc3339;
use spin_sdk::key_value::Store;

use crate::email::{Email, EmailSender};

/// The key-value label of the record.
pub const STORE: &str = "fake-email-provider";

/// Addresses starting with this fail their first send (recorded as `failed:<notification
/// id>`), as a provider's transient error would; the next attempt succeeds.
const FAIL_ONCE: &str = "fail-once";

/// What the fake provider records for one email.
#[derive(Debug, Clone, Serialize)]
pub struct SentEmail {
    pub notification_id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub sent_at: String,
}

/// The fake provider over its key-value record.
pub struct FakeEmailProvider {
    store: Store,
}

impl FakeEmailProvider {
    /// Opens the record.
    pub fn open() -> Result<Self, spin_sdk::key_value::Error> {
        Ok(Self {
            store: Store::open(STORE)?,
        })
    }
}

impl EmailSender for FakeEmailProvider {
    fn send(&self, email: &Email<'_>) -> Result<(), String> {
        if email.to.starts_with(FAIL_ONCE) {
            let failed = format!("failed:{}", email.notification_id);
            if !self
                .store
                .exists(&failed)
                .map_err(|error| format!("{error:?}"))?
            {
                self.store
                    .set(&failed, b"1")
                    .map_err(|error| format!("{error:?}"))?;
                return Err(format!("{FAIL_ONCE}: the first attempt fails"));
            }
        }
        let key = format!("sent:{}", email.notification_id);
        if self
            .store
            .exists(&key)
            .map_err(|error| format!("{error:?}"))?
        {
            return Ok(());
        }
        let record = SentEmail {
            notification_id: email.notification_id.to_owned(),
            to: email.to.to_owned(),
            subject: email.subject.to_owned(),
            text: email.text.to_owned(),
            sent_at: now_rfc3339(),
        };
        let bytes = serde_json::to_vec(&record).map_err(|error| error.to_string())?;
        self.store
            .set(&key, &bytes)
            .map_err(|error| format!("{error:?}"))
    }
}
