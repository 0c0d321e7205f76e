//! accounts' HTTP handlers.

use service_kit::clock::now_ms;
use service_kit::context::Role;
use service_kit::db::Db;
use service_kit::http::{json, parse_json, Query};
use service_kit::router::Params;
use service_kit::scope::Scope;
use service_kit::Problem;
use spin_sdk::http::{Request, Response};

use crate::config::TokenSettings;
use crate::domain::{Credentials, Email, PageRequest, ProfilePatch, Registration};
use crate::error::AccountsError;
use crate::views::{AccountView, PageView, ProfileView, SessionView};
use crate::{password, repository, seed, token};

type Handled = Result<Response, Problem>;

/// The database, migrated, with the first admin in it.
fn open(context: &Scope) -> Result<&Db, AccountsError> {
    let db = context.db()?;
    seed::ensure_first_admin(db)?;
    Ok(db)
}

/// `POST /accounts` `{"email", "password", "name"}`: a new customer.
pub fn register(request: &Request, context: &Scope, _: &Params) -> Handled {
    let new = parse_json::<Registration>(request)?
        .validate()
        .map_err(AccountsError::Invalid)?;
    let db = open(context)?;
    if repository::exists(db, &new.email)? {
        return Err(AccountsError::EmailTaken.into());
    }
    let hash = password::hash(&new.password)?;
    let account = repository::insert(db, &new.email, &new.name, &hash, Role::Customer)?
        .ok_or(AccountsError::EmailTaken)?;
    let mut response = json(201, &AccountView::from(&account));
    response.set_header("location", "/me");
    Ok(response)
}

/// `POST /sessions` `{"email", "password"}`: a signed access token. An unknown email and a
/// wrong password get the same answer after the same work (an argon2id verification).
pub fn sign_in(request: &Request, context: &Scope, _: &Params) -> Handled {
    let credentials: Credentials = parse_json(request)?;
    // Before the password is checked, so a broken configuration tells nothing about it.
    let settings = TokenSettings::from_variables()?;
    let db = open(context)?;
    let found = match Email::parse(&credentials.email) {
        Ok(email) => repository::credentials(db, &email)?,
        Err(_) => None,
    };
    let account = match found {
        Some((account, hash)) if password::verify(&credentials.password, &hash) => account,
        Some(_) => return Err(AccountsError::BadCredentials.into()),
        None => {
            password::verify_dummy(&credentials.password);
            return Err(AccountsError::BadCredentials.into());
        }
    };
    let token = token::issue(&account, &settings, now_ms() / 1000)?;
    Ok(json(200, &SessionView::new(&token, &account)))
}

/// `GET /me`: the caller's profile.
pub fn me(_: &Request, context: &Scope, _: &Params) -> Handled {
    let caller = context.caller()?;
    let db = open(context)?;
    let account = repository::find(db, &caller.user_id)?.ok_or(AccountsError::UnknownUser)?;
    Ok(json(200, &ProfileView::from(&account)))
}

/// `PATCH /me` `{"name"?, "shipping_address"?}`: changes the caller's profile.
pub fn change_me(request: &Request, context: &Scope, _: &Params) -> Handled {
    let caller = context.caller()?;
    let change = parse_json::<ProfilePatch>(request)?
        .validate()
        .map_err(AccountsError::Invalid)?;
    let db = open(context)?;
    let account = if change.is_empty() {
        repository::find(db, &caller.user_id)?
    } else {
        repository::update_profile(db, &caller.user_id, &change)?
    };
    let account = account.ok_or(AccountsError::UnknownUser)?;
    Ok(json(200, &ProfileView::from(&account)))
}

/// `GET /accounts?page=&page_size=` (admin): every account, oldest first.
pub fn list(request: &Request, context: &Scope, _: &Params) -> Handled {
    context.admin()?;
    let PageRequest { page, page_size } =
        PageRequest::parse(&Query::from_request(request)).map_err(AccountsError::Invalid)?;
    let db = open(context)?;
    let (accounts, total) = repository::list(db, page, page_size)?;
    Ok(json(
        200,
        &PageView {
            items: accounts.iter().map(ProfileView::from).collect(),
            page,
            page_size,
            total,
        },
    ))
}
