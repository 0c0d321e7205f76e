//! Everything that can go wrong in catalog, mapped to HTTP in one place.

use service_kit::Problem;

/// A catalog failure.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("no product {0}")]
    ProductNotFound(String),
    #[error("a product with sku {0} exists")]
    DuplicateSku(String),
    #[error("database: {0:?}")]
    Database(#[from] spin_sdk::sqlite::Error),
}

impl From<CatalogError> for Problem {
    fn from(error: CatalogError) -> Self {
        match error {
            CatalogError::ProductNotFound(id) => Problem::not_found(format!("No product {id}.")),
            CatalogError::DuplicateSku(sku) => {
                Problem::conflict("duplicate-sku", format!("A product with sku {sku} exists."))
            }
            CatalogError::Database(error) => Problem::internal(format!("sqlite: {error:?}")),
        }
    }
}
