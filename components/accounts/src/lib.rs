//! `accounts`: registration, sign-in with argon2id password hashes and signed access tokens,
//! and profiles with a shipping address. The first admin comes from the variables
//! `admin_email` and `admin_password`.
//!
//! HTTP (private): `POST /accounts`, `POST /sessions`, `GET /me`, `PATCH /me`, and for admins
//! `GET /accounts`.

mod domain;
mod error;
mod password;
mod repository;

use serde_json::json;
use service_kit::context::RequestContext;
use service_kit::http::{json, parse_json, Params, Query, Router};
use service_kit::token;
use service_kit::{FieldError, Problem};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::variables;

use crate::domain::{Credentials, Email, ProfileChange, Registration};
use crate::error::AccountsError;
use crate::repository::User;

type Handled = Result<Response, Problem>;

#[http_component]
fn handle(request: Request) -> Response {
    Router::new()
        .route(Method::Post, "/accounts", register)
        .route(Method::Get, "/accounts", list)
        .route(Method::Post, "/sessions", sign_in)
        .route(Method::Get, "/me", me)
        .route(Method::Patch, "/me", change_me)
        .handle(request)
}

/// Opens the database and makes sure the first admin exists.
fn open() -> Result<service_kit::db::Db, AccountsError> {
    let db = repository::open()?;
    let email = variable("admin_email")?;
    let email = Email::parse(&email)
        .map_err(|m| AccountsError::Configuration(format!("admin_email {m}")))?;
    if !repository::email_taken(&db, &email)? {
        let password = variable("admin_password")?;
        domain::check_password(&password)
            .map_err(|m| AccountsError::Configuration(format!("admin_password {m}")))?;
        let hash = password::hash(&password).map_err(AccountsError::Hashing)?;
        repository::insert(&db, &email, "Administrator", &hash, "admin")?;
    }
    Ok(db)
}

fn variable(name: &str) -> Result<String, AccountsError> {
    variables::get(name).map_err(|e| AccountsError::Configuration(format!("{name}: {e:?}")))
}

/// `POST /accounts`
fn register(request: &Request, _: &RequestContext, _: &Params) -> Handled {
    let account = parse_json::<Registration>(request)?.validate()?;
    let db = open()?;
    if repository::email_taken(&db, &account.email)? {
        return Err(AccountsError::EmailTaken.into());
    }
    let hash = password::hash(&account.password).map_err(AccountsError::Hashing)?;
    let user = repository::insert(&db, &account.email, &account.name, &hash, "customer")?
        .ok_or(AccountsError::EmailTaken)?;
    let mut response = json(201, &user);
    response.set_header("location", "/me");
    Ok(response)
}

/// `POST /sessions`: a signed access token for valid credentials.
fn sign_in(request: &Request, _: &RequestContext, _: &Params) -> Handled {
    let credentials: Credentials = parse_json(request)?;
    let db = open()?;
    let found = match Email::parse(&credentials.email) {
        Ok(email) => repository::by_email(&db, &email)?,
        Err(_) => None,
    };
    let user = match found {
        Some((user, hash)) if password::verify(&credentials.password, &hash) => user,
        Some(_) => return Err(AccountsError::BadCredentials.into()),
        None => {
            password::verify_nothing(&credentials.password);
            return Err(AccountsError::BadCredentials.into());
        }
    };
    let (token, expires_in) = issue_token(&user)?;
    Ok(json(
        200,
        &json!({ "token": token, "token_type": "Bearer", "expires_in": expires_in, "user": user }),
    ))
}

fn issue_token(user: &User) -> Result<(String, i64), AccountsError> {
    let key = variable("jwt_signing_key")?;
    let ttl: i64 = variable("jwt_ttl_seconds")?
        .parse()
        .ok()
        .filter(|ttl| *ttl > 0)
        .ok_or_else(|| {
            AccountsError::Configuration("jwt_ttl_seconds is not a positive integer".into())
        })?;
    let now = service_kit::clock::now_ms() / 1000;
    let claims = token::Claims {
        iss: token::ISSUER.to_owned(),
        sub: user.id.clone(),
        email: user.email.clone(),
        role: user.role.clone(),
        iat: now,
        exp: now + ttl,
        jti: service_kit::ids::random_uuid(),
    };
    let token = token::issue(&claims, key.as_bytes())
        .map_err(|e| AccountsError::Configuration(format!("jwt_signing_key: {e}")))?;
    Ok((token, ttl))
}

/// `GET /me`
fn me(_: &Request, context: &RequestContext, _: &Params) -> Handled {
    let caller = context.caller()?;
    let db = open()?;
    let user = repository::by_id(&db, &caller.user_id)?.ok_or(AccountsError::UnknownUser)?;
    Ok(json(200, &user))
}

/// `PATCH /me`
fn change_me(request: &Request, context: &RequestContext, _: &Params) -> Handled {
    let caller = context.caller()?;
    let change = parse_json::<ProfileChange>(request)?.validate()?;
    let db = open()?;
    let address = change.shipping_address.as_ref().map(Option::as_ref);
    let user = repository::update_profile(&db, &caller.user_id, change.name.as_deref(), address)?
        .ok_or(AccountsError::UnknownUser)?;
    Ok(json(200, &user))
}

/// `GET /accounts?page=&page_size=` (admin)
fn list(request: &Request, context: &RequestContext, _: &Params) -> Handled {
    context.admin()?;
    let query = Query::from_request(request);
    let mut errors = Vec::new();
    let page = query
        .parse_opt("page", "an integer of at least 1", |t| {
            t.parse::<u32>().ok().filter(|p| *p >= 1)
        })
        .unwrap_or_else(|e| {
            errors.push(e);
            None
        });
    let page_size = query
        .parse_opt("page_size", "an integer from 1 to 100", |t| {
            t.parse::<u32>().ok().filter(|p| (1..=100).contains(p))
        })
        .unwrap_or_else(|e: FieldError| {
            errors.push(e);
            None
        });
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let (page, page_size) = (page.unwrap_or(1), page_size.unwrap_or(20));
    let db = open()?;
    let (items, total) = repository::list(&db, page, page_size)?;
    Ok(json(
        200,
        &json!({ "items": items, "page": page, "page_size": page_size, "total": total }),
    ))
}
