//! Intentionally empty: the conformance suite lives in `conformance/` (an integration test
//! target) and the guest fixtures it drives live in `conformance/fixtures/`.
