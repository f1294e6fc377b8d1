//! A patron's fines and fees ledger: charges, and the payments, waivers and refunds against them.
//!
//! The ledger is append-only: nothing is edited, every change is a new entry with an amount, a
//! reason code and a time, so the history explains every balance. Each payment, waiver and refund
//! names the charge it applies to, which gives a balance per charge as well as per patron.
//!
//! - A **payment** reduces what is owed on a charge; it may not exceed what is outstanding.
//! - A **waiver** forgives (part of) a charge; it may not exceed what is outstanding either.
//! - A **refund** gives back money paid against a charge, for example when a lost item paid for
//!   is found. It may not exceed what was paid and not yet refunded. It does not change what is
//!   owed: the refunded part of the charge is treated as cancelled, so a charge that was paid and
//!   then refunded is settled, not owed again.
//!
//! Amounts in entries are always positive; the kind of entry gives the direction.

use serde::{Deserialize, Serialize};

use crate::codes::Code;
use crate::ids::LedgerEntryId;
use crate::money::{Currency, CurrencyCode, Money};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryKind {
    Charge,
    Payment { charge: LedgerEntryId },
    Waiver { charge: LedgerEntryId },
    Refund { charge: LedgerEntryId },
}

/// One entry of the ledger. `reason` is a code staff pick (`OVERDUE`, `LOST`, `GOODWILL`, `CASH`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: LedgerEntryId,
    /// Unix seconds.
    pub at: i64,
    pub kind: EntryKind,
    pub amount: Money,
    pub reason: Code,
}

/// Where one charge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeBalance {
    pub charge: LedgerEntryId,
    pub charged_at: i64,
    pub charged: Money,
    pub paid: Money,
    pub waived: Money,
    pub refunded: Money,
    /// `charged - paid - waived`: what the patron still owes on this charge.
    pub outstanding: Money,
}

/// Part of a payment applied to one charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAllocation {
    pub charge: LedgerEntryId,
    pub amount: Money,
}

/// Why an entry or a payment was refused. Each is shown to staff as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum LedgerRefusal {
    #[error("the amount must be more than zero, not {amount}")]
    NotPositive { amount: Money },
    #[error("the ledger is kept in {expected}, not {got}")]
    WrongCurrency {
        expected: CurrencyCode,
        got: CurrencyCode,
    },
    #[error("entry {id} is already in the ledger")]
    DuplicateEntry { id: LedgerEntryId },
    #[error("there is no charge {charge} in this ledger")]
    UnknownCharge { charge: LedgerEntryId },
    #[error("a payment of {amount} is more than the {outstanding} outstanding on charge {charge}")]
    OverPayment {
        charge: LedgerEntryId,
        amount: Money,
        outstanding: Money,
    },
    #[error("a waiver of {amount} is more than the {outstanding} outstanding on charge {charge}")]
    OverWaiver {
        charge: LedgerEntryId,
        amount: Money,
        outstanding: Money,
    },
    #[error(
        "a refund of {amount} is more than the {refundable} paid and not refunded on charge {charge}"
    )]
    OverRefund {
        charge: LedgerEntryId,
        amount: Money,
        refundable: Money,
    },
    #[error("a payment of {amount} is more than the {balance} the patron owes")]
    PaymentExceedsBalance { amount: Money, balance: Money },
    #[error("the amounts are too large")]
    Overflow,
}

/// One patron's ledger, checked entry by entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    currency: Currency,
    entries: Vec<LedgerEntry>,
    /// Charges in the order they were charged (time, then id): oldest first.
    charges: Vec<ChargeBalance>,
    balance: Money,
}

impl Ledger {
    pub fn new(currency: Currency) -> Ledger {
        Ledger {
            currency,
            entries: Vec::new(),
            charges: Vec::new(),
            balance: Money::zero(currency),
        }
    }

    /// Rebuilds a ledger from stored entries, in the order they were recorded, checking each.
    pub fn from_entries(
        currency: Currency,
        entries: impl IntoIterator<Item = LedgerEntry>,
    ) -> Result<Ledger, LedgerRefusal> {
        let mut ledger = Ledger::new(currency);
        for entry in entries {
            ledger.record(entry)?;
        }
        Ok(ledger)
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }

    /// What the patron owes in all.
    pub fn balance(&self) -> Money {
        self.balance
    }

    /// Every charge, oldest first.
    pub fn charge_balances(&self) -> &[ChargeBalance] {
        &self.charges
    }

    pub fn charge_balance(&self, charge: LedgerEntryId) -> Option<&ChargeBalance> {
        self.charges.iter().find(|c| c.charge == charge)
    }

