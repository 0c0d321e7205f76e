//! Nothing to call: this crate exists for its `Cargo.toml`, whose dependencies turn on, in
//! every build of the host, the features that the test build turns on as well (see the
//! manifest's comment and `tests/contracts/build_features.rs`).
