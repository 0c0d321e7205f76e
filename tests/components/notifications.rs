//! `notifications` alone: real event envelopes published on `wasmart.orders` and
//! `wasmart.payments`, the notifications read through its private routes, and the fake
//! email provider's record read from its key-value store.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{
    assert_dead_letters_admin_only, assert_field_error, assert_matches_schema, assert_problem,
    assert_replay_contract, dead_letters, envelope, Shop, User, WAIT,
};
use wasmart_testing::eventually;

const EMAILS: &str = "fake-email-provider";

async fn start() -> Shop {
    Shop::start_only(&["notifications"]).await
}

/// The events of one checkout of `user` ($12.34 for two mugs), as their producers publish
/// them: `(channel, envelope)`.
struct Checkout {
    order_id: String,
    user: User,
    email: Option<String>,
}

impl Checkout {
    fn new(user: &User) -> Self {
        Self {
            order_id: uuid::Uuid::new_v4().to_string(),
            user: user.clone(),
            email: Some(user.email.clone()),
        }
    }

    fn without_email(user: &User) -> Self {
        Self {
            email: None,
            ..Self::new(user)
        }
    }

    /// The order's label in texts: `#` and the first 8 characters of its id.
    fn label(&self) -> String {
        format!("#{}", &self.order_id[..8])
    }

    fn payload(&self, fields: Value) -> Value {
        let mut payload = json!({"order_id": self.order_id, "user_id": self.user.id});
        if let Some(email) = &self.email {
            payload["email"] = json!(email);
        }
        for (key, value) in fields.as_object().unwrap() {
            payload[key] = value.clone();
        }
        payload
    }

    fn amount() -> Value {
        json!({"amount": 1234, "currency": "USD"})
    }

    fn created(&self) -> (&'static str, Value) {
        let payload = self.payload(json!({
            "lines": [{
                "product_id": uuid::Uuid::new_v4().to_string(),
                "sku": "MUG-1",
                "name": "Mug",
                "quantity": 2,
                "unit_price": {"amount": 617, "currency": "USD"},
                "line_total": Self::amount(),
            }],
            "total": Self::amount(),
            "card_token": "tok_visa",
            "shipping_address": {
                "name": "Ada Lovelace",
                "line1": "1 Analytical Way",
                "city": "London",
                "postal_code": "N1 9GU",
                "country": "GB",
            },
        }));
        (
            "wasmart.orders",
            envelope("OrderCreated", "orders", &self.order_id, payload),
        )
    }

    fn paid(&self) -> (&'static str, Value) {
        let payload = self.payload(json!({"payment_id": "p-1", "amount": Self::amount()}));
        (
            "wasmart.payments",
            envelope("PaymentSucceeded", "payments", &self.order_id, payload),
        )
    }

    fn payment_failed(&self, reason: &str) -> (&'static str, Value) {
        let payload = self.payload(json!({
            "payment_id": "p-1", "amount": Self::amount(), "reason": reason,
        }));
        (
            "wasmart.payments",
            envelope("PaymentFailed", "payments", &self.order_id, payload),
        )
    }

    fn cancelled(&self, reason: &str) -> (&'static str, Value) {
        let payload = self.payload(json!({"reason": reason}));
        (
            "wasmart.orders",
            envelope("OrderCancelled", "orders", &self.order_id, payload),
        )
    }

    fn refunded(&self) -> (&'static str, Value) {
        let payload = self.payload(json!({"payment_id": "p-1", "amount": Self::amount()}));
        (
            "wasmart.payments",
            envelope("PaymentRefunded", "payments", &self.order_id, payload),
        )
    }

    /// One event of every kind notifications consumes, in checkout order.
    fn every_kind(&self) -> Vec<(&'static str, Value)> {
        vec![
            self.created(),
            self.paid(),
            self.payment_failed("card_declined"),
            self.cancelled("customer"),
            self.refunded(),
        ]
    }
}