    /// Adds an entry, or says why it cannot be added and leaves the ledger unchanged.
    pub fn record(&mut self, entry: LedgerEntry) -> Result<(), LedgerRefusal> {
        if entry.amount.currency != self.currency {
            return Err(LedgerRefusal::WrongCurrency {
                expected: self.currency.code,
                got: entry.amount.currency.code,
            });
        }
        if !entry.amount.is_positive() {
            return Err(LedgerRefusal::NotPositive {
                amount: entry.amount,
            });
        }
        if self.entries.iter().any(|e| e.id == entry.id) {
            return Err(LedgerRefusal::DuplicateEntry { id: entry.id });
        }
        let amount = entry.amount;
        let overflow = |_| LedgerRefusal::Overflow;
        match entry.kind {
            EntryKind::Charge => {
                let balance = self.balance.checked_add(amount).map_err(overflow)?;
                let zero = Money::zero(self.currency);
                let charge = ChargeBalance {
                    charge: entry.id,
                    charged_at: entry.at,
                    charged: amount,
                    paid: zero,
                    waived: zero,
                    refunded: zero,
                    outstanding: amount,
                };
                let position = self
                    .charges
                    .partition_point(|c| (c.charged_at, c.charge) < (entry.at, entry.id));
                self.charges.insert(position, charge);
                self.balance = balance;
            }
            EntryKind::Payment { charge: id } | EntryKind::Waiver { charge: id } => {
                let balance = self.balance;
                let charge = self.charge_mut(id)?;
                if amount.minor_units > charge.outstanding.minor_units {
                    let outstanding = charge.outstanding;
                    return Err(if matches!(entry.kind, EntryKind::Payment { .. }) {
                        LedgerRefusal::OverPayment {
                            charge: id,
                            amount,
                            outstanding,
                        }
                    } else {
                        LedgerRefusal::OverWaiver {
                            charge: id,
                            amount,
                            outstanding,
                        }
                    });
                }
                let outstanding = charge.outstanding.checked_sub(amount).map_err(overflow)?;
                let new_balance = balance.checked_sub(amount).map_err(overflow)?;
                if matches!(entry.kind, EntryKind::Payment { .. }) {
                    charge.paid = charge.paid.checked_add(amount).map_err(overflow)?;
                } else {
                    charge.waived = charge.waived.checked_add(amount).map_err(overflow)?;
                }
                charge.outstanding = outstanding;
                self.balance = new_balance;
            }
            EntryKind::Refund { charge: id } => {
                let charge = self.charge_mut(id)?;
                let refundable = charge.paid.checked_sub(charge.refunded).map_err(overflow)?;
                if amount.minor_units > refundable.minor_units {
                    return Err(LedgerRefusal::OverRefund {
                        charge: id,
                        amount,
                        refundable,
                    });
                }
                charge.refunded = charge.refunded.checked_add(amount).map_err(overflow)?;
            }
        }
        self.entries.push(entry);
        Ok(())
    }

    fn charge_mut(&mut self, charge: LedgerEntryId) -> Result<&mut ChargeBalance, LedgerRefusal> {
        self.charges
            .iter_mut()
            .find(|c| c.charge == charge)
            .ok_or(LedgerRefusal::UnknownCharge { charge })
    }

