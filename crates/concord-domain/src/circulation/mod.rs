//! Circulation rules as pure functions: the policy matrix, due dates, fines, the fines ledger and
//! checkout and renewal blocks.
//!
//! **Boundary:** the circulation service loads rules, calendars, counts and ledger entries from the
//! store, passes them in with "now", and writes back what these functions decide, in one
//! transaction. Nothing here reads the clock or the store.

pub mod due;
pub mod fines;
pub mod ledger;
pub mod policy;

