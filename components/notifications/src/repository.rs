//! Every SQL statement of notifications, and its migrations.

use service_kit::db::{int, opt_text, text, Database, Db, Migration, RowView, Rows};
use service_kit::ids::UserId;
use service_kit::{inbox, outbox};
use spin_sdk::sqlite::{Error, QueryResult};

use crate::domain::{Audience, NewBroadcast, NewNotification, Notification, NotificationId};

/// How long a claimed email is reserved for the instance sending it.
const EMAIL_LEASE_MS: i64 = 30_000;

/// Every migration, in order. notifications produces no events, but the relay that runs
/// on every message reads the outbox table, so it exists (and stays empty).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "notifications",
        sql: "CREATE TABLE notifications (
            id TEXT PRIMARY KEY,
            source_event_id TEXT NOT NULL UNIQUE,
            user_id TEXT NOT NULL,
            email TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('order_confirmed', 'payment_received',
                'payment_failed', 'order_cancelled', 'payment_refunded')),
            order_id TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            read_at INTEGER,
            emailed_at INTEGER,
            email_claimed_at INTEGER
        );
        CREATE INDEX notifications_user ON notifications (user_id, created_at);
        CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
        CREATE INDEX notifications_unsent ON notifications (created_at)
            WHERE emailed_at IS NULL AND email IS NOT NULL",
    },
    outbox::MIGRATION,
    inbox::MIGRATION,
    Migration {
        version: 2,
        name: "alerts_for_admins",
        sql: "CREATE TABLE notifications_v2 (
            id TEXT PRIMARY KEY,
            source_event_id TEXT NOT NULL UNIQUE,
            user_id TEXT NOT NULL,
            email TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('order_confirmed', 'payment_received',
                'payment_failed', 'order_cancelled', 'payment_refunded', 'alert_raised',
                'alert_resolved')),
            order_id TEXT,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            read_at INTEGER,
            emailed_at INTEGER,
            email_claimed_at INTEGER
        );
        INSERT INTO notifications_v2 (id, source_event_id, user_id, email, kind, order_id, title,
            body, created_at, read_at, emailed_at, email_claimed_at)
            SELECT id, source_event_id, user_id, email, kind, order_id, title, body, created_at,
                read_at, emailed_at, email_claimed_at FROM notifications;
        DROP TABLE notifications;
        ALTER TABLE notifications_v2 RENAME TO notifications;
        CREATE INDEX notifications_user ON notifications (user_id, created_at);
        CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
        CREATE INDEX notifications_unsent ON notifications (created_at)
            WHERE emailed_at IS NULL AND email IS NOT NULL;
        CREATE TABLE broadcasts (
            id TEXT PRIMARY KEY,
            source_event_id TEXT NOT NULL UNIQUE,
            audience TEXT NOT NULL CHECK (audience IN ('admins')),
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX broadcasts_audience ON broadcasts (audience, created_at)",
    },
];

/// notifications's database.
pub const DATABASE: Database = Database::new("notifications", MIGRATIONS);

const COLUMNS: &str = "id, email, kind, order_id, title, body, created_at, read_at";

/// Stores the notification of event `source_event_id`, unless that event already has one.
pub fn insert(
    db: &Db,
    notification: &NewNotification,
    source_event_id: &str,
    now: i64,
) -> Result<(), Error> {
    db.execute(
        "INSERT INTO notifications (id, source_event_id, user_id, email, kind, order_id, title, body, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source_event_id) DO NOTHING",
        &[
            text(NotificationId::new().as_str()),
            text(source_event_id),
            text(notification.user_id.as_str()),
            opt_text(notification.email.as_deref()),
            text(notification.kind.as_str()),
            text(notification.order_id.as_str()),
            text(notification.title.as_str()),
            text(notification.body.as_str()),
            int(now),
        ],
    )
}

/// Stores the audience notification of event `source_event_id`, unless that event already
/// has one.
pub fn insert_broadcast(
    db: &Db,
    broadcast: &NewBroadcast,
    source_event_id: &str,
    now: i64,
) -> Result<(), Error> {
    db.execute(
        "INSERT INTO broadcasts (id, source_event_id, audience, kind, title, body, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source_event_id) DO NOTHING",
        &[
            text(NotificationId::new().as_str()),
            text(source_event_id),
            text(broadcast.audience.as_str()),
            text(broadcast.kind.as_str()),
            text(broadcast.title.as_str()),
            text(broadcast.body.as_str()),
            int(now),
        ],
    )
}

