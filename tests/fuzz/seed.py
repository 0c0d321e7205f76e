"""Test data for tests/fuzz/run, so that every operation taking an id meets real ones.

Usage: seed.py BASE_URL REDIS_URL ADMIN_EMAIL ADMIN_PASSWORD. Prints one JSON object: the
Authorization header of each signed-in client (`customer`, `admin`).

The shop runs without payments, so orders (the customer's, and one of the admin's) wait in
`pending_payment` (cancellable by their owner); some of the customer's are then marked paid by a `PaymentSucceeded` event published as payments would (fulfillable).
A message no service can read becomes a dead letter (replayable).
"""

import json
import subprocess
import sys
import uuid
from datetime import datetime, timezone

import requests

ORDERS, PAID = 8, 4
ADDRESS = {"name": "Fuzz Customer", "line1": "1 Test Road", "city": "London", "postal_code": "N1", "country": "GB"}


def call(method, url, token=None, body=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(method, url, json=body, headers=headers, timeout=10)
    if response.status_code >= 300:
        sys.exit(f"seeding: {method} {url} answered {response.status_code}: {response.text}")
    return response.json() if response.content else None


def publish(redis_url, channel, message):
    subprocess.run(["redis-cli", "-u", redis_url, "PUBLISH", channel, message], check=True, capture_output=True)


def payment_succeeded(order):
    """The event payments would publish for `order` (kv-schemas/events/payment-succeeded.v1)."""
    return {
        "id": str(uuid.uuid4()),
        "type": "PaymentSucceeded",
        "version": 1,
        "occurred_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "correlation_id": order["id"],
        "producer": "payments",
        "payload": {
            "order_id": order["id"],
            "user_id": order["user_id"],
            "payment_id": str(uuid.uuid4()),
            "amount": order["total"],
        },
    }


def main(base, redis_url, admin_email, admin_password):
    api = f"{base}/api/v1"
    customer = {"email": "fuzz-customer@example.com", "password": "fuzz-customer-password"}
    call("POST", f"{api}/accounts", body={**customer, "name": "Fuzz Customer"})
    token = call("POST", f"{api}/sessions", body=customer)["token"]
    admin = call("POST", f"{api}/sessions", body={"email": admin_email, "password": admin_password})["token"]
    products = call("GET", f"{api}/products?page_size={ORDERS}")["items"]
    orders = []
    for product in products:
        call("PUT", f"{api}/cart/items/{product['id']}", token, {"quantity": 1})
        checkout = {"shipping_address": ADDRESS, "payment": {"card_token": "tok_visa"}}
        orders.append(call("POST", f"{api}/orders", token, checkout))
    # The admin's own order, which only the admin may cancel.
    call("PUT", f"{api}/cart/items/{products[0]['id']}", admin, {"quantity": 1})
    call("POST", f"{api}/orders", admin, {"shipping_address": ADDRESS, "payment": {"card_token": "tok_visa"}})
    for order in orders[:PAID]:
        publish(redis_url, "wasmart.payments", json.dumps(payment_succeeded(order)))
    publish(redis_url, "wasmart.payments", "not an event")
    print(json.dumps({"customer": f"Authorization: Bearer {token}", "admin": f"Authorization: Bearer {admin}"}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
