//! Circulation rules as pure functions: the policy matrix, due dates, fines, the fines ledger and
//! checkout and renewal blocks.
//!
//! **Boundary:** the circulation service loads rules, calendars, counts and ledger entries from the
//! store, passes them in with "now", and writes back what these functions decide, in one
//! transaction. Nothing here reads the clock or the store.

pub mod blocks;
pub mod checkin;
pub mod due;
pub mod fines;
pub mod jobs;
pub mod ledger;
pub mod policy;
pub mod policy_input;

pub use blocks::{
    Block, ItemFacts, ItemStatus, LoanCounts, PatronFacts, RenewalFacts, checkout_blocks,
    may_proceed, renewal_blocks,
};
pub use checkin::{ReturnFacts, Routing, route_returned_item};
pub use due::{BranchCalendar, DueAdjustment, DueDate, DueDateError, MAX_DAYS_SEARCHED, due_at};
pub use fines::{LostItemCharge, OverdueFine, lost_item_charge, overdue_fine};
pub use ledger::{ChargeBalance, EntryKind, Ledger, LedgerEntry, LedgerRefusal, PaymentAllocation};
pub use policy::{
    CirculationPolicy, LoanPeriod, MatchPoint, MatchPoints, Mismatch, PassedOver, PassedOverReason,
    PolicyContext, PolicyError, PolicyExplanation, PolicyField, PolicyRule, PolicySettings,
    PolicyValue, PolicyValueKind, RuleVerdict, ValueExplanation, explain_policy, resolve_policy,
};
