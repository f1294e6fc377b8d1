//! The audit log's vocabulary: who changed what, when, with the state before and after.
//!
//! **Invariant:** every change to consortium data is written in the same transaction as its audit
//! entry, so the log cannot miss a change or record one that did not happen.

use serde::{Deserialize, Serialize};

use crate::ids::{AuditId, MemberId};

/// One recorded change. `before` and `after` are JSON documents of the changed thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: AuditId,
    /// Unix seconds.
    pub at: i64,
    /// The principal's label (`staff:alice`, `token:kiosk-3`, `operator`).
    pub actor: String,
    /// What was done, dotted: `member.create`, `branch.update`, `patron.create`, `staff.create`.
    pub action: String,
    /// The kind of thing changed (`member`, `branch`, `patron`, `staff`, `api_token`).
    pub entity_kind: String,
    /// Its id or code, as text.
    pub entity_id: String,
    /// The member the thing belongs to, so member admins can browse their own part of the log.
    pub member_id: Option<MemberId>,
    pub before: Option<String>,
    pub after: Option<String>,
    /// A reason given by the person, where the action asks for one (overrides, waivers).
    pub reason: Option<String>,
}

/// A change about to be recorded (the store gives it an id and the time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub actor: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub member_id: Option<MemberId>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
}

/// What an administrator filters the log by. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub member_id: Option<MemberId>,
    pub actor: Option<String>,
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    pub action_prefix: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Entries older than this id (for paging backwards through time).
    pub before_id: Option<AuditId>,
    pub limit: u32,
}
