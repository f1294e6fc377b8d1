//! Checkout and renewal blocks: every reason a loan may not go ahead, as data with a reason code.
//!
//! The functions return every block that applies, not just the first, so staff see the whole
//! picture at once (an expired card *and* fines over the limit). Each block says whether staff may
//! override it; whether a particular staff member may is a permission question for the service.
//!
//! Overridable: expired card, fines over the limit, too many loans, not lendable to the patron's
//! member, lost item (it has turned up at the desk), not for loan (reference items lent by
//! arrangement), no renewals left, holds waiting. Not overridable: the item is already on loan or
//! claimed returned (check it in or resolve the claim first, so two loans never exist for one
//! item) and a patron barred by staff (lift the bar instead, which is recorded).

use serde::{Deserialize, Serialize};

use crate::calendar::Date;
use crate::circulation::policy::CirculationPolicy;
use crate::codes::Code;
use crate::ids::MemberId;
use crate::money::Money;

/// What circulation needs to know about the patron.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatronFacts {
    pub home_member: MemberId,
    pub card_expires_on: Date,
    /// The ledger balance: what the patron owes in all.
    pub balance_owed: Money,
    /// Staff have barred the patron from borrowing.
    pub barred: bool,
}

/// Where an item is in its life, as far as lending it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Available,
    OnLoan,
    Lost,
    ClaimedReturned,
    /// Reference and other items not for loan.
    NotForLoan,
}

/// What circulation needs to know about the item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFacts {
    pub owning_member: MemberId,
    pub item_type: Code,
    pub status: ItemStatus,
}

/// The patron's current loans, counted by the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanCounts {
    pub total: u32,
    /// Loans of the same item type as the item being lent.
    pub of_item_type: u32,
}

/// The loan being renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalFacts {
    pub renewals_used: u32,
    /// Holds waiting to be filled that this item could fill.
    pub holds_waiting: u32,
}

/// One reason a checkout or renewal may not go ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Block {
    CardExpired {
        expired_on: Date,
    },
    PatronBarred,
    FinesOverLimit {
        owed: Money,
        limit: Money,
    },
    TooManyLoans {
        on_loan: u32,
        limit: u32,
    },
    TooManyLoansOfItemType {
        item_type: Code,
        on_loan: u32,
        limit: u32,
    },
    NotLendableToPatronsMember {
        owning_member: MemberId,
        patron_member: MemberId,
    },
    ItemLost,
    ItemClaimedReturned,
    ItemAlreadyOnLoan,
    ItemNotForLoan,
    NoRenewalsLeft {
        renewals_used: u32,
        renewals_allowed: u32,
    },
    ItemHasHoldsWaiting {
        holds_waiting: u32,
    },
}

impl Block {
    /// The stable reason code clients match on and message catalogues key on (`block.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            Block::CardExpired { .. } => "card_expired",
            Block::PatronBarred => "patron_barred",
            Block::FinesOverLimit { .. } => "fines_over_limit",
            Block::TooManyLoans { .. } => "too_many_loans",
            Block::TooManyLoansOfItemType { .. } => "too_many_loans_of_item_type",
            Block::NotLendableToPatronsMember { .. } => "not_lendable_to_patrons_member",
            Block::ItemLost => "item_lost",
            Block::ItemClaimedReturned => "item_claimed_returned",
            Block::ItemAlreadyOnLoan => "item_already_on_loan",
            Block::ItemNotForLoan => "item_not_for_loan",
            Block::NoRenewalsLeft { .. } => "no_renewals_left",
            Block::ItemHasHoldsWaiting { .. } => "item_has_holds_waiting",
        }
    }

    /// Whether staff may override this block (see the module documentation for why).
    pub fn staff_may_override(&self) -> bool {
        !matches!(
            self,
            Block::PatronBarred | Block::ItemAlreadyOnLoan | Block::ItemClaimedReturned
        )
    }
}

/// Whether a checkout or renewal with these blocks may go ahead: no blocks, or staff override and
/// every block may be overridden.
pub fn may_proceed(blocks: &[Block], staff_override: bool) -> bool {
    blocks.is_empty() || (staff_override && blocks.iter().all(Block::staff_may_override))
}

