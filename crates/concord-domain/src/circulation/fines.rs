//! Overdue fines and lost-item charges, computed from the policy, the due time and the return time.
//!
//! Fines are counted per day for day loans and per hour for hourly loans, as the policy's
//! `fine_per_period` is. Days are local dates after the due date up to and including the day of
//! return; hours are whole or started hours after the due time. Unless the policy says
//! `charge_fines_when_closed`, a day is counted only if the branch is open that day, and an hour
//! only if it starts while the branch is open: most libraries do not fine patrons for days they
//! could not have returned the item.
//!
//! The grace period, counted in the same chargeable days or hours, forgives a loan that is only a
//! little late; past it, every chargeable day or hour is fined from the due date, as Koha and
//! Evergreen do. The total never exceeds `max_fine_per_item`.

use serde::{Deserialize, Serialize};

use crate::circulation::due::BranchCalendar;
use crate::circulation::policy::{CirculationPolicy, LoanPeriod};
use crate::money::{Money, MoneyError};

/// Counting stops after this many calendar days (about a century) or the matching number of
/// hours, so a wild return time cannot make the count run for ever; the fine is capped long before.
pub const MAX_DAYS_COUNTED: i64 = 36_600;

/// The fine for one overdue loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueFine {
    /// Chargeable days or hours counted. Counting stops once the fine reaches its cap, so for a
    /// capped fine this is at least the number needed to reach the cap.
    pub periods_counted: i64,
    pub amount: Money,
    /// The loan was late, but not by more than the grace period.
    pub forgiven_by_grace: bool,
    /// The fine was cut to `max_fine_per_item`.
    pub capped: bool,
}

/// The overdue fine for a loan due at `due_at` and returned (or still out) at `returned_at`, both
/// Unix seconds, at a branch with `calendar`.
pub fn overdue_fine(
    due_at: i64,
    returned_at: i64,
    policy: &CirculationPolicy,
    calendar: &BranchCalendar,
) -> Result<OverdueFine, MoneyError> {
    let rate = policy.fine_per_period;
    let cap = policy.max_fine_per_item;
    // Refuse a policy mixing currencies before counting anything.
    rate.checked_cmp(cap)?;
    let grace = i64::from(policy.grace_periods);
    // Enough periods to pass the grace period and reach the cap: counting further cannot change
    // the amount.
    let enough = if rate.is_positive() {
        grace
            .saturating_add(cap.minor_units / rate.minor_units)
            .saturating_add(1)
    } else {
        grace.saturating_add(1)
    };
    let chargeable = |moment_open: bool| policy.charge_fines_when_closed || moment_open;
    let periods_counted = if returned_at <= due_at {
        0
    } else {
        match policy.loan_period {
            LoanPeriod::Days(_) => {
                let due_day = calendar.local_date(due_at);
                let return_day = calendar.local_date(returned_at);
                let days_late = i64::from(return_day.days_since_epoch())
                    - i64::from(due_day.days_since_epoch());
                let mut count = 0_i64;
                for offset in 1..=days_late.min(MAX_DAYS_COUNTED) {
                    let Ok(offset) = i32::try_from(offset) else {
                        break;
                    };
                    if chargeable(calendar.is_open_on(due_day.add_days(offset))) {
                        count += 1;
                        if count >= enough {
                            break;
                        }
                    }
                }
                count
            }
            LoanPeriod::Hours(_) => {
                let hours_started = (returned_at.saturating_sub(due_at) - 1) / 3_600 + 1;
                let mut count = 0_i64;
                for hour in 0..hours_started.min(MAX_DAYS_COUNTED * 24) {
                    if chargeable(calendar.is_open_at(due_at.saturating_add(hour * 3_600))) {
                        count += 1;
                        if count >= enough {
                            break;
                        }
                    }
                }
                count
            }
        }
    };
    let zero = Money::zero(rate.currency);
    if periods_counted <= grace {
        return Ok(OverdueFine {
            periods_counted,
            amount: zero,
            forgiven_by_grace: periods_counted > 0,
            capped: false,
        });
    }
    let uncapped = match rate.checked_mul(periods_counted) {
        Ok(product) if product.checked_cmp(cap)?.is_le() => Some(product),
        // An overflowing product is certainly above the cap.
        _ => None,
    };
    Ok(OverdueFine {
        periods_counted,
        amount: uncapped.unwrap_or(cap),
        forgiven_by_grace: false,
        capped: uncapped.is_none(),
    })
}

/// What a patron is charged for a lost item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostItemCharge {
    pub replacement_cost: Money,
    pub processing_fee: Money,
    pub total: Money,
}

