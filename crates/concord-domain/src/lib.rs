//! Concord's functional core: the consortium's vocabulary and rules as plain data and pure functions.
//!
//! **Boundary:** nothing in this crate does I/O, reads the clock, touches SQL, HTTP or async. Callers
//! pass in "now" and every fact a rule needs, and get back data (including refusals with reason codes).

pub mod audit;
pub mod auth;
pub mod calendar;
pub mod catalogue;
pub mod circulation;
pub mod codes;
pub mod duplicates;
pub mod error;
pub mod format;
pub mod ids;
pub mod languages;
pub mod money;
pub mod org;
pub mod patron;
pub mod percent;
pub mod ratelimit;
pub mod text;

pub use error::{ErrorCode, FieldError};