/// The blocks that stop the patron borrowing at all, shared by checkout and renewal.
fn patron_blocks(patron: &PatronFacts, policy: &CirculationPolicy, today: Date) -> Vec<Block> {
    let mut blocks = Vec::new();
    // The card is good through its expiry date, as `Patron::is_expired_on` says.
    if patron.card_expires_on < today {
        blocks.push(Block::CardExpired {
            expired_on: patron.card_expires_on,
        });
    }
    if patron.barred {
        blocks.push(Block::PatronBarred);
    }
    // Owing exactly the limit is allowed; owing more is not. Amounts in another currency than the
    // policy's are a configuration fault, and blocking is the safe answer.
    let over_limit = patron
        .balance_owed
        .checked_cmp(policy.patron_fine_limit)
        .map_or(true, |order| order.is_gt());
    if over_limit {
        blocks.push(Block::FinesOverLimit {
            owed: patron.balance_owed,
            limit: policy.patron_fine_limit,
        });
    }
    blocks
}

/// Every reason `patron` may not borrow `item` today under `policy`, given the loans they have.
pub fn checkout_blocks(
    patron: &PatronFacts,
    item: &ItemFacts,
    policy: &CirculationPolicy,
    counts: &LoanCounts,
    today: Date,
) -> Vec<Block> {
    let mut blocks = patron_blocks(patron, policy, today);
    if counts.total >= policy.max_loans_total {
        blocks.push(Block::TooManyLoans {
            on_loan: counts.total,
            limit: policy.max_loans_total,
        });
    }
    if counts.of_item_type >= policy.max_loans_of_item_type {
        blocks.push(Block::TooManyLoansOfItemType {
            item_type: item.item_type.clone(),
            on_loan: counts.of_item_type,
            limit: policy.max_loans_of_item_type,
        });
    }
    if item.owning_member != patron.home_member && !policy.lendable_outside_owning_member {
        blocks.push(Block::NotLendableToPatronsMember {
            owning_member: item.owning_member,
            patron_member: patron.home_member,
        });
    }
    match item.status {
        ItemStatus::Available => {}
        ItemStatus::OnLoan => blocks.push(Block::ItemAlreadyOnLoan),
        ItemStatus::Lost => blocks.push(Block::ItemLost),
        ItemStatus::ClaimedReturned => blocks.push(Block::ItemClaimedReturned),
        ItemStatus::NotForLoan => blocks.push(Block::ItemNotForLoan),
    }
    blocks
}

