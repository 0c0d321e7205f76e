//! Host bindings generated from Spin's WIT (see `build.rs`).
#![allow(missing_docs, clippy::all)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
