//! Due dates: when a loan made now at a branch must come back, given the branch's opening hours.
//!
//! **Day loans** are due at the end of the due day, 23:59:59 local time, so a patron can return
//! the item any time the branch is open that day. If the due day is a closed weekday or a closed
//! date, the loan is due at the end of the next open day instead: nobody should be late because
//! the branch was shut.
//!
//! **Hourly loans** (laptops, study rooms, reserve items) must come back while the branch is open,
//! as with Koha's "consider library hours" set to closing time and Evergreen's hourly loans: if
//! checkout time plus the loan period falls inside an opening period the loan is due then;
//! otherwise (after closing, in a lunch gap, on a closed day) it is due at the last closing time
//! before that moment. If the branch has not closed at all between checkout and that moment (an
//! item lent after hours or on a closed day), the loan is due when the next opening period closes.
//!
//! Searches for an open day look at most [`MAX_DAYS_SEARCHED`] days ahead or back. A branch that is
//! closed for longer than that gets a [`DueDateError::NoOpenDay`] rather than a loop that never
//! ends or a made-up date; the circulation service refuses the checkout with that reason, and
//! staff can fix the calendar.
//!
//! Local time is Unix time plus a fixed UTC offset passed in by the caller, the offset in force for
//! the consortium at checkout.

use serde::{Deserialize, Serialize};

use crate::calendar::{Date, WeeklyHours, is_open};
use crate::circulation::policy::LoanPeriod;
use crate::org::Branch;

/// How far a due-date search may look for an open day before giving up.
pub const MAX_DAYS_SEARCHED: i32 = 366;

const SECONDS_PER_DAY: i64 = 86_400;
const SECONDS_PER_HOUR: i64 = 3_600;

/// A branch's opening hours and closed dates, with the local time zone's offset from UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchCalendar {
    pub opening_hours: WeeklyHours,
    pub closed_dates: Vec<Date>,
    pub utc_offset_seconds: i32,
}

impl BranchCalendar {
    pub fn for_branch(branch: &Branch, utc_offset_seconds: i32) -> BranchCalendar {
        BranchCalendar {
            opening_hours: branch.opening_hours.clone(),
            closed_dates: branch.closed_dates.iter().map(|c| c.date).collect(),
            utc_offset_seconds,
        }
    }

    pub fn is_open_on(&self, date: Date) -> bool {
        is_open(&self.opening_hours, &self.closed_dates, date)
    }

    /// The local date a Unix time falls on.
    pub fn local_date(&self, unix_seconds: i64) -> Date {
        Date::from_unix(unix_seconds, self.utc_offset_seconds)
    }

    /// The Unix time of local midnight at the start of `date`.
    pub fn start_of_day(&self, date: Date) -> i64 {
        i64::from(date.days_since_epoch()) * SECONDS_PER_DAY - i64::from(self.utc_offset_seconds)
    }

    /// The opening periods of `date` as Unix `(opens, closes)` pairs, latest last; none on a
    /// closed weekday or closed date.
    pub fn opening_periods(&self, date: Date) -> Vec<(i64, i64)> {
        if !self.is_open_on(date) {
            return Vec::new();
        }
        let midnight = self.start_of_day(date);
        self.opening_hours
            .periods(date.weekday())
            .iter()
            .map(|p| {
                (
                    midnight + i64::from(p.opens.minutes()) * 60,
                    midnight + i64::from(p.closes.minutes()) * 60,
                )
            })
            .collect()
    }

    /// Whether the branch is open at a moment: inside an opening period, which includes its
    /// opening minute and excludes its closing minute.
    pub fn is_open_at(&self, unix_seconds: i64) -> bool {
        self.opening_periods(self.local_date(unix_seconds))
            .iter()
            .any(|(opens, closes)| (*opens..*closes).contains(&unix_seconds))
    }
}

