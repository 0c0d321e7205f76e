//! Cart failures, mapped to HTTP in one place.

use service_kit::ids::ProductId;
use service_kit::Problem;

use crate::store::MAX_LINES;

/// A cart failure.
#[derive(Debug, thiserror::Error)]
pub enum CartError {
    #[error("the catalog has no product {0}")]
    UnknownProduct(ProductId),
    #[error("product {0} is not in the cart")]
    NotInCart(ProductId),
    #[error("the cart is full")]
    Full,
}

impl From<CartError> for Problem {
    fn from(error: CartError) -> Self {
        match &error {
            CartError::UnknownProduct(_) | CartError::NotInCart(_) => {
                Problem::not_found(error.to_string())
            }
            CartError::Full => Problem::conflict(
                "cart-full",
                format!("A cart holds at most {MAX_LINES} different products."),
            ),
        }
    }
}
