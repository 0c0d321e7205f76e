//! Catalog values that parse: what a product is, and what a listing asks for.

use serde::{Deserialize, Serialize};
use service_kit::http::Query;
use service_kit::money::Money;
use service_kit::{FieldError, Problem};

/// A stock-keeping unit: 3 to 32 upper-case letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

impl TryFrom<String> for Sku {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let valid = (3..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(text))
        } else {
            Err("must be 3 to 32 upper-case letters, digits or dashes".to_owned())
        }
    }
}

impl From<Sku> for String {
    fn from(sku: Sku) -> Self {
        sku.0
    }
}

impl Sku {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product as an admin submits it (create or full replace).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductDraft {
    pub sku: Sku,
    pub name: String,
    pub description: String,
    pub category: String,
    pub price: Money,
    #[serde(deserialize_with = "service_kit::integer::whole")]
    pub stock: i64,
}

impl ProductDraft {
    /// Checks what the types alone cannot; `categories` are the known slugs. Lengths are
    /// of the text as sent (the public schema's bounds); name and description are kept
    /// trimmed.
    pub fn validate(mut self, categories: &[String]) -> Result<Self, Problem> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() || self.name.chars().count() > 120 {
            errors.push(FieldError::new("name", "must be 1 to 120 characters"));
        }
        if self.description.chars().count() > 2000 {
            errors.push(FieldError::new(
                "description",
                "must be at most 2000 characters",
            ));
        }
        if !categories.contains(&self.category) {
            errors.push(FieldError::new(
                "category",
                format!("must be one of {}", categories.join(", ")),
            ));
        }
        if self.price.currency.as_str() != "USD" {
            errors.push(FieldError::new("price.currency", "the shop sells in USD"));
        }
        if !(0..=1_000_000).contains(&self.stock) {
            errors.push(FieldError::new("stock", "must be between 0 and 1000000"));
        }
        self.name = self.name.trim().to_owned();
        self.description = self.description.trim().to_owned();
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(Problem::validation(errors))
        }
    }
}

/// How a listing is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    PriceAsc,
    PriceDesc,
    Name,
    Newest,
}

impl Sort {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "relevance" => Self::Relevance,
            "price_asc" => Self::PriceAsc,
            "price_desc" => Self::PriceDesc,
            "name" => Self::Name,
            "newest" => Self::Newest,
            _ => return None,
        })
    }
}

/// A product listing request: search, filters, order and page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub text: Option<String>,
    pub category: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub sort: Sort,
    pub page: u32,
    pub page_size: u32,
}

impl Listing {
    /// Parses the query string; every bad parameter is named.
    pub fn parse(query: &Query) -> Result<Self, Problem> {
        let mut errors = Vec::new();
        let price = |t: &str| t.parse::<i64>().ok().filter(|p| *p >= 0);
        let raw_text = query.get("q");
        let text = raw_text.map(str::trim).filter(|q| !q.is_empty());
        let min_price = collect(
            &mut errors,
            query.parse_opt("min_price", "a non-negative integer (cents)", price),
        );
        let max_price = collect(
            &mut errors,
            query.parse_opt("max_price", "a non-negative integer (cents)", price),
        );
        let sort = collect(
            &mut errors,
            query.parse_opt(
                "sort",
                "one of relevance, price_asc, price_desc, name, newest",
                Sort::parse,
            ),
        );
        let page = collect(
            &mut errors,
            query.parse_opt("page", "an integer of at least 1", |t| {
                t.parse::<u32>().ok().filter(|p| *p >= 1)
            }),
        );
        let page_size = collect(
            &mut errors,
            query.parse_opt("page_size", "an integer from 1 to 100", |t| {
                t.parse::<u32>().ok().filter(|p| (1..=100).contains(p))
            }),
        );
        let category = query.get("category").map(str::to_owned);
        if let (Some(min), Some(max)) = (min_price, max_price) {
            if min > max {
                errors.push(FieldError::new("min_price", "must not exceed max_price"));
            }
        }
        if raw_text.is_some_and(|t| t.chars().count() > 100) {
            errors.push(FieldError::new("q", "must be at most 100 characters"));
        }
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        let default_sort = if text.is_some() {
            Sort::Relevance
        } else {
            Sort::Name
        };
        Ok(Self {
            text: text.map(str::to_owned),
            category,
            min_price,
            max_price,
            sort: sort.unwrap_or(default_sort),
            page: page.unwrap_or(1),
            page_size: page_size.unwrap_or(20),
        })
    }
}

/// The parsed value, or `None` with the error kept.
fn collect<T>(errors: &mut Vec<FieldError>, parsed: Result<Option<T>, FieldError>) -> Option<T> {
    parsed.unwrap_or_else(|error| {
        errors.push(error);
        None
    })
}