/// Why the due date is not simply checkout time plus the loan period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DueAdjustment {
    /// The loan period ended on an open day (or inside an opening period): no change.
    None,
    /// A day loan's due day was closed; it moved forward from `from`.
    MovedPastClosedDays { from: Date },
    /// An hourly loan would have ended while the branch was closed; it ends at the last closing.
    ShortenedToClosing,
    /// An hourly loan began while the branch was closed and ends when it next closes.
    ExtendedToNextClosing,
}

/// When a loan is due, and why if that differs from the plain loan period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueDate {
    pub due_at: i64,
    pub adjustment: DueAdjustment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum DueDateError {
    #[error("the branch has no open day within {days_searched} days of {from}")]
    NoOpenDay { from: Date, days_searched: i32 },
    #[error("the loan period reaches beyond the calendar")]
    OutOfRange,
}

/// When a loan made at `checkout_at` (Unix seconds) for `period` at a branch with `calendar` is
/// due. See the module documentation for the rules.
pub fn due_at(
    checkout_at: i64,
    period: LoanPeriod,
    calendar: &BranchCalendar,
) -> Result<DueDate, DueDateError> {
    match period {
        LoanPeriod::Days(days) => due_for_days(checkout_at, days, calendar),
        LoanPeriod::Hours(hours) => due_for_hours(checkout_at, hours, calendar),
    }
}

fn due_for_days(
    checkout_at: i64,
    days: u32,
    calendar: &BranchCalendar,
) -> Result<DueDate, DueDateError> {
    let start = calendar.local_date(checkout_at);
    let nominal = i32::try_from(days)
        .ok()
        .and_then(|days| start.days_since_epoch().checked_add(days))
        .map(Date::from_days_since_epoch)
        .ok_or(DueDateError::OutOfRange)?;
    let due_day = (0..=MAX_DAYS_SEARCHED)
        .map(|offset| nominal.add_days(offset))
        .find(|date| calendar.is_open_on(*date))
        .ok_or(DueDateError::NoOpenDay {
            from: nominal,
            days_searched: MAX_DAYS_SEARCHED,
        })?;
    let adjustment = if due_day == nominal {
        DueAdjustment::None
    } else {
        DueAdjustment::MovedPastClosedDays { from: nominal }
    };
    Ok(DueDate {
        due_at: calendar.start_of_day(due_day) + SECONDS_PER_DAY - 1,
        adjustment,
    })
}

fn due_for_hours(
    checkout_at: i64,
    hours: u32,
    calendar: &BranchCalendar,
) -> Result<DueDate, DueDateError> {
    let target = checkout_at
        .checked_add(i64::from(hours) * SECONDS_PER_HOUR)
        .ok_or(DueDateError::OutOfRange)?;
    let target_day = calendar.local_date(target);
    let checkout_day = calendar.local_date(checkout_at);
    // Walk back from the day the loan period ends to the checkout day, latest period first.
    for offset in 0..=MAX_DAYS_SEARCHED {
        let date = target_day.add_days(-offset);
        if date < checkout_day {
            break;
        }
        for (opens, closes) in calendar.opening_periods(date).into_iter().rev() {
            if opens <= target && target <= closes {
                return Ok(DueDate {
                    due_at: target,
                    adjustment: DueAdjustment::None,
                });
            }
            if closes < target {
                if closes > checkout_at {
                    return Ok(DueDate {
                        due_at: closes,
                        adjustment: DueAdjustment::ShortenedToClosing,
                    });
                }
                // The last closing before the end is before checkout: the branch has not
                // closed since the item was lent.
                return next_closing(checkout_at, calendar);
            }
        }
    }
    if target_day.days_since_epoch() - checkout_day.days_since_epoch() > MAX_DAYS_SEARCHED {
        return Err(DueDateError::NoOpenDay {
            from: target_day,
            days_searched: MAX_DAYS_SEARCHED,
        });
    }
    next_closing(checkout_at, calendar)
}

