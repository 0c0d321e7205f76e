//! Carts in the key-value label `cart`, one record per user under `cart:<user id>`. The key
//! is always built from the caller's id, never from input.

use service_kit::ids::UserId;
use spin_sdk::key_value::Store;

use crate::domain::StoredCart;
use crate::error::CartError;

/// The key of `user`'s cart.
fn key(user: &UserId) -> String {
    format!("cart:{user}")
}

/// The cart key-value store.
pub fn open() -> Result<Store, CartError> {
    Ok(Store::open("cart")?)
}

/// `user`'s cart; empty if there is none. An unreadable record is logged and read as empty,
/// so a customer is never locked out of their cart.
pub fn load(store: &Store, user: &UserId) -> Result<StoredCart, CartError> {
    let Some(bytes) = store.get(&key(user))? else {
        return Ok(StoredCart::default());
    };
    Ok(serde_json::from_slice(&bytes).unwrap_or_else(|error| {
        eprintln!("cart: the cart of {user} is unreadable ({error}); starting afresh");
        StoredCart::default()
    }))
}

/// Stores `user`'s cart, or deletes the record when the cart is empty.
pub fn save(store: &Store, user: &UserId, cart: &StoredCart) -> Result<(), CartError> {
    if cart.items.is_empty() {
        return clear(store, user);
    }
    Ok(store.set(&key(user), &serde_json::to_vec(cart)?)?)
}

/// Empties `user`'s cart.
pub fn clear(store: &Store, user: &UserId) -> Result<(), CartError> {
    Ok(store.delete(&key(user))?)
}