/// Every reason `patron` may not renew a loan today under `policy`.
pub fn renewal_blocks(
    patron: &PatronFacts,
    loan: &RenewalFacts,
    policy: &CirculationPolicy,
    today: Date,
) -> Vec<Block> {
    let mut blocks = patron_blocks(patron, policy, today);
    if loan.renewals_used >= policy.renewals_allowed {
        blocks.push(Block::NoRenewalsLeft {
            renewals_used: loan.renewals_used,
            renewals_allowed: policy.renewals_allowed,
        });
    }
    if loan.holds_waiting > 0 {
        blocks.push(Block::ItemHasHoldsWaiting {
            holds_waiting: loan.holds_waiting,
        });
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circulation::policy::LoanPeriod;
    use crate::money::Currency;

    fn gbp(minor: i64) -> Money {
        Money::new(minor, Currency::GBP)
    }

    fn date(text: &str) -> Date {
        Date::parse("d", text).unwrap()
    }

    fn dvd() -> Code {
        Code::parse("item_type", "DVD").unwrap()
    }

    fn policy() -> CirculationPolicy {
        CirculationPolicy {
            loan_period: LoanPeriod::Days(14),
            renewals_allowed: 2,
            max_loans_total: 10,
            max_loans_of_item_type: 3,
            fine_per_period: gbp(20),
            grace_periods: 0,
            max_fine_per_item: gbp(500),
            charge_fines_when_closed: false,
            patron_fine_limit: gbp(1000),
            default_replacement_cost: gbp(1500),
            lost_item_processing_fee: gbp(500),
            holdable: true,
            lendable_outside_owning_member: false,
        }
    }

    fn patron() -> PatronFacts {
        PatronFacts {
            home_member: MemberId(1),
            card_expires_on: date("2027-06-30"),
            balance_owed: gbp(0),
            barred: false,
        }
    }

    fn item() -> ItemFacts {
        ItemFacts {
            owning_member: MemberId(1),
            item_type: dvd(),
            status: ItemStatus::Available,
        }
    }

    const NO_LOANS: LoanCounts = LoanCounts {
        total: 0,
        of_item_type: 0,
    };

    fn check(
        patron: PatronFacts,
        item: ItemFacts,
        policy: CirculationPolicy,
        counts: LoanCounts,
        expected: Vec<Block>,
    ) {
        let got = checkout_blocks(&patron, &item, &policy, &counts, date("2027-06-30"));
        assert_eq!(got, expected, "{patron:?} {item:?} {counts:?}");
    }

    #[test]
    fn checkout_blocks_each_reason() {
        let on_loan = |status| ItemFacts { status, ..item() };
        for (patron, item, policy, counts, expected) in [
            (patron(), item(), policy(), NO_LOANS, vec![]),
            // The card is good on its expiry date and not the day after.
            (
                PatronFacts {
                    card_expires_on: date("2027-06-30"),
                    ..patron()
                },
                item(),
                policy(),
                NO_LOANS,
                vec![],
            ),
            (
                PatronFacts {
                    card_expires_on: date("2027-06-29"),
                    ..patron()
                },
                item(),
                policy(),
                NO_LOANS,
                vec![Block::CardExpired {
                    expired_on: date("2027-06-29"),
                }],
            ),
            (
                PatronFacts {
                    barred: true,
                    ..patron()
                },
                item(),
                policy(),
                NO_LOANS,
                vec![Block::PatronBarred],
            ),
            // Owing exactly the limit is allowed; a penny more is not.
            (
                PatronFacts {
                    balance_owed: gbp(1000),
                    ..patron()
                },
                item(),
                policy(),
                NO_LOANS,
                vec![],
            ),
            (
                PatronFacts {
                    balance_owed: gbp(1001),
                    ..patron()
                },
                item(),
                policy(),
                NO_LOANS,
                vec![Block::FinesOverLimit {
                    owed: gbp(1001),
                    limit: gbp(1000),
                }],
            ),
            (
                PatronFacts {
                    balance_owed: Money::new(1, Currency::EUR),
                    ..patron()
                },
                item(),
                policy(),
                NO_LOANS,
                vec![Block::FinesOverLimit {
                    owed: Money::new(1, Currency::EUR),
                    limit: gbp(1000),
                }],
            ),
            // Nine loans of ten allowed may become ten; ten may not become eleven.
            (
                patron(),
                item(),
                policy(),
                LoanCounts {
                    total: 9,
                    of_item_type: 0,
                },
                vec![],
            ),
            (
                patron(),
                item(),
                policy(),
                LoanCounts {
                    total: 10,
                    of_item_type: 0,
                },
                vec![Block::TooManyLoans {
                    on_loan: 10,
                    limit: 10,
                }],
            ),
            (
                patron(),
                item(),
                policy(),
                LoanCounts {
                    total: 3,
                    of_item_type: 3,
                },
                vec![Block::TooManyLoansOfItemType {
                    item_type: dvd(),
                    on_loan: 3,
                    limit: 3,
                }],
            ),
            // Another member's item, under a policy that keeps it at home.
            (
                PatronFacts {
                    home_member: MemberId(2),
                    ..patron()
                },
                item(),
                policy(),
                NO_LOANS,
                vec![Block::NotLendableToPatronsMember {
                    owning_member: MemberId(1),
                    patron_member: MemberId(2),
                }],
            ),
            (
                PatronFacts {
                    home_member: MemberId(2),
                    ..patron()
                },
                item(),
                CirculationPolicy {
                    lendable_outside_owning_member: true,
                    ..policy()
                },
                NO_LOANS,
                vec![],
            ),
            (
                patron(),
                on_loan(ItemStatus::Lost),
                policy(),
                NO_LOANS,
                vec![Block::ItemLost],
            ),
            (
                patron(),
                on_loan(ItemStatus::ClaimedReturned),
                policy(),
                NO_LOANS,
                vec![Block::ItemClaimedReturned],
            ),
            (
                patron(),
                on_loan(ItemStatus::OnLoan),
                policy(),
                NO_LOANS,
                vec![Block::ItemAlreadyOnLoan],
            ),
            (
                patron(),
                on_loan(ItemStatus::NotForLoan),
                policy(),
                NO_LOANS,
                vec![Block::ItemNotForLoan],
            ),
            // Every block at once, in a stable order.
            (
                PatronFacts {
                    home_member: MemberId(2),
                    card_expires_on: date("2020-01-01"),
                    balance_owed: gbp(5000),
                    barred: true,
                },
                on_loan(ItemStatus::Lost),
                policy(),
                LoanCounts {
                    total: 12,
                    of_item_type: 4,
                },
                vec![
                    Block::CardExpired {
                        expired_on: date("2020-01-01"),
                    },
                    Block::PatronBarred,
                    Block::FinesOverLimit {
                        owed: gbp(5000),
                        limit: gbp(1000),
                    },
                    Block::TooManyLoans {
                        on_loan: 12,
                        limit: 10,
                    },
                    Block::TooManyLoansOfItemType {
                        item_type: dvd(),
                        on_loan: 4,
                        limit: 3,
                    },
                    Block::NotLendableToPatronsMember {
                        owning_member: MemberId(1),
                        patron_member: MemberId(2),
                    },
                    Block::ItemLost,
                ],
            ),
        ] {
            check(patron, item, policy, counts, expected);
        }
    }

    fn check_renewal(patron: PatronFacts, loan: RenewalFacts, expected: Vec<Block>) {
        let got = renewal_blocks(&patron, &loan, &policy(), date("2027-06-30"));
        assert_eq!(got, expected, "{patron:?} {loan:?}");
    }

    #[test]
    fn renewal_blocks_each_reason() {
        let fresh = RenewalFacts {
            renewals_used: 0,
            holds_waiting: 0,
        };
        for (patron, loan, expected) in [
            (patron(), fresh, vec![]),
            (
                patron(),
                RenewalFacts {
                    renewals_used: 1,
                    ..fresh
                },
                vec![],
            ),
            (
                patron(),
                RenewalFacts {
                    renewals_used: 2,
                    ..fresh
                },
                vec![Block::NoRenewalsLeft {
                    renewals_used: 2,
                    renewals_allowed: 2,
                }],
            ),
            (
                patron(),
                RenewalFacts {
                    holds_waiting: 1,
                    ..fresh
                },
                vec![Block::ItemHasHoldsWaiting { holds_waiting: 1 }],
            ),
            (
                PatronFacts {
                    barred: true,
                    balance_owed: gbp(2000),
                    ..patron()
                },
                fresh,
                vec![
                    Block::PatronBarred,
                    Block::FinesOverLimit {
                        owed: gbp(2000),
                        limit: gbp(1000),
                    },
                ],
            ),
            (
                PatronFacts {
                    card_expires_on: date("2027-01-01"),
                    ..patron()
                },
                fresh,
                vec![Block::CardExpired {
                    expired_on: date("2027-01-01"),
                }],
            ),
        ] {
            check_renewal(patron, loan, expected);
        }
    }

    #[test]
    fn overrides_and_codes() {
        let on_loan = Block::ItemAlreadyOnLoan;
        let expired = Block::CardExpired {
            expired_on: date("2020-01-01"),
        };
        for (block, code, overridable) in [
            (expired.clone(), "card_expired", true),
            (Block::PatronBarred, "patron_barred", false),
            (
                Block::FinesOverLimit {
                    owed: gbp(1),
                    limit: gbp(0),
                },
                "fines_over_limit",
                true,
            ),
            (
                Block::TooManyLoans {
                    on_loan: 1,
                    limit: 1,
                },
                "too_many_loans",
                true,
            ),
            (
                Block::TooManyLoansOfItemType {
                    item_type: dvd(),
                    on_loan: 1,
                    limit: 1,
                },
                "too_many_loans_of_item_type",
                true,
            ),
            (
                Block::NotLendableToPatronsMember {
                    owning_member: MemberId(1),
                    patron_member: MemberId(2),
                },
                "not_lendable_to_patrons_member",
                true,
            ),
            (Block::ItemLost, "item_lost", true),
            (Block::ItemClaimedReturned, "item_claimed_returned", false),
            (on_loan.clone(), "item_already_on_loan", false),
            (Block::ItemNotForLoan, "item_not_for_loan", true),
            (
                Block::NoRenewalsLeft {
                    renewals_used: 2,
                    renewals_allowed: 2,
                },
                "no_renewals_left",
                true,
            ),
            (
                Block::ItemHasHoldsWaiting { holds_waiting: 1 },
                "item_has_holds_waiting",
                true,
            ),
        ] {
            assert_eq!(block.code(), code);
            assert_eq!(block.staff_may_override(), overridable, "{code}");
            // The serialised code is the same string clients match on.
            assert_eq!(serde_json::to_value(&block).unwrap()["code"], code);
        }
        assert!(may_proceed(&[], false));
        assert!(!may_proceed(std::slice::from_ref(&expired), false));
        assert!(may_proceed(std::slice::from_ref(&expired), true));
        assert!(!may_proceed(&[expired, on_loan], true));
    }
}
