//! Where a returned item goes next: back on this branch's shelf, or in transit to its home branch.
//!
//! An item belongs to a member and a home branch. Returned at its home branch it goes to the shelf.
//! Returned at another branch of the same member it goes home, unless the member lets its items
//! float: then it stays where it was returned and that branch shelves it. Returned at another
//! member's branch it always goes home, because floating is something a member decides for its
//! own branches, never for another member's shelves.

use serde::{Deserialize, Serialize};

use crate::ids::{BranchId, MemberId};

/// What circulation needs to know to route a returned item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnFacts {
    pub owning_member: MemberId,
    pub home_branch: BranchId,
    /// The member and branch of the desk where the item was handed in.
    pub returned_at_member: MemberId,
    pub returned_at_branch: BranchId,
    /// The owning member lets its items stay at whichever of its branches they are returned to.
    pub owning_member_floats: bool,
}

/// The instruction the desk shows for a returned item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Routing {
    /// Shelve it here.
    ToShelf,
    /// Send it to `to`.
    InTransit { to: BranchId },
}

/// Where a returned item goes (see the module documentation for the rules).
pub fn route_returned_item(facts: &ReturnFacts) -> Routing {
    if facts.returned_at_branch == facts.home_branch {
        return Routing::ToShelf;
    }
    let same_member = facts.returned_at_member == facts.owning_member;
    if same_member && facts.owning_member_floats {
        Routing::ToShelf
    } else {
        Routing::InTransit {
            to: facts.home_branch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: MemberId = MemberId(1);
    const B: MemberId = MemberId(2);
    const A_HOME: BranchId = BranchId(11);
    const A_OTHER: BranchId = BranchId(12);
    const B_BRANCH: BranchId = BranchId(21);

    fn check(returned_at: (MemberId, BranchId), floats: bool, expected: Routing) {
        let facts = ReturnFacts {
            owning_member: A,
            home_branch: A_HOME,
            returned_at_member: returned_at.0,
            returned_at_branch: returned_at.1,
            owning_member_floats: floats,
        };
        assert_eq!(route_returned_item(&facts), expected, "{facts:?}");
    }

    #[test]
    fn returned_items_go_home_unless_their_member_floats_them() {
        let home = Routing::InTransit { to: A_HOME };
        check((A, A_HOME), false, Routing::ToShelf);
        check((A, A_HOME), true, Routing::ToShelf);
        check((A, A_OTHER), false, home);
        check((A, A_OTHER), true, Routing::ToShelf);
        // Floating never leaves an item on another member's shelves.
        check((B, B_BRANCH), false, home);
        check((B, B_BRANCH), true, home);
    }
}