/// Gives `user` a copy of every notification of `audience` they do not have yet (keyed
/// `<event id>:<user id>`, so each is copied once), dated when it arrived.
pub fn deliver_broadcasts(db: &Db, audience: Audience, user: &UserId) -> Result<(), Error> {
    let missing = db.query(
        "SELECT source_event_id, kind, title, body, created_at FROM broadcasts b
         WHERE audience = ? AND NOT EXISTS (SELECT 1 FROM notifications n
             WHERE n.source_event_id = b.source_event_id || ':' || ?)",
        &[text(audience.as_str()), text(user.as_str())],
    )?;
    for row in Rows::new(&missing).iter() {
        db.execute(
            "INSERT INTO notifications (id, source_event_id, user_id, kind, title, body, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (source_event_id) DO NOTHING",
            &[
                text(NotificationId::new().as_str()),
                text(format!("{}:{}", row.text("source_event_id"), user.as_str())),
                text(user.as_str()),
                text(row.text("kind")),
                text(row.text("title")),
                text(row.text("body")),
                int(row.int("created_at")),
            ],
        )?;
    }
    Ok(())
}

/// One page of `user`'s notifications, newest first, and how many there are in all.
pub fn page(
    db: &Db,
    user: &UserId,
    unread_only: bool,
    page: u32,
    page_size: u32,
) -> Result<(Vec<Notification>, i64), Error> {
    let filter = if unread_only {
        "user_id = ? AND read_at IS NULL"
    } else {
        "user_id = ?"
    };
    let offset = i64::from(page - 1) * i64::from(page_size);
    let result = db.query(
        &format!(
            "SELECT {COLUMNS} FROM notifications WHERE {filter}
             ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?"
        ),
        &[text(user.as_str()), int(page_size), int(offset)],
    )?;
    let items = all(&result);
    let counted = db.query(
        &format!("SELECT COUNT(*) AS total FROM notifications WHERE {filter}"),
        &[text(user.as_str())],
    )?;
    Ok((items, count(&counted, "total")))
}

/// How many of `user`'s notifications are unread.
pub fn unread_count(db: &Db, user: &UserId) -> Result<i64, Error> {
    let result = db.query(
        "SELECT COUNT(*) AS unread FROM notifications WHERE user_id = ? AND read_at IS NULL",
        &[text(user.as_str())],
    )?;
    Ok(count(&result, "unread"))
}

/// Marks `user`'s notification `id` read (once: a second call keeps the first time).
/// `None` if `user` has no such notification.
pub fn mark_read(
    db: &Db,
    user: &UserId,
    id: &NotificationId,
    now: i64,
) -> Result<Option<Notification>, Error> {
    let result = db.query(
        &format!(
            "UPDATE notifications SET read_at = COALESCE(read_at, ?)
             WHERE id = ? AND user_id = ? RETURNING {COLUMNS}"
        ),
        &[int(now), text(id.as_str()), text(user.as_str())],
    )?;
    Ok(all(&result).into_iter().next())
}

/// Notifications with an address that have not been emailed and are not being emailed.
pub fn unsent(db: &Db, now: i64) -> Result<Vec<Notification>, Error> {
    let result = db.query(
        &format!(
            "SELECT {COLUMNS} FROM notifications
             WHERE emailed_at IS NULL AND email IS NOT NULL
               AND (email_claimed_at IS NULL OR email_claimed_at <= ?)
             ORDER BY created_at LIMIT 50"
        ),
        &[int(now - EMAIL_LEASE_MS)],
    )?;
    Ok(all(&result))
}

/// Takes the sending of `id` for this instance; `false` if another one has it.
pub fn claim_email(db: &Db, id: &NotificationId, now: i64) -> Result<bool, Error> {
    let result = db.query(
        "UPDATE notifications SET email_claimed_at = ?
         WHERE id = ? AND emailed_at IS NULL
           AND (email_claimed_at IS NULL OR email_claimed_at <= ?)
         RETURNING id",
        &[int(now), text(id.as_str()), int(now - EMAIL_LEASE_MS)],
    )?;
    Ok(!result.rows.is_empty())
}

/// Records that `id` was emailed.
pub fn mark_emailed(db: &Db, id: &NotificationId, now: i64) -> Result<(), Error> {
    db.execute(
        "UPDATE notifications SET emailed_at = ?, email_claimed_at = NULL WHERE id = ?",
        &[int(now), text(id.as_str())],
    )
}

/// Gives up this instance's claim after a failed send, so the next run tries again.
pub fn release_email(db: &Db, id: &NotificationId) -> Result<(), Error> {
    db.execute(
        "UPDATE notifications SET email_claimed_at = NULL WHERE id = ? AND emailed_at IS NULL",
        &[text(id.as_str())],
    )
}

fn count(result: &QueryResult, column: &str) -> i64 {
    Rows::new(result)
        .iter()
        .next()
        .map_or(0, |row| row.int(column))
}

fn all(result: &QueryResult) -> Vec<Notification> {
    Rows::new(result)
        .iter()
        .filter_map(|row| read(&row))
        .collect()
}

fn read(row: &RowView<'_>) -> Option<Notification> {
    Some(Notification {
        id: NotificationId::parse(&row.text("id"))?,
        email: row.opt_text("email"),
        kind: row.text("kind"),
        order_id: row.opt_text("order_id"),
        title: row.text("title"),
        body: row.text("body"),
        created_at: row.int("created_at"),
        read_at: row.opt_int("read_at"),
    })
}
