//! Test support shared by the workspace's test suites and benches (a dev-dependency only,
//! never published):
//!
//! * [`pg`]: a throwaway PostgreSQL database per test on the server that
//!   `BAIDUPAY_TEST_POSTGRES_URL` names (`.ci/postgres start` starts one; CI always sets it),
//!   with the loud `SKIPPED` line when the variable is missing;
//! * [`probe`]: raw-socket probes of a server's read timeouts and connection cap;
//! * [`http`]: one plain HTTP/1.1 exchange over `std::net`, for tests that must not use the
//!   SDK's HTTP code.
//!
//! Panics are how a test fails, so this crate may panic where a library must not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod http;
pub mod pg;
pub mod probe;