/// The end of the first opening period that closes after `checkout_at`.
fn next_closing(checkout_at: i64, calendar: &BranchCalendar) -> Result<DueDate, DueDateError> {
    let checkout_day = calendar.local_date(checkout_at);
    (0..=MAX_DAYS_SEARCHED)
        .flat_map(|offset| calendar.opening_periods(checkout_day.add_days(offset)))
        .map(|(_, closes)| closes)
        .find(|closes| *closes > checkout_at)
        .map(|closes| DueDate {
            due_at: closes,
            adjustment: DueAdjustment::ExtendedToNextClosing,
        })
        .ok_or(DueDateError::NoOpenDay {
            from: checkout_day,
            days_searched: MAX_DAYS_SEARCHED,
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::calendar::Weekday;

    /// Mon–Fri 09:00–12:30 and 13:30–17:00, Saturday 10:00–13:00, Sunday closed; closed on
    /// Christmas, Boxing Day and New Year's Day. 2026-12-07 is a Monday.
    pub(crate) fn shire_central(utc_offset_seconds: i32) -> BranchCalendar {
        let weekday = WeeklyHours::parse_day("d", "09:00-12:30, 13:30-17:00").unwrap();
        let saturday = WeeklyHours::parse_day("d", "10:00-13:00").unwrap();
        let hours = WeeklyHours::new(Weekday::ALL.map(|w| {
            let periods = match w {
                Weekday::Saturday => saturday.clone(),
                Weekday::Sunday => Vec::new(),
                _ => weekday.clone(),
            };
            (w, periods)
        }))
        .unwrap();
        BranchCalendar {
            opening_hours: hours,
            closed_dates: ["2026-12-25", "2026-12-26", "2027-01-01"]
                .iter()
                .map(|d| Date::parse("d", d).unwrap())
                .collect(),
            utc_offset_seconds,
        }
    }

    /// A branch open every day with the same hours.
    pub(crate) fn every_day(hours: &str) -> BranchCalendar {
        let periods = WeeklyHours::parse_day("d", hours).unwrap();
        BranchCalendar {
            opening_hours: WeeklyHours::new(Weekday::ALL.map(|w| (w, periods.clone()))).unwrap(),
            closed_dates: Vec::new(),
            utc_offset_seconds: 0,
        }
    }

    /// Unix seconds of a local time written `YYYY-MM-DD HH:MM[:SS]` on `calendar`.
    pub(crate) fn at(calendar: &BranchCalendar, text: &str) -> i64 {
        let (date, time) = text.split_once(' ').unwrap();
        let mut parts = time.split(':').map(|p| p.parse::<i64>().unwrap());
        let hours = parts.next().unwrap();
        let minutes = parts.next().unwrap();
        let seconds = parts.next().unwrap_or(0);
        calendar.start_of_day(Date::parse("d", date).unwrap())
            + hours * 3600
            + minutes * 60
            + seconds
    }

    fn date(text: &str) -> Date {
        Date::parse("d", text).unwrap()
    }

    fn check(
        calendar: &BranchCalendar,
        checkout: &str,
        period: LoanPeriod,
        expected: Result<(&str, DueAdjustment), DueDateError>,
    ) {
        let got = due_at(at(calendar, checkout), period, calendar);
        let want = expected.map(|(due, adjustment)| DueDate {
            due_at: at(calendar, due),
            adjustment,
        });
        assert_eq!(got, want, "{checkout} + {period}");
    }

    #[test]
    fn day_loans_end_at_the_end_of_an_open_day() {
        use DueAdjustment::*;
        use LoanPeriod::Days;
        let shire = shire_central(0);
        for (checkout, period, due, adjustment) in [
            ("2026-12-07 10:00", Days(14), "2026-12-21 23:59:59", None),
            ("2026-12-07 16:59", Days(0), "2026-12-07 23:59:59", None),
            ("2026-12-07 00:00", Days(1), "2026-12-08 23:59:59", None),
            // Due on a Sunday: the branch is closed, so Monday.
            (
                "2026-12-05 11:00",
                Days(8),
                "2026-12-14 23:59:59",
                MovedPastClosedDays {
                    from: date("2026-12-13"),
                },
            ),
            // Christmas, Boxing Day and a Sunday in a row: the next Monday.
            (
                "2026-12-11 12:00",
                Days(14),
                "2026-12-28 23:59:59",
                MovedPastClosedDays {
                    from: date("2026-12-25"),
                },
            ),
            // Across the end of the year onto a closed New Year's Day: Saturday the 2nd.
            (
                "2026-12-18 12:00",
                Days(14),
                "2027-01-02 23:59:59",
                MovedPastClosedDays {
                    from: date("2027-01-01"),
                },
            ),
            ("2026-12-31 09:00", Days(7), "2027-01-07 23:59:59", None),
            // A leap day is an ordinary open Tuesday.
            ("2028-02-20 10:00", Days(9), "2028-02-29 23:59:59", None),
        ] {
            check(&shire, checkout, period, Ok((due, adjustment)));
        }
    }

    #[test]
    fn day_loans_use_the_local_date_not_the_utc_date() {
        // One hour east of UTC, 23:30 UTC on Monday is already Tuesday.
        let east = shire_central(3600);
        let checkout = at(&shire_central(0), "2026-12-07 23:30");
        assert_eq!(
            due_at(checkout, LoanPeriod::Days(7), &east),
            Ok(DueDate {
                due_at: at(&east, "2026-12-15 23:59:59"),
                adjustment: DueAdjustment::None
            })
        );
        assert_eq!(
            at(&east, "2026-12-15 23:59:59"),
            at(&shire_central(0), "2026-12-15 22:59:59")
        );
    }

    #[test]
    fn hourly_loans_end_before_closing() {
        use DueAdjustment::*;
        use LoanPeriod::Hours;
        let shire = shire_central(0);
        for (checkout, period, due, adjustment) in [
            ("2026-12-07 09:30", Hours(2), "2026-12-07 11:30", None),
            // Ending exactly at closing or exactly at opening is inside the period.
            ("2026-12-07 15:00", Hours(2), "2026-12-07 17:00", None),
            ("2026-12-07 11:30", Hours(2), "2026-12-07 13:30", None),
            // Ending in the lunch gap: due when the morning period closes.
            (
                "2026-12-07 11:00",
                Hours(2),
                "2026-12-07 12:30",
                ShortenedToClosing,
            ),
            // Ending after closing: due at closing.
            (
                "2026-12-07 16:00",
                Hours(3),
                "2026-12-07 17:00",
                ShortenedToClosing,
            ),
            (
                "2026-12-12 12:00",
                Hours(4),
                "2026-12-12 13:00",
                ShortenedToClosing,
            ),
            // Ending overnight inside the next day's opening: due then.
            ("2026-12-07 16:00", Hours(18), "2026-12-08 10:00", None),
            // Ending on Christmas Day: due when the branch closed on Christmas Eve.
            (
                "2026-12-24 16:00",
                Hours(24),
                "2026-12-24 17:00",
                ShortenedToClosing,
            ),
            // Ending on a closed Sunday after a Saturday loan: Saturday's closing.
            (
                "2026-12-12 10:00",
                Hours(26),
                "2026-12-12 13:00",
                ShortenedToClosing,
            ),
            // Lent after closing: the branch has not closed since, so the next closing.
            (
                "2026-12-07 18:00",
                Hours(2),
                "2026-12-08 12:30",
                ExtendedToNextClosing,
            ),
            // Lent on a closed Sunday: Monday's first closing.
            (
                "2026-12-13 10:00",
                Hours(1),
                "2026-12-14 12:30",
                ExtendedToNextClosing,
            ),
            // Lent in the lunch gap, due in the afternoon period.
            ("2026-12-07 13:00", Hours(1), "2026-12-07 14:00", None),
            // Lent in the lunch gap and ending after closing.
            (
                "2026-12-07 13:00",
                Hours(5),
                "2026-12-07 17:00",
                ShortenedToClosing,
            ),
        ] {
            check(&shire, checkout, period, Ok((due, adjustment)));
        }
    }

    #[test]
    fn a_branch_closing_at_midnight_has_loans_due_at_midnight() {
        let late = every_day("20:00-24:00");
        check(
            &late,
            "2026-12-07 23:00",
            LoanPeriod::Hours(4),
            Ok(("2026-12-08 00:00", DueAdjustment::ShortenedToClosing)),
        );
        check(
            &late,
            "2026-12-07 21:00",
            LoanPeriod::Hours(3),
            Ok(("2026-12-08 00:00", DueAdjustment::None)),
        );
    }

    #[test]
    fn a_branch_closed_for_a_year_gives_an_error_not_a_hang() {
        let never_open = BranchCalendar {
            opening_hours: WeeklyHours::default(),
            closed_dates: Vec::new(),
            utc_offset_seconds: 0,
        };
        check(
            &never_open,
            "2026-12-07 10:00",
            LoanPeriod::Days(14),
            Err(DueDateError::NoOpenDay {
                from: date("2026-12-21"),
                days_searched: MAX_DAYS_SEARCHED,
            }),
        );
        check(
            &never_open,
            "2026-12-07 10:00",
            LoanPeriod::Hours(2),
            Err(DueDateError::NoOpenDay {
                from: date("2026-12-07"),
                days_searched: MAX_DAYS_SEARCHED,
            }),
        );
        // Open every day, but closed for refurbishment for 400 days from the due date.
        let mut refurbishing = every_day("09:00-17:00");
        let start = date("2026-12-21");
        refurbishing.closed_dates = (0..400).map(|d| start.add_days(d)).collect();
        check(
            &refurbishing,
            "2026-12-07 10:00",
            LoanPeriod::Days(14),
            Err(DueDateError::NoOpenDay {
                from: start,
                days_searched: MAX_DAYS_SEARCHED,
            }),
        );
        // Closed for 300 days: the loan is due on the first day it reopens.
        refurbishing.closed_dates.truncate(300);
        check(
            &refurbishing,
            "2026-12-07 10:00",
            LoanPeriod::Days(14),
            Ok((
                "2027-10-17 23:59:59",
                DueAdjustment::MovedPastClosedDays { from: start },
            )),
        );
        // An hourly loan longer than the search window whose end lands in a long closure.
        let mut closed_after = every_day("09:00-17:00");
        let from = date("2026-12-08");
        closed_after.closed_dates = (0..800).map(|d| from.add_days(d)).collect();
        check(
            &closed_after,
            "2026-12-07 10:00",
            LoanPeriod::Hours(24 * 500),
            Err(DueDateError::NoOpenDay {
                from: date("2028-04-20"),
                days_searched: MAX_DAYS_SEARCHED,
            }),
        );
    }

    #[test]
    fn absurd_loan_periods_are_refused_not_wrapped() {
        let shire = shire_central(0);
        assert_eq!(
            due_at(i64::MAX - 10, LoanPeriod::Hours(1), &shire),
            Err(DueDateError::OutOfRange)
        );
        assert_eq!(
            due_at(0, LoanPeriod::Days(u32::MAX), &shire),
            Err(DueDateError::OutOfRange)
        );
    }

    #[test]
    fn opening_periods_include_opening_and_exclude_closing() {
        let shire = shire_central(0);
        for (moment, open) in [
            ("2026-12-07 08:59:59", false),
            ("2026-12-07 09:00", true),
            ("2026-12-07 12:29:59", true),
            ("2026-12-07 12:30", false),
            ("2026-12-07 13:30", true),
            ("2026-12-07 17:00", false),
            ("2026-12-13 12:00", false),
            ("2026-12-25 10:00", false),
        ] {
            assert_eq!(shire.is_open_at(at(&shire, moment)), open, "{moment}");
        }
    }
}