/// The charge for a lost item: its own price if it has one, else the policy's default replacement
/// cost, plus the processing fee. A price of zero counts as no price, because catalogues record
/// unknown prices as 0.00.
pub fn lost_item_charge(
    item_price: Option<Money>,
    policy: &CirculationPolicy,
) -> Result<LostItemCharge, MoneyError> {
    let replacement_cost = item_price
        .filter(|price| price.is_positive())
        .unwrap_or(policy.default_replacement_cost);
    let processing_fee = policy.lost_item_processing_fee;
    Ok(LostItemCharge {
        replacement_cost,
        processing_fee,
        total: replacement_cost.checked_add(processing_fee)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circulation::due::tests::{at, shire_central};
    use crate::money::Currency;

    fn gbp(minor: i64) -> Money {
        Money::new(minor, Currency::GBP)
    }

    fn policy() -> CirculationPolicy {
        CirculationPolicy {
            loan_period: LoanPeriod::Days(14),
            renewals_allowed: 2,
            max_loans_total: 30,
            max_loans_of_item_type: 10,
            fine_per_period: gbp(20),
            grace_periods: 0,
            max_fine_per_item: gbp(500),
            charge_fines_when_closed: false,
            patron_fine_limit: gbp(1000),
            default_replacement_cost: gbp(1500),
            lost_item_processing_fee: gbp(500),
            holdable: true,
            lendable_outside_owning_member: true,
        }
    }

    /// How a case changes the default day-loan policy.
    #[derive(Clone, Copy)]
    struct Case {
        hourly: bool,
        grace: u32,
        when_closed: bool,
        rate: i64,
        cap: i64,
    }

    const DAILY: Case = Case {
        hourly: false,
        grace: 0,
        when_closed: false,
        rate: 20,
        cap: 500,
    };
    const HOURLY: Case = Case {
        hourly: true,
        grace: 0,
        when_closed: false,
        rate: 50,
        cap: 1000,
    };

    /// `expected` is (periods counted, amount in pence, forgiven by grace, capped).
    fn check(case: Case, due: &str, returned: &str, expected: (i64, i64, bool, bool)) {
        let calendar = shire_central(0);
        let policy = CirculationPolicy {
            loan_period: if case.hourly {
                LoanPeriod::Hours(4)
            } else {
                LoanPeriod::Days(14)
            },
            grace_periods: case.grace,
            charge_fines_when_closed: case.when_closed,
            fine_per_period: gbp(case.rate),
            max_fine_per_item: gbp(case.cap),
            ..policy()
        };
        let fine = overdue_fine(
            at(&calendar, due),
            at(&calendar, returned),
            &policy,
            &calendar,
        )
        .unwrap();
        let (periods, amount, forgiven, capped) = expected;
        assert_eq!(
            fine,
            OverdueFine {
                periods_counted: periods,
                amount: gbp(amount),
                forgiven_by_grace: forgiven,
                capped,
            },
            "due {due}, returned {returned}"
        );
    }

    #[test]
    fn daily_fines() {
        let grace_1 = Case { grace: 1, ..DAILY };
        let grace_3 = Case { grace: 3, ..DAILY };
        let closed_too = Case {
            when_closed: true,
            ..DAILY
        };
        // 2026-12-07 is a Monday; Sunday is closed, as are 25, 26 December and 1 January.
        for (case, due, returned, expected) in [
            (
                DAILY,
                "2026-12-07 23:59:59",
                "2026-12-07 23:59:59",
                (0, 0, false, false),
            ),
            (
                DAILY,
                "2026-12-07 23:59:59",
                "2026-12-03 10:00",
                (0, 0, false, false),
            ),
            (
                DAILY,
                "2026-12-07 23:59:59",
                "2026-12-08 00:00",
                (1, 20, false, false),
            ),
            (
                DAILY,
                "2026-12-07 23:59:59",
                "2026-12-10 16:00",
                (3, 60, false, false),
            ),
            // Grace: forgiven while within it, fined from the due date once past it.
            (
                grace_1,
                "2026-12-07 23:59:59",
                "2026-12-08 10:00",
                (1, 0, true, false),
            ),
            (
                grace_1,
                "2026-12-07 23:59:59",
                "2026-12-09 10:00",
                (2, 40, false, false),
            ),
            (
                grace_3,
                "2026-12-07 23:59:59",
                "2026-12-10 10:00",
                (3, 0, true, false),
            ),
            // Due Saturday, back Monday: the closed Sunday is not charged unless configured.
            (
                DAILY,
                "2026-12-12 23:59:59",
                "2026-12-14 10:00",
                (1, 20, false, false),
            ),
            (
                closed_too,
                "2026-12-12 23:59:59",
                "2026-12-14 10:00",
                (2, 40, false, false),
            ),
            // Grace counts chargeable days too: Sunday does not use it up.
            (
                grace_1,
                "2026-12-12 23:59:59",
                "2026-12-14 10:00",
                (1, 0, true, false),
            ),
            // Christmas: 25, 26 (closed dates) and 27 (Sunday) are free; only the 28th counts.
            (
                DAILY,
                "2026-12-24 23:59:59",
                "2026-12-28 09:30",
                (1, 20, false, false),
            ),
            (
                closed_too,
                "2026-12-24 23:59:59",
                "2026-12-28 09:30",
                (4, 80, false, false),
            ),
            // Across the new year: 31 Dec, 2 Jan and 4 Jan count; 1 Jan and Sunday 3 Jan do not.
            (
                DAILY,
                "2026-12-30 23:59:59",
                "2027-01-04 12:00",
                (3, 60, false, false),
            ),
            // Capped at 5.00: counting stops once the cap is reached.
            (
                DAILY,
                "2026-12-07 23:59:59",
                "2027-03-01 12:00",
                (26, 500, false, true),
            ),
            (
                DAILY,
                "2026-12-07 23:59:59",
                "2126-03-01 12:00",
                (26, 500, false, true),
            ),
            // Exactly at the cap is not cut.
            (
                Case { cap: 60, ..DAILY },
                "2026-12-07 23:59:59",
                "2026-12-10 16:00",
                (3, 60, false, false),
            ),
            // A zero rate never fines, and does not count a century of days to say so.
            (
                Case { rate: 0, ..DAILY },
                "2026-12-07 23:59:59",
                "2126-12-10 16:00",
                (1, 0, false, false),
            ),
            // A rate so large that the product overflows is capped, not a panic.
            (
                Case {
                    rate: i64::MAX / 2,
                    cap: i64::MAX,
                    ..DAILY
                },
                "2026-12-07 23:59:59",
                "2026-12-10 16:00",
                (3, i64::MAX, false, true),
            ),
        ] {
            check(case, due, returned, expected);
        }
    }

    #[test]
    fn hourly_fines() {
        let grace_1 = Case { grace: 1, ..HOURLY };
        let closed_too = Case {
            when_closed: true,
            ..HOURLY
        };
        // Monday 09:00–12:30 and 13:30–17:00.
        for (case, due, returned, expected) in [
            (
                HOURLY,
                "2026-12-07 11:00",
                "2026-12-07 11:00",
                (0, 0, false, false),
            ),
            (
                HOURLY,
                "2026-12-07 11:00",
                "2026-12-07 11:01",
                (1, 50, false, false),
            ),
            (
                HOURLY,
                "2026-12-07 11:00",
                "2026-12-07 12:00",
                (1, 50, false, false),
            ),
            (
                HOURLY,
                "2026-12-07 11:00",
                "2026-12-07 12:00:01",
                (2, 100, false, false),
            ),
            // The hour starting 13:00 falls in the lunch gap.
            (
                HOURLY,
                "2026-12-07 11:00",
                "2026-12-07 14:10",
                (3, 150, false, false),
            ),
            (
                closed_too,
                "2026-12-07 11:00",
                "2026-12-07 14:10",
                (4, 200, false, false),
            ),
            // Overnight: only 16:00 on Monday and 09:00 on Tuesday are open hours.
            (
                HOURLY,
                "2026-12-07 16:00",
                "2026-12-08 09:30",
                (2, 100, false, false),
            ),
            // Due at closing, returned through the book drop after hours: nothing is charged.
            (
                HOURLY,
                "2026-12-07 17:00",
                "2026-12-07 17:20",
                (0, 0, false, false),
            ),
            (
                closed_too,
                "2026-12-07 17:00",
                "2026-12-07 17:20",
                (1, 50, false, false),
            ),
            (
                grace_1,
                "2026-12-07 10:00",
                "2026-12-07 10:45",
                (1, 0, true, false),
            ),
            (
                grace_1,
                "2026-12-07 10:00",
                "2026-12-07 11:45",
                (2, 100, false, false),
            ),
            // A week late: capped at 10.00.
            (
                HOURLY,
                "2026-12-07 09:00",
                "2026-12-14 09:00",
                (21, 1000, false, true),
            ),
        ] {
            check(case, due, returned, expected);
        }
    }

    #[test]
    fn a_policy_mixing_currencies_is_an_error() {
        let calendar = shire_central(0);
        let mixed = CirculationPolicy {
            max_fine_per_item: Money::new(500, Currency::EUR),
            ..policy()
        };
        assert!(matches!(
            overdue_fine(0, 86_400 * 3, &mixed, &calendar),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn lost_item_charges() {
        for (price, expected) in [
            (Some(gbp(2500)), Ok((2500, 3000))),
            (None, Ok((1500, 2000))),
            (Some(gbp(0)), Ok((1500, 2000))),
            (
                Some(Money::new(2500, Currency::EUR)),
                Err(MoneyError::CurrencyMismatch {
                    left: Currency::EUR.code,
                    right: Currency::GBP.code,
                }),
            ),
        ] {
            let got = lost_item_charge(price, &policy());
            let want = expected.map(|(replacement, total)| LostItemCharge {
                replacement_cost: gbp(replacement),
                processing_fee: gbp(500),
                total: gbp(total),
            });
            assert_eq!(got, want, "{price:?}");
        }
    }
}