    /// Splits a payment across the outstanding charges, oldest first. The caller records one
    /// payment entry per allocation, in one transaction. A payment larger than the balance is
    /// refused: Concord does not keep credit on account.
    pub fn allocate_payment(&self, amount: Money) -> Result<Vec<PaymentAllocation>, LedgerRefusal> {
        if amount.currency != self.currency {
            return Err(LedgerRefusal::WrongCurrency {
                expected: self.currency.code,
                got: amount.currency.code,
            });
        }
        if !amount.is_positive() {
            return Err(LedgerRefusal::NotPositive { amount });
        }
        if amount.minor_units > self.balance.minor_units {
            return Err(LedgerRefusal::PaymentExceedsBalance {
                amount,
                balance: self.balance,
            });
        }
        let mut remaining = amount.minor_units;
        let mut allocations = Vec::new();
        for charge in &self.charges {
            if remaining == 0 {
                break;
            }
            let applied = remaining.min(charge.outstanding.minor_units);
            if applied > 0 {
                allocations.push(PaymentAllocation {
                    charge: charge.charge,
                    amount: Money::new(applied, self.currency),
                });
                remaining -= applied;
            }
        }
        Ok(allocations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbp(minor: i64) -> Money {
        Money::new(minor, Currency::GBP)
    }

    fn entry(id: i64, at: i64, kind: EntryKind, minor: i64) -> LedgerEntry {
        LedgerEntry {
            id: LedgerEntryId(id),
            at,
            kind,
            amount: gbp(minor),
            reason: Code::parse("reason", "TEST").unwrap(),
        }
    }

    fn charge(id: i64, at: i64, minor: i64) -> LedgerEntry {
        entry(id, at, EntryKind::Charge, minor)
    }
    fn pay(id: i64, on: i64, minor: i64) -> LedgerEntry {
        entry(
            id,
            100,
            EntryKind::Payment {
                charge: LedgerEntryId(on),
            },
            minor,
        )
    }
    fn waive(id: i64, on: i64, minor: i64) -> LedgerEntry {
        entry(
            id,
            100,
            EntryKind::Waiver {
                charge: LedgerEntryId(on),
            },
            minor,
        )
    }
    fn refund(id: i64, on: i64, minor: i64) -> LedgerEntry {
        entry(
            id,
            100,
            EntryKind::Refund {
                charge: LedgerEntryId(on),
            },
            minor,
        )
    }

    /// A charge as (id, paid, waived, refunded, outstanding) in pence.
    type ChargeRow = (i64, i64, i64, i64, i64);

    /// Replays `entries`; expects the patron's balance and each charge's
    /// (id, paid, waived, refunded, outstanding), oldest first — or a refusal.
    fn check(entries: Vec<LedgerEntry>, expected: Result<(i64, Vec<ChargeRow>), LedgerRefusal>) {
        let got = Ledger::from_entries(Currency::GBP, entries.clone()).map(|ledger| {
            let charges = ledger
                .charge_balances()
                .iter()
                .map(|c| {
                    (
                        c.charge.0,
                        c.paid.minor_units,
                        c.waived.minor_units,
                        c.refunded.minor_units,
                        c.outstanding.minor_units,
                    )
                })
                .collect();
            (ledger.balance().minor_units, charges)
        });
        assert_eq!(got, expected, "{entries:?}");
    }

    #[test]
    fn balances_per_charge_and_per_patron() {
        let id = LedgerEntryId;
        for (entries, expected) in [
            (vec![], Ok((0, vec![]))),
            (vec![charge(1, 10, 500)], Ok((500, vec![(1, 0, 0, 0, 500)]))),
            // Partial payment.
            (
                vec![charge(1, 10, 500), pay(2, 1, 200)],
                Ok((300, vec![(1, 200, 0, 0, 300)])),
            ),
            // Paid in full in two parts.
            (
                vec![charge(1, 10, 500), pay(2, 1, 200), pay(3, 1, 300)],
                Ok((0, vec![(1, 500, 0, 0, 0)])),
            ),
            // Part paid, the rest waived.
            (
                vec![charge(1, 10, 500), pay(2, 1, 200), waive(3, 1, 300)],
                Ok((0, vec![(1, 200, 300, 0, 0)])),
            ),
            // Lost item paid for, then found: refunded, and not owed again.
            (
                vec![charge(1, 10, 2000), pay(2, 1, 2000), refund(3, 1, 2000)],
                Ok((0, vec![(1, 2000, 0, 2000, 0)])),
            ),
            // Refund of part of a part payment.
            (
                vec![charge(1, 10, 2000), pay(2, 1, 500), refund(3, 1, 200)],
                Ok((1500, vec![(1, 500, 0, 200, 1500)])),
            ),
            // Charges are kept oldest first whatever order they were recorded in.
            (
                vec![charge(5, 30, 100), charge(4, 10, 200), charge(3, 10, 300)],
                Ok((
                    600,
                    vec![(3, 0, 0, 0, 300), (4, 0, 0, 0, 200), (5, 0, 0, 0, 100)],
                )),
            ),
            // Refusals.
            (
                vec![charge(1, 10, 500), pay(2, 1, 501)],
                Err(LedgerRefusal::OverPayment {
                    charge: id(1),
                    amount: gbp(501),
                    outstanding: gbp(500),
                }),
            ),
            (
                vec![charge(1, 10, 500), pay(2, 1, 400), waive(3, 1, 101)],
                Err(LedgerRefusal::OverWaiver {
                    charge: id(1),
                    amount: gbp(101),
                    outstanding: gbp(100),
                }),
            ),
            (
                vec![
                    charge(1, 10, 500),
                    pay(2, 1, 300),
                    refund(3, 1, 200),
                    refund(4, 1, 101),
                ],
                Err(LedgerRefusal::OverRefund {
                    charge: id(1),
                    amount: gbp(101),
                    refundable: gbp(100),
                }),
            ),
            // Waived money was never paid, so it cannot be refunded.
            (
                vec![charge(1, 10, 500), waive(2, 1, 500), refund(3, 1, 1)],
                Err(LedgerRefusal::OverRefund {
                    charge: id(1),
                    amount: gbp(1),
                    refundable: gbp(0),
                }),
            ),
            (
                vec![charge(1, 10, 500), pay(2, 9, 100)],
                Err(LedgerRefusal::UnknownCharge { charge: id(9) }),
            ),
            // A payment cannot be the target of a payment.
            (
                vec![charge(1, 10, 500), pay(2, 1, 100), pay(3, 2, 100)],
                Err(LedgerRefusal::UnknownCharge { charge: id(2) }),
            ),
            (
                vec![charge(1, 10, 500), charge(1, 11, 100)],
                Err(LedgerRefusal::DuplicateEntry { id: id(1) }),
            ),
            (
                vec![charge(1, 10, 0)],
                Err(LedgerRefusal::NotPositive { amount: gbp(0) }),
            ),
            (
                vec![charge(1, 10, 500), pay(2, 1, -100)],
                Err(LedgerRefusal::NotPositive { amount: gbp(-100) }),
            ),
            (
                vec![charge(1, 10, i64::MAX), charge(2, 11, 1)],
                Err(LedgerRefusal::Overflow),
            ),
        ] {
            check(entries, expected);
        }
    }

    #[test]
    fn a_refused_entry_leaves_the_ledger_unchanged() {
        let mut ledger = Ledger::from_entries(Currency::GBP, [charge(1, 10, 500)]).unwrap();
        let before = ledger.clone();
        assert!(ledger.record(pay(2, 1, 600)).is_err());
        let mut euros = pay(3, 1, 100);
        euros.amount = Money::new(100, Currency::EUR);
        assert_eq!(
            ledger.record(euros),
            Err(LedgerRefusal::WrongCurrency {
                expected: Currency::GBP.code,
                got: Currency::EUR.code
            })
        );
        assert_eq!(ledger, before);
        assert_eq!(ledger.entries().len(), 1);
    }

    /// Allocates `pay_minor` over the ledger `entries`; expects (charge, amount) pairs or a refusal.
    fn check_allocation(
        entries: Vec<LedgerEntry>,
        pay_minor: i64,
        expected: Result<Vec<(i64, i64)>, LedgerRefusal>,
    ) {
        let ledger = Ledger::from_entries(Currency::GBP, entries).unwrap();
        let got = ledger.allocate_payment(gbp(pay_minor)).map(|allocations| {
            allocations
                .iter()
                .map(|a| (a.charge.0, a.amount.minor_units))
                .collect::<Vec<_>>()
        });
        assert_eq!(got, expected, "paying {pay_minor}");
        // Recording the allocations must be accepted and lower the balance by the payment.
        if let Ok(allocations) = ledger.allocate_payment(gbp(pay_minor)) {
            let mut after = ledger.clone();
            for (n, a) in allocations.iter().enumerate() {
                after
                    .record(pay(1000 + n as i64, a.charge.0, a.amount.minor_units))
                    .unwrap();
            }
            assert_eq!(
                after.balance().minor_units,
                ledger.balance().minor_units - pay_minor
            );
        }
    }

    #[test]
    fn payments_are_applied_oldest_charge_first() {
        let three = || vec![charge(7, 30, 300), charge(5, 10, 100), charge(6, 20, 200)];
        for (entries, amount, expected) in [
            (three(), 50, Ok(vec![(5, 50)])),
            (three(), 100, Ok(vec![(5, 100)])),
            (three(), 250, Ok(vec![(5, 100), (6, 150)])),
            (three(), 600, Ok(vec![(5, 100), (6, 200), (7, 300)])),
            // Settled charges are skipped.
            (
                vec![charge(5, 10, 100), pay(8, 5, 100), charge(6, 20, 200)],
                150,
                Ok(vec![(6, 150)]),
            ),
            // Partly paid charges take only what is outstanding.
            (
                vec![charge(5, 10, 100), waive(8, 5, 60), charge(6, 20, 200)],
                100,
                Ok(vec![(5, 40), (6, 60)]),
            ),
            (
                three(),
                601,
                Err(LedgerRefusal::PaymentExceedsBalance {
                    amount: gbp(601),
                    balance: gbp(600),
                }),
            ),
            (
                vec![],
                1,
                Err(LedgerRefusal::PaymentExceedsBalance {
                    amount: gbp(1),
                    balance: gbp(0),
                }),
            ),
            (
                three(),
                0,
                Err(LedgerRefusal::NotPositive { amount: gbp(0) }),
            ),
        ] {
            check_allocation(entries, amount, expected);
        }
    }

    #[test]
    fn refusals_read_well_and_serialise_with_a_code() {
        let refusal = LedgerRefusal::OverPayment {
            charge: LedgerEntryId(1),
            amount: gbp(501),
            outstanding: gbp(500),
        };
        assert_eq!(
            refusal.to_string(),
            "a payment of 5.01 GBP is more than the 5.00 GBP outstanding on charge 1"
        );
        assert_eq!(
            serde_json::to_value(refusal).unwrap()["code"],
            "over_payment"
        );
    }
}