async fn publish(shop: &Shop, (channel, event): &(&'static str, Value)) {
    shop.redis
        .publish(channel, event.to_string().as_bytes())
        .await
        .unwrap();
}

/// `GET /notifications` + `query` as `user`, answered 200.
async fn list(shop: &Shop, user: &User, query: &str) -> Value {
    let response = shop
        .call(
            "notifications",
            "GET",
            &format!("/notifications{query}"),
            Some(user),
            None,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// Waits until `user` has `total` notifications, and returns the first page.
async fn wait_for_total(shop: &Shop, user: &User, total: i64) -> Value {
    eventually(WAIT, || async {
        let page = list(shop, user, "?page_size=100").await;
        (page["total"] == total).then_some(page)
    })
    .await
    .unwrap_or_else(|| panic!("{user:?} never had {total} notifications"))
}

/// Events handled so far (any type, counted by the inbox).
fn handled(shop: &Shop) -> i64 {
    shop.sql("notifications", "SELECT COUNT(*) FROM inbox")[0][0]
        .as_i64()
        .unwrap()
}

/// The fake provider's record of the email for notification `id`, validated.
fn sent_email(shop: &Shop, id: &str) -> Option<Value> {
    let bytes = shop.app.kv_get(EMAILS, &format!("sent:{id}")).unwrap()?;
    let record: Value = serde_json::from_slice(&bytes).unwrap();
    assert_matches_schema("notifications/sent-email.schema.json", &record);
    Some(record)
}

async fn wait_for_email(shop: &Shop, id: &str) -> Value {
    eventually(WAIT, || async { sent_email(shop, id) })
        .await
        .unwrap_or_else(|| panic!("notification {id} was never emailed"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_becomes_one_notification_with_its_text() {
    let shop = start().await;
    let user = User::customer();
    let checkout = Checkout::new(&user);
    for event in checkout.every_kind() {
        publish(&shop, &event).await;
    }
    let page = wait_for_total(&shop, &user, 5).await;
    assert_eq!(page["unread"], 5);
    assert_eq!(page["page"], 1);
    assert_eq!(page["page_size"], 100);
    let items = page["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "payment_refunded",
            "order_cancelled",
            "payment_failed",
            "payment_received",
            "order_confirmed"
        ],
        "newest first"
    );
    let label = checkout.label();
    let expected = [
        ("Payment refunded", format!("We refunded $12.34 for your cancelled order {label}.")),
        (
            "Order cancelled",
            format!("Your order {label} was cancelled as you asked. If it was already paid, the payment will be refunded."),
        ),
        (
            "Payment failed",
            format!("We could not take the payment of $12.34 for order {label}: your card was declined. The order was not completed and nothing was charged."),
        ),
        ("Payment received", format!("We received your payment of $12.34 for order {label}.")),
        (
            "Order confirmed",
            format!("Thanks for your order {label}: 2 items for $12.34. We will let you know as soon as the payment goes through."),
        ),
    ];
    for (item, (title, body)) in items.iter().zip(&expected) {
        assert_eq!(item["title"], *title, "{item}");
        assert_eq!(item["body"], body.as_str(), "{item}");
        assert_eq!(item["order_id"], checkout.order_id.as_str());
        assert_eq!(item["read_at"], Value::Null);
        assert!(item["created_at"].as_str().unwrap().ends_with('Z'));
    }

    for item in items {
        let id = item["id"].as_str().unwrap();
        let email = wait_for_email(&shop, id).await;
        assert_eq!(email["notification_id"], id);
        assert_eq!(email["to"], user.email.as_str());
        assert_eq!(email["subject"], item["title"]);
        assert_eq!(email["text"], item["body"]);
    }
    // The provider keeps the email before the service records it as sent.
    let all_recorded = eventually(Duration::from_secs(5), || async {
        let unsent = shop.sql(
            "notifications",
            "SELECT COUNT(*) FROM notifications WHERE emailed_at IS NULL",
        );
        (unsent[0][0] == 0).then_some(())
    })
    .await;
    assert!(all_recorded.is_some(), "every email is recorded as sent");

    // The other texts of failures and cancellations.
    let other = Checkout::new(&user);
    publish(&shop, &other.payment_failed("processing_error")).await;
    publish(&shop, &other.cancelled("out_of_stock")).await;
    let page = wait_for_total(&shop, &user, 7).await;
    let label = other.label();
    assert_eq!(
        page["items"][0]["body"],
        format!("We had to cancel your order {label}: an item is out of stock. You will not be charged.")
    );
    assert_eq!(
        page["items"][1]["body"],
        format!("We could not take the payment of $12.34 for order {label}: the card processor kept failing. The order was not completed and nothing was charged.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_delivered_twice_notifies_and_emails_once() {
    let shop = start().await;
    let user = User::customer();
    let checkout = Checkout::new(&user);
    let events = checkout.every_kind();
    for event in &events {
        publish(&shop, event).await;
        publish(&shop, event).await;
    }
    let page = wait_for_total(&shop, &user, 5).await;
    let first_emails: Vec<Value> = {
        let mut emails = Vec::new();
        for item in page["items"].as_array().unwrap() {
            emails.push(wait_for_email(&shop, item["id"].as_str().unwrap()).await);
        }
        emails
    };

    // Redelivered again later: still one notification each, and the emails untouched.
    for event in &events {
        publish(&shop, event).await;
    }
    let marker = Checkout::new(&User::customer());
    publish(&shop, &marker.created()).await;
    let all_seen = eventually(WAIT, || async { (handled(&shop) == 6).then_some(()) }).await;
    assert!(all_seen.is_some(), "the marker event was handled");
    let again = list(&shop, &user, "?page_size=100").await;
    assert_eq!(again["total"], 5);
    assert_eq!(again["items"], page["items"]);
    assert_eq!(
        shop.sql("notifications", "SELECT COUNT(*) FROM notifications")[0][0],
        6
    );
    for (item, first) in again["items"].as_array().unwrap().iter().zip(&first_emails) {
        let email = sent_email(&shop, item["id"].as_str().unwrap()).unwrap();
        assert_eq!(&email, first, "the email was not sent again");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_address_nothing_is_emailed() {
    let shop = start().await;
    let user = User::customer();
    let checkout = Checkout::without_email(&user);
    publish(&shop, &checkout.created()).await;
    let page = wait_for_total(&shop, &user, 1).await;
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    // A later event that is emailed shows the earlier one had its chance.
    let emailed = Checkout::new(&user);
    publish(&shop, &emailed.created()).await;
    let page = wait_for_total(&shop, &user, 2).await;
    wait_for_email(&shop, page["items"][0]["id"].as_str().unwrap()).await;
    assert!(
        sent_email(&shop, &id).is_none(),
        "emailed without an address"
    );
    let row = shop.sql(
        "notifications",
        &format!("SELECT email, emailed_at FROM notifications WHERE id = '{id}'"),
    );
    assert_eq!(row[0], [Value::Null, Value::Null]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_email_is_sent_again_on_the_tick_without_traffic() {
    let shop = start().await;
    let user = User::customer();
    let checkout = Checkout {
        email: Some(format!("fail-once+{}@example.com", user.id)),
        ..Checkout::new(&user)
    };
    publish(&shop, &checkout.created()).await;
    // Read from the files only: a request or a message would also send it.
    let id = eventually(WAIT, || async {
        // The table exists once the first event has been handled.
        let rows = shop
            .app
            .sqlite_query("notifications", "SELECT id FROM notifications")
            .unwrap_or_default();
        rows.first().map(|row| row[0].as_str().unwrap().to_owned())
    })
    .await
    .expect("the event became a notification");
    let failed = shop.app.kv_get(EMAILS, &format!("failed:{id}")).unwrap();
    let email = wait_for_email(&shop, &id).await;
    assert!(
        failed.is_some()
            || shop
                .app
                .kv_get(EMAILS, &format!("failed:{id}"))
                .unwrap()
                .is_some(),
        "the first attempt failed"
    );
    assert_eq!(email["to"], json!(checkout.email));
    let row = shop.sql(
        "notifications",
        &format!(
            "SELECT emailed_at IS NOT NULL, email_claimed_at FROM notifications WHERE id = '{id}'"
        ),
    );
    assert_eq!(row[0], [json!(1), Value::Null]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_marks_once_and_counts_unread() {
    let shop = start().await;
    let user = User::customer();
    let stranger = User::customer();
    let checkout = Checkout::new(&user);
    for event in [checkout.created(), checkout.paid(), checkout.refunded()] {
        publish(&shop, &event).await;
    }
    let page = wait_for_total(&shop, &user, 3).await;
    let id = page["items"][1]["id"].as_str().unwrap().to_owned();
    let count = |who: &User| unread_count(&shop, who.clone());
    assert_eq!(count(&user).await, json!({"unread": 3}));
    assert_eq!(count(&stranger).await, json!({"unread": 0}));

    let read_path = format!("/notifications/{id}/read");
    let read = shop
        .call("notifications", "POST", &read_path, Some(&user), None)
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    let read = read.json();
    assert_eq!(read["id"], id.as_str());
    assert_eq!(read["kind"], "payment_received");
    let read_at = read["read_at"].as_str().expect("read_at is set").to_owned();
    let again = shop
        .call("notifications", "POST", &read_path, Some(&user), None)
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.json()["read_at"],
        read_at.as_str(),
        "marking twice keeps the first time"
    );
    assert_eq!(count(&user).await, json!({"unread": 2}));

    let unread = list(&shop, &user, "?unread=true").await;
    assert_eq!(unread["total"], 2);
    assert_eq!(unread["unread"], 2);
    let unread_ids: Vec<&Value> = unread["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["id"])
        .collect();
    assert_eq!(
        unread_ids,
        [&page["items"][0]["id"], &page["items"][2]["id"]]
    );
    let all = list(&shop, &user, "?unread=false").await;
    assert_eq!(all["total"], 3);
    assert_eq!(all["unread"], 2);
    assert_eq!(all["items"][1]["read_at"], read_at.as_str());

    refused_reads(&shop, &user, &stranger, &read_path).await;
    assert_eq!(
        count(&user).await,
        json!({"unread": 2}),
        "the stranger read nothing"
    );
}

/// `GET /notifications/unread-count` as `who`.
async fn unread_count(shop: &Shop, who: User) -> Value {
    let response = shop
        .call(
            "notifications",
            "GET",
            "/notifications/unread-count",
            Some(&who),
            None,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// Reading `read_path` (`user`'s notification) as someone else, an unknown or malformed
/// id, reading without a user, and the wrong method are all refused.
async fn refused_reads(shop: &Shop, user: &User, stranger: &User, read_path: &str) {
    assert_problem(
        &shop
            .call("notifications", "POST", read_path, Some(stranger), None)
            .await,
        404,
    );
    let theirs = list(shop, stranger, "").await;
    assert_eq!(theirs["items"], json!([]));
    assert_eq!(theirs["total"], 0);
    let unknown = format!("/notifications/{}/read", uuid::Uuid::new_v4());
    assert_problem(
        &shop
            .call("notifications", "POST", &unknown, Some(user), None)
            .await,
        404,
    );
    assert_problem(
        &shop
            .call(
                "notifications",
                "POST",
                "/notifications/42/read",
                Some(user),
                None,
            )
            .await,
        404,
    );
    assert_problem(
        &shop
            .call("notifications", "POST", read_path, None, None)
            .await,
        401,
    );
    assert_problem(
        &shop
            .call("notifications", "GET", "/notifications", None, None)
            .await,
        401,
    );
    assert_problem(
        &shop
            .call(
                "notifications",
                "GET",
                "/notifications/unread-count",
                None,
                None,
            )
            .await,
        401,
    );
    assert_problem(
        &shop
            .call("notifications", "GET", read_path, Some(user), None)
            .await,
        405,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_split_the_newest_first_list() {
    let shop = start().await;
    let user = User::customer();
    let checkout = Checkout::new(&user);
    for event in checkout.every_kind() {
        publish(&shop, &event).await;
    }
    let all = wait_for_total(&shop, &user, 5).await;
    let ids = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].clone())
            .collect()
    };
    let all_ids = ids(&all);
    let default = list(&shop, &user, "").await;
    assert_eq!(default["page"], 1);
    assert_eq!(default["page_size"], 20);
    assert_eq!(ids(&default), all_ids);
    let second = list(&shop, &user, "?page=2&page_size=2").await;
    assert_eq!(second["page"], 2);
    assert_eq!(second["page_size"], 2);
    assert_eq!(second["total"], 5);
    assert_eq!(ids(&second), all_ids[2..4]);
    let last = list(&shop, &user, "?page=3&page_size=2").await;
    assert_eq!(ids(&last), all_ids[4..]);
    let beyond = list(&shop, &user, "?page=4&page_size=2").await;
    assert_eq!(beyond["items"], json!([]));
    assert_eq!(beyond["total"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_parameters_are_named() {
    let shop = start().await;
    let user = User::customer();
    let get = |query: &'static str| {
        let shop = &shop;
        let user = user.clone();
        async move {
            shop.call(
                "notifications",
                "GET",
                &format!("/notifications{query}"),
                Some(&user),
                None,
            )
            .await
        }
    };
    assert_field_error(&get("?unread=maybe").await, "unread");
    assert_field_error(&get("?unread=1").await, "unread");
    assert_field_error(&get("?page=0").await, "page");
    assert_field_error(&get("?page=abc").await, "page");
    assert_field_error(&get("?page=-1").await, "page");
    assert_field_error(&get("?page_size=0").await, "page_size");
    assert_field_error(&get("?page_size=101").await, "page_size");
    let all_bad = get("?unread=yes&page=x&page_size=1000").await;
    for field in ["unread", "page", "page_size"] {
        assert_field_error(&all_bad, field);
    }
    assert_eq!(get("?page_size=100&unread=true").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_for_admins_and_can_be_replayed() {
    let shop = start().await;
    let user = User::customer();
    assert_dead_letters_admin_only(&shop, "notifications", &user).await;
    let checkout = Checkout::new(&user);
    let (channel, mut broken) = checkout.paid();
    broken["payload"]["amount"] = json!({"amount": 5, "currency": "dollars"});
    publish(&shop, &(channel, broken.clone())).await;
    let listed = dead_letters(&shop, "notifications", 1, WAIT)
        .await
        .expect("the broken event became a dead letter");
    assert_eq!(listed["dead_letters"][0]["event_id"], broken["id"]);
    assert_eq!(listed["undelivered"], json!([]));
    assert_eq!(
        list(&shop, &user, "").await["total"],
        0,
        "no notification from it"
    );

    assert_replay_contract(&shop, "notifications", &broken["id"], &user, "DeadLettered").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_events_are_answered_so_the_producer_knows_to_stop() {
    // The HTTP push transport (`event_transport = "http"`, docs/events.md): a producer POSTs
    // each event to `/events`; a 2xx confirms it, whatever became of the event.
    let shop = start().await;
    let user = User::customer();
    let checkout = Checkout::new(&user);
    let (_, created) = checkout.created();
    let push = |event: &Value| {
        shop.call(
            "notifications",
            "POST",
            "/events",
            None,
            Some(event.clone()),
        )
    };

    let first = push(&created).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["outcome"], "Processed");
    let again = push(&created).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["outcome"], "Duplicate");
    assert_eq!(list(&shop, &user, "").await["total"], 1);

    // An event that breaks its contract is a dead letter at once, and confirmed.
    let (_, mut broken) = checkout.paid();
    broken["payload"]["amount"] = json!({"amount": 5, "currency": "dollars"});
    let dead = push(&broken).await;
    assert_eq!(dead.status, 200, "{}", dead.text());
    assert_eq!(dead.json()["outcome"], "DeadLettered");
    assert_eq!(list(&shop, &user, "").await["total"], 1);

    // Only peers with the internal key may push.
    let anonymous = shop
        .app
        .call_component(
            "notifications",
            "POST",
            "/events",
            &[("content-type", "application/json")],
            created.to_string(),
        )
        .await
        .unwrap();
    assert_problem(&anonymous, 401);
}
