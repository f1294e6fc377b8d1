//! The integration tests: each spawns the real server (in process on port 0, or the `concord`
//! binary) with a fresh store, and talks to it as a browser, an integration or an operator would.

// Tests may panic on anything unexpected: that is how they fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod catalogue;
mod circulation;
mod cli;
mod discovery_sweep;
mod org;
mod patrons;
mod permissions;
mod policies;
mod search;
mod sessions;
mod support;
mod unreadable_records;
