//! Host bindings of the handler Redis-triggered components export (see `build.rs`); each
//! capability module binds the interfaces it implements itself.
#![allow(missing_docs, clippy::all)]

/// `fermyon:spin/inbound-redis`, as the Redis trigger calls it.
pub mod redis_handler {
    include!(concat!(env!("OUT_DIR"), "/redis_handler.rs"));
}
