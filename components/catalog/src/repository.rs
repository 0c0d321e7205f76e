//! catalog's SQLite database: schema, seed and queries.

use serde::Serialize;
use service_kit::clock::{now_ms, rfc3339};
use service_kit::db::{int, text, Database, Db, Migration, RowView, Rows};
use service_kit::ids::ProductId;
use service_kit::money::{Currency, Money};
use spin_sdk::sqlite::{Error, Value};

use crate::domain::{Listing, ProductDraft, Sort};
use crate::error::CatalogError;
use crate::seed;

/// catalog's schema, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "products",
        sql: "CREATE TABLE categories (
            slug TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL);
        CREATE TABLE products (
            id TEXT PRIMARY KEY,
            sku TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            category TEXT NOT NULL REFERENCES categories (slug),
            price_amount INTEGER NOT NULL CHECK (price_amount >= 0),
            currency TEXT NOT NULL,
            stock INTEGER NOT NULL CHECK (stock >= 0),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL);
        CREATE INDEX products_category ON products (category);
        CREATE TABLE reservations (
            order_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            status TEXT NOT NULL CHECK (status IN ('reserved', 'released')),
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (order_id, product_id))",
    },
    service_kit::outbox::MIGRATION,
    service_kit::inbox::MIGRATION,
];

/// A product as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub price: Money,
    pub stock: i64,
    pub image_url: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A category with how many products it has.
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub product_count: i64,
}

/// One page of a listing.
#[derive(Debug, Serialize)]
pub struct Page {
    pub items: Vec<Product>,
    pub page: u32,
    pub page_size: u32,
    pub total: i64,
}

const PRODUCT_COLUMNS: &str =
    "id, sku, name, description, category, price_amount, currency, stock, created_at, updated_at";

/// catalog's database, seeded once migrated.
pub const DATABASE: Database = Database {
    label: "catalog",
    migrations: MIGRATIONS,
    prepare: seed_once,
};

/// Inserts the opening catalogue unless categories exist; `BEGIN IMMEDIATE` makes concurrent
/// first requests take turns, and the second finds the work done.
fn seed_once(db: &Db) -> Result<(), Error> {
    if has_categories(db)? {
        return Ok(());
    }
    db.transaction(|db| {
        if has_categories(db)? {
            return Ok(());
        }
        for (slug, name, description) in seed::CATEGORIES {
            db.execute(
                "INSERT INTO categories (slug, name, description) VALUES (?, ?, ?)",
                &[text(*slug), text(*name), text(*description)],
            )?;
        }
        let now = now_ms();
        for (index, (category, sku, name, description, price, stock)) in
            seed::PRODUCTS.iter().enumerate()
        {
            // Seeded products are a minute apart, so "newest" has a stable order.
            let at = now - (seed::PRODUCTS.len() - index) as i64 * 60_000;
            db.execute(
                &format!("INSERT INTO products ({PRODUCT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'USD', ?, ?, ?)"),
                &[
                    text(ProductId::new().as_str()),
                    text(*sku),
                    text(*name),
                    text(*description),
                    text(*category),
                    int(*price),
                    int(*stock),
                    int(at),
                    int(at),
                ],
            )?;
        }
        Ok(())
    })
}

fn has_categories(db: &Db) -> Result<bool, Error> {
    Ok(!db
        .query("SELECT 1 FROM categories LIMIT 1", &[])?
        .rows
        .is_empty())
}

fn product(row: &RowView<'_>) -> Product {
    let id = row.text("id");
    Product {
        image_url: format!("/api/v1/images/{id}.svg"),
        id,
        sku: row.text("sku"),
        name: row.text("name"),
        description: row.text("description"),
        category: row.text("category"),
        price: Money {
            amount: row.int("price_amount"),
            currency: Currency::try_from(row.text("currency")).unwrap_or_else(|_| Currency::usd()),
        },
        stock: row.int("stock"),
        created_at: rfc3339(row.int("created_at")),
        updated_at: rfc3339(row.int("updated_at")),
    }
}

/// Every category with its product count.
pub fn categories(db: &Db) -> Result<Vec<Category>, Error> {
    let result = db.query(
        "SELECT c.slug, c.name, c.description, COUNT(p.id) AS product_count
         FROM categories c LEFT JOIN products p ON p.category = c.slug
         GROUP BY c.slug ORDER BY c.name",
        &[],
    )?;
    Ok(Rows::new(&result)
        .iter()
        .map(|row| Category {
            slug: row.text("slug"),
            name: row.text("name"),
            description: row.text("description"),
            product_count: row.int("product_count"),
        })
        .collect())
}

/// The category slugs.
pub fn category_slugs(db: &Db) -> Result<Vec<String>, Error> {
    Ok(categories(db)?.into_iter().map(|c| c.slug).collect())
}

