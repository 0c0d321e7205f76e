//! What accounts answers with: accounts and profiles as JSON (never a password hash).

use serde::Serialize;
use service_kit::clock::rfc3339;
use service_kit::context::Role;
use service_kit::events::Address;

use crate::repository::Account;
use crate::token::AccessToken;

/// An account as registration and sign-in show it.
#[derive(Serialize)]
pub struct AccountView<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub created_at: String,
}

impl<'a> From<&'a Account> for AccountView<'a> {
    fn from(account: &'a Account) -> Self {
        Self {
            id: account.id.as_str(),
            email: &account.email,
            name: &account.name,
            role: account.role,
            created_at: rfc3339(account.created_at),
        }
    }
}

/// A full profile (`GET /me`, `PATCH /me`, the admin listing); no address is `null`.
#[derive(Serialize)]
pub struct ProfileView<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub shipping_address: Option<&'a Address>,
    pub created_at: String,
    pub updated_at: String,
}

impl<'a> From<&'a Account> for ProfileView<'a> {
    fn from(account: &'a Account) -> Self {
        Self {
            id: account.id.as_str(),
            email: &account.email,
            name: &account.name,
            role: account.role,
            shipping_address: account.shipping_address.as_ref(),
            created_at: rfc3339(account.created_at),
            updated_at: rfc3339(account.updated_at),
        }
    }
}

/// `POST /sessions`' answer.
#[derive(Serialize)]
pub struct SessionView<'a> {
    pub token: &'a str,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub user: AccountView<'a>,
}

impl<'a> SessionView<'a> {
    /// A bearer token for `account`.
    pub fn new(token: &'a AccessToken, account: &'a Account) -> Self {
        Self {
            token: &token.token,
            token_type: "Bearer",
            expires_in: token.expires_in,
            user: account.into(),
        }
    }
}

/// One page of the admin listing.
#[derive(Serialize)]
pub struct PageView<'a> {
    pub items: Vec<ProfileView<'a>>,
    pub page: u32,
    pub page_size: u32,
    pub total: i64,
}
