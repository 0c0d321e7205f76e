//! catalog's HTTP handlers.

use serde::Deserialize;
use service_kit::http::{json, no_content, parse_json, Query};
use service_kit::ids::ProductId;
use service_kit::router::Params;
use service_kit::scope::Scope;
use service_kit::Problem;
use spin_sdk::http::{Request, Response};

use crate::domain::{Listing, ProductDraft};
use crate::error::CatalogError;
use crate::{images, repository};

type Handled = Result<Response, Problem>;

/// `GET /categories`
pub fn categories(_: &Request, context: &Scope, _: &Params) -> Handled {
    let db = context.db()?;
    Ok(json(200, &repository::categories(db)?))
}

/// `GET /products?q=&category=&min_price=&max_price=&sort=&page=&page_size=`
pub fn list(request: &Request, context: &Scope, _: &Params) -> Handled {
    let listing = Listing::parse(&Query::from_request(request))?;
    let db = context.db()?;
    Ok(json(200, &repository::list(db, &listing)?))
}

/// `GET /products/:id`
pub fn show(_: &Request, context: &Scope, params: &Params) -> Handled {
    let id = product_id(params)?;
    let db = context.db()?;
    let product =
        repository::find(db, &id)?.ok_or(CatalogError::ProductNotFound(id.to_string()))?;
    Ok(json(200, &product))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lookup {
    ids: Vec<ProductId>,
}

/// `POST /products/lookup` with `{"ids": [..]}` (at most 100).
pub fn lookup(request: &Request, context: &Scope, _: &Params) -> Handled {
    let lookup: Lookup = parse_json(request)?;
    if lookup.ids.len() > 100 {
        return Err(Problem::invalid_field("ids", "at most 100 ids per lookup"));
    }
    let db = context.db()?;
    let items = repository::find_many(db, &lookup.ids)?;
    Ok(json(200, &serde_json::json!({ "items": items })))
}

/// `POST /products` (admin)
pub fn create(request: &Request, context: &Scope, _: &Params) -> Handled {
    context.admin()?;
    let db = context.db()?;
    let draft = parse_json::<ProductDraft>(request)?.validate(&repository::category_slugs(db)?)?;
    let product = repository::save(db, None, &draft)?;
    let mut response = json(201, &product);
    response.set_header("location", format!("/products/{}", product.id));
    Ok(response)
}

/// `PUT /products/:id` (admin): replaces the product.
pub fn replace(request: &Request, context: &Scope, params: &Params) -> Handled {
    context.admin()?;
    let id = product_id(params)?;
    let db = context.db()?;
    let draft = parse_json::<ProductDraft>(request)?.validate(&repository::category_slugs(db)?)?;
    Ok(json(200, &repository::save(db, Some(&id), &draft)?))
}

/// `DELETE /products/:id` (admin)
pub fn delete(_: &Request, context: &Scope, params: &Params) -> Handled {
    context.admin()?;
    let id = product_id(params)?;
    let db = context.db()?;
    if repository::delete(db, &id)? {
        Ok(no_content())
    } else {
        Err(CatalogError::ProductNotFound(id.to_string()).into())
    }
}

/// `GET /images/:file` where file is `<product-id>.svg`.
pub fn image(_: &Request, context: &Scope, params: &Params) -> Handled {
    let file = params.get("file");
    let id = file
        .strip_suffix(".svg")
        .and_then(ProductId::parse)
        .ok_or_else(|| Problem::not_found(format!("No image {file}.")))?;
    let db = context.db()?;
    let product =
        repository::find(db, &id)?.ok_or(CatalogError::ProductNotFound(id.to_string()))?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", "image/svg+xml")
        .header("cache-control", "public, max-age=3600")
        .body(images::svg(&product))
        .build())
}

fn product_id(params: &Params) -> Result<ProductId, Problem> {
    let id = params.get("id");
    ProductId::parse(id).ok_or_else(|| Problem::not_found(format!("No product {id}.")))
}
