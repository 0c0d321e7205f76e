//! The public API through the gateway, black-box over loopback HTTP: journeys of a
//! customer and an admin, who may see what, resilience when services fail, and what every
//! request and answer passes through. Every answer is checked against `docs/openapi.yaml`.

mod access;
pub mod client;
mod contract;
mod edges;
pub mod journeys;
mod resilience;
