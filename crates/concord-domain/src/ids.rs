//! Identifiers: app-generated 64-bit ids, one newtype per kind of thing, and the generator's rule.
//!
//! Ids are made by the application, not by database sequences, so that both storage engines (and a
//! distributed PostgreSQL later) behave alike. The layout is time-ordered, which keeps b-tree inserts
//! local: 41 bits of milliseconds since 2025-01-01, 10 bits of per-process node number, 12 bits of
//! sequence within the millisecond.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse::<i64>().map($name)
            }
        }
    };
}

id_type!(
    /// A member library system of the consortium.
    MemberId
);
id_type!(
    /// A branch (service point) of a member.
    BranchId
);
id_type!(
    /// A staff account.
    StaffId
);
id_type!(
    /// A patron (one identity across every member).
    PatronId
);
id_type!(
    /// An API token issued to an integration.
    ApiTokenId
);
id_type!(
    /// An entry of the audit log.
    AuditId
);
id_type!(
    /// A rule of the circulation policy matrix.
    PolicyRuleId
);
id_type!(
    /// An entry (charge, payment, waiver or refund) of a patron's fines and fees ledger.
    LedgerEntryId
);

id_type!(
    /// A bibliographic record of the shared catalogue.
    BibId
);
id_type!(
    /// A physical item (copy) owned by a member.
    ItemId
);
id_type!(
    /// An authority record (leader/06 `z`), kept apart from bibs.
    AuthorityId
);
id_type!(
    /// A merge of one bib into another, recorded so that it can be undone.
    BibMergeId
);

/// Milliseconds from the Unix epoch to 2025-01-01T00:00:00Z, the origin of generated ids.
pub const ID_EPOCH_MS: i64 = 1_735_689_600_000;
const NODE_BITS: u32 = 10;
const SEQUENCE_BITS: u32 = 12;
const SEQUENCE_MASK: i64 = (1 << SEQUENCE_BITS) - 1;

/// The state of one process's id generator. The shell owns it behind a lock and feeds it the clock.
#[derive(Debug, Clone)]
pub struct IdSequence {
    node: i64,
    last: i64,
}

impl IdSequence {
    /// `node` distinguishes processes writing the same store at once (a server and a CLI command);
    /// only its low 10 bits are used.
    pub fn new(node: u16) -> Self {
        IdSequence {
            node: i64::from(node) & ((1 << NODE_BITS) - 1),
            last: 0,
        }
    }

    /// The next id, strictly greater than every id this sequence gave before, even if the clock
    /// goes backwards or more than 4,096 ids are asked for in one millisecond.
    pub fn next(&mut self, now_unix_ms: i64) -> i64 {
        let millis = (now_unix_ms - ID_EPOCH_MS).max(0);
        let candidate = (millis << (NODE_BITS + SEQUENCE_BITS)) | (self.node << SEQUENCE_BITS);
        let next = if candidate > self.last {
            candidate
        } else {
            // Same millisecond (or the clock stepped back): bump the sequence; on overflow borrow
            // from the next millisecond, which keeps ids unique and ordered.
            let bumped = self.last + 1;
            if bumped & SEQUENCE_MASK == 0 {
                ((bumped >> (NODE_BITS + SEQUENCE_BITS)) + 1) << (NODE_BITS + SEQUENCE_BITS)
                    | (self.node << SEQUENCE_BITS)
            } else {
                bumped
            }
        };
        self.last = next;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_strictly_increase_within_a_millisecond_and_across_clock_steps() {
        let mut seq = IdSequence::new(7);
        let now = ID_EPOCH_MS + 1_000;
        let mut last = 0;
        for _ in 0..10_000 {
            let id = seq.next(now);
            assert!(id > last, "{id} after {last}");
            last = id;
        }
        // The clock steps back a second: ids still increase.
        let id = seq.next(now - 1_000);
        assert!(id > last);
    }

    #[test]
    fn different_nodes_never_collide_in_the_same_millisecond() {
        let now = ID_EPOCH_MS + 99;
        let mut a = IdSequence::new(1);
        let mut b = IdSequence::new(2);
        let from_a: std::collections::HashSet<i64> = (0..100).map(|_| a.next(now)).collect();
        assert!(
            (0..100)
                .map(|_| b.next(now))
                .all(|id| !from_a.contains(&id))
        );
    }

    #[test]
    fn ids_are_positive_for_centuries() {
        let mut seq = IdSequence::new(1023);
        let year_2100_ms = 4_102_444_800_000;
        assert!(seq.next(year_2100_ms) > 0);
    }
}