/// One page of products matching `listing`.
pub fn list(db: &Db, listing: &Listing) -> Result<Page, Error> {
    let mut filters = Vec::new();
    let mut params = Vec::new();
    let pattern = listing.text.as_ref().map(|t| {
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    if let Some(pattern) = &pattern {
        filters.push(
            "(name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\' OR sku LIKE ? ESCAPE '\\')",
        );
        params.extend([
            text(pattern.clone()),
            text(pattern.clone()),
            text(pattern.clone()),
        ]);
    }
    if let Some(category) = &listing.category {
        filters.push("category = ?");
        params.push(text(category.clone()));
    }
    if let Some(min) = listing.min_price {
        filters.push("price_amount >= ?");
        params.push(int(min));
    }
    if let Some(max) = listing.max_price {
        filters.push("price_amount <= ?");
        params.push(int(max));
    }
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", filters.join(" AND "))
    };
    let total = {
        let result = db.query(
            &format!("SELECT COUNT(*) AS n FROM products {filter}"),
            &params,
        )?;
        Rows::new(&result).first().map_or(0, |row| row.int("n"))
    };
    let order = match (listing.sort, &pattern) {
        (Sort::Relevance, Some(_)) => "(name LIKE ? ESCAPE '\\') DESC, name ASC",
        (Sort::Relevance, None) | (Sort::Name, _) => "name ASC",
        (Sort::PriceAsc, _) => "price_amount ASC, name ASC",
        (Sort::PriceDesc, _) => "price_amount DESC, name ASC",
        (Sort::Newest, _) => "created_at DESC, name ASC",
    };
    if let (Sort::Relevance, Some(pattern)) = (listing.sort, &pattern) {
        params.push(text(pattern.clone()));
    }
    params.push(int(i64::from(listing.page_size)));
    params.push(int(
        i64::from(listing.page - 1) * i64::from(listing.page_size)
    ));
    let result = db.query(
        &format!(
            "SELECT {PRODUCT_COLUMNS} FROM products {filter} ORDER BY {order} LIMIT ? OFFSET ?"
        ),
        &params,
    )?;
    Ok(Page {
        items: Rows::new(&result).iter().map(|row| product(&row)).collect(),
        page: listing.page,
        page_size: listing.page_size,
        total,
    })
}

/// The product `id`, if it exists.
pub fn find(db: &Db, id: &ProductId) -> Result<Option<Product>, Error> {
    let result = db.query(
        &format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ?"),
        &[text(id.as_str())],
    )?;
    Ok(Rows::new(&result).first().map(|row| product(&row)))
}

/// The products among `ids` that exist.
pub fn find_many(db: &Db, ids: &[ProductId]) -> Result<Vec<Product>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = vec!["?"; ids.len()].join(", ");
    let params: Vec<Value> = ids.iter().map(|id| text(id.as_str())).collect();
    let result = db.query(
        &format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id IN ({placeholders})"),
        &params,
    )?;
    Ok(Rows::new(&result).iter().map(|row| product(&row)).collect())
}

/// Inserts a new product, or replaces product `id` if given.
pub fn save(
    db: &Db,
    id: Option<&ProductId>,
    draft: &ProductDraft,
) -> Result<Product, CatalogError> {
    let now = now_ms();
    let duplicate = db.query(
        "SELECT id FROM products WHERE sku = ? AND id IS NOT ?",
        &[
            text(draft.sku.as_str()),
            id.map_or(Value::Null, |id| text(id.as_str())),
        ],
    )?;
    if !duplicate.rows.is_empty() {
        return Err(CatalogError::DuplicateSku(draft.sku.as_str().to_owned()));
    }
    let fields = [
        text(draft.sku.as_str()),
        text(draft.name.clone()),
        text(draft.description.clone()),
        text(draft.category.clone()),
        int(draft.price.amount),
        text(draft.price.currency.as_str()),
        int(draft.stock),
    ];
    let id = match id {
        Some(id) => {
            let mut params = fields.to_vec();
            params.extend([int(now), text(id.as_str())]);
            let updated = db.query(
                "UPDATE products SET sku = ?, name = ?, description = ?, category = ?, price_amount = ?,
                 currency = ?, stock = ?, updated_at = ? WHERE id = ? RETURNING id",
                &params,
            )?;
            if updated.rows.is_empty() {
                return Err(CatalogError::ProductNotFound(id.to_string()));
            }
            id.clone()
        }
        None => {
            let id = ProductId::new();
            let mut params = vec![text(id.as_str())];
            params.extend(fields);
            params.extend([int(now), int(now)]);
            db.execute(
                &format!("INSERT INTO products ({PRODUCT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                &params,
            )?;
            id
        }
    };
    find(db, &id)?.ok_or_else(|| CatalogError::ProductNotFound(id.to_string()))
}

/// Deletes product `id`; `false` if there was none.
pub fn delete(db: &Db, id: &ProductId) -> Result<bool, Error> {
    let deleted = db.query(
        "DELETE FROM products WHERE id = ? RETURNING id",
        &[text(id.as_str())],
    )?;
    Ok(!deleted.rows.is_empty())
}
