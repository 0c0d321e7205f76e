//! The stored cart: `cart:<user id>` in the key-value label `cart`
//! (schema: `kv-schemas/cart/cart.schema.json`).

use serde::{Deserialize, Serialize};
use service_kit::clock::now_rfc3339;
use service_kit::ids::{ProductId, UserId};
use spin_sdk::key_value::{Error, Store};

/// Distinct products a cart may hold.
pub const MAX_LINES: usize = 50;

/// What is kept per user: product ids and quantities, never prices.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredCart {
    pub items: Vec<StoredItem>,
    pub updated_at: String,
}

/// One line of a stored cart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredItem {
    pub product_id: ProductId,
    pub quantity: u32,
    pub added_at: String,
}

fn key(user: &UserId) -> String {
    format!("cart:{user}")
}

/// The cart key-value store.
pub fn open() -> Result<Store, Error> {
    Store::open("cart")
}

/// `user`'s cart (empty if none).
pub fn load(store: &Store, user: &UserId) -> Result<StoredCart, Error> {
    Ok(store
        .get(&key(user))?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default())
}

/// Saves `user`'s cart, or deletes the key when it is empty.
pub fn save(store: &Store, user: &UserId, cart: &mut StoredCart) -> Result<(), Error> {
    if cart.items.is_empty() {
        return store.delete(&key(user));
    }
    cart.updated_at = now_rfc3339();
    store.set(&key(user), &serde_json::to_vec(cart).unwrap_or_default())
}

impl StoredCart {
    /// Sets the quantity of `product_id`, adding the line if new; `false` if the cart is full.
    pub fn set(&mut self, product_id: &ProductId, quantity: u32) -> bool {
        if let Some(item) = self.items.iter_mut().find(|i| &i.product_id == product_id) {
            item.quantity = quantity;
            return true;
        }
        if self.items.len() >= MAX_LINES {
            return false;
        }
        self.items.push(StoredItem {
            product_id: product_id.clone(),
            quantity,
            added_at: now_rfc3339(),
        });
        true
    }

    /// Removes `product_id`; `false` if it was not there.
    pub fn remove(&mut self, product_id: &ProductId) -> bool {
        let before = self.items.len();
        self.items.retain(|i| &i.product_id != product_id);
        self.items.len() != before
    }
}
