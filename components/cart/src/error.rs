//! Everything that can go wrong in cart, mapped to HTTP in one place.

use service_kit::client::CallError;
use service_kit::ids::ProductId;
use service_kit::money::MoneyError;
use service_kit::Problem;

use crate::domain::MAX_LINES;

/// A cart failure.
#[derive(Debug, thiserror::Error)]
pub enum CartError {
    #[error("`{0}` is not a product id")]
    InvalidProductId(String),
    #[error("the catalog has no product {0}")]
    UnknownProduct(ProductId),
    #[error("product {0} is not in the cart")]
    NotInCart(ProductId),
    #[error("the cart already holds {MAX_LINES} different products")]
    Full,
    #[error("catalog: {0}")]
    Catalog(#[from] CallError),
    #[error("pricing: {0}")]
    Pricing(#[from] MoneyError),
    #[error("key-value: {0:?}")]
    Store(#[from] spin_sdk::key_value::Error),
    #[error("encoding the cart: {0}")]
    Encoding(#[from] serde_json::Error),
}

impl From<CartError> for Problem {
    fn from(error: CartError) -> Self {
        match error {
            CartError::InvalidProductId(_) => {
                Problem::invalid_field("product_id", "must be a product id (a UUID)")
            }
            CartError::UnknownProduct(id) => {
                Problem::not_found(format!("The catalog has no product {id}."))
            }
            CartError::NotInCart(id) => {
                Problem::not_found(format!("Product {id} is not in your cart."))
            }
            CartError::Full => Problem::conflict(
                "cart-full",
                format!("A cart holds at most {MAX_LINES} different products."),
            ),
            CartError::Catalog(CallError::Unavailable { .. }) => {
                eprintln!("cart: {error}");
                Problem::unavailable("The catalog is unavailable; try again shortly.")
            }
            CartError::Catalog(CallError::Rejected { .. })
            | CartError::Pricing(_)
            | CartError::Store(_)
            | CartError::Encoding(_) => Problem::internal(&error),
        }
    }
}
