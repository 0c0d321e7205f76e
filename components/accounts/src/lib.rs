//! `accounts`: registration, sign-in with argon2id password hashes and HS256 access tokens,
//! and profiles with a shipping address. The first admin comes from the variables
//! `admin_email` and `admin_password`.
//!
//! HTTP (private route; the caller comes from the gateway's identity headers):
//! `POST /accounts`, `POST /sessions`, `GET /me`, `PATCH /me`, and for admins
//! `GET /accounts?page=&page_size=`.

mod config;
mod countries;
mod domain;
mod error;
mod handlers;
mod password;
mod repository;
mod seed;
mod token;
mod views;

use service_kit::router::Router;
use service_kit::service::{Events, Service};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

static ACCOUNTS: Service = Service {
    name: "accounts",
    database: Some(repository::DATABASE),
    events: Events::NONE,
    background: None,
    routes,
};

fn routes(router: Router) -> Router {
    router
        .route(Method::Post, "/accounts", handlers::register)
        .route(Method::Get, "/accounts", handlers::list)
        .route(Method::Post, "/sessions", handlers::sign_in)
        .route(Method::Get, "/me", handlers::me)
        .route(Method::Patch, "/me", handlers::change_me)
}

#[http_component]
fn handle(request: Request) -> Response {
    ACCOUNTS.handle_http(request)
}
