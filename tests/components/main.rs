//! Components suite: the application's own components, run on `wasmart-host` through
//! `wasmart_testing`: each service on its private routes (called the way service chaining
//! calls it), the gateway's public API and its journeys (also on the split and cloud
//! topologies, as `wasmart up` processes), the event flows between services over a real
//! Redis, observability, and `web` with its static files (and the browser end-to-end tests).

#![forbid(unsafe_code)]

mod accounts;
mod alerts;
mod bad_input;
mod browser;
mod cart;
mod catalog;
mod checkout;
mod cloud;
mod events;
mod gateway;
mod hostile;
mod internal_routes;
mod isolation;
mod notifications;
mod observability;
mod orders;
mod payments;
mod processes;
mod split;
mod support;
mod tracing;
mod web;
