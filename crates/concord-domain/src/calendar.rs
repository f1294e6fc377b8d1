//! Dates, times of day and weekly opening hours — the calendar every due date and pickup slot uses.
//!
//! Dates are civil dates in the consortium's local time zone, counted in days from 1970-01-01, so
//! they compare and subtract as integers and store as plain text (`YYYY-MM-DD`) on either engine.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::FieldError;

/// A civil date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    days_since_epoch: i32,
}

/// Monday first, as ISO 8601 and most library calendars do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Weekday::Monday => "monday",
            Weekday::Tuesday => "tuesday",
            Weekday::Wednesday => "wednesday",
            Weekday::Thursday => "thursday",
            Weekday::Friday => "friday",
            Weekday::Saturday => "saturday",
            Weekday::Sunday => "sunday",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl Date {
    /// Builds a date from its parts, refusing impossible ones (2026-02-30).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date {
            days_since_epoch: days_from_civil(year, month, day),
        })
    }

    /// Parses `YYYY-MM-DD`, naming `field` in the error.
    pub fn parse(field: &str, raw: &str) -> Result<Date, FieldError> {
        let raw = raw.trim();
        let mut parts = raw.splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(FieldError::new(
                field,
                format!("{raw:?} is not a date in the form YYYY-MM-DD"),
            ));
        };
        let bad = || {
            FieldError::new(
                field,
                format!("{raw:?} is not a date in the form YYYY-MM-DD"),
            )
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        let day: u32 = d.parse().map_err(|_| bad())?;
        Date::from_ymd(year, month, day)
            .ok_or_else(|| FieldError::new(field, format!("{raw} is not a day of the calendar")))
    }

    /// The date a Unix timestamp falls on, given the consortium's offset from UTC in seconds.
    pub fn from_unix(unix_seconds: i64, utc_offset_seconds: i32) -> Date {
        let local = unix_seconds + i64::from(utc_offset_seconds);
        Date {
            days_since_epoch: local.div_euclid(86_400) as i32,
        }
    }

    pub fn days_since_epoch(self) -> i32 {
        self.days_since_epoch
    }

    pub fn from_days_since_epoch(days: i32) -> Date {
        Date {
            days_since_epoch: days,
        }
    }

    pub fn add_days(self, days: i32) -> Date {
        Date {
            days_since_epoch: self.days_since_epoch + days,
        }
    }

    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday (index 3 counting from Monday).
        let index = (self.days_since_epoch + 3).rem_euclid(7) as usize;
        Weekday::ALL.get(index).copied().unwrap_or(Weekday::Monday)
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days_since_epoch)
    }
}

/// A Unix timestamp as an RFC 3339 time in UTC (`2026-11-27T18:30:05Z`), as feeds and JSON
/// give times.
pub fn utc_timestamp(unix_seconds: i64) -> String {
    let (date, hour, minute, second) = utc_time(unix_seconds);
    format!("{date}T{hour:02}:{minute:02}:{second:02}Z")
}

/// A Unix timestamp as MARC 21's date and time of latest transaction (field 005) in UTC:
/// `yyyymmddhhmmss.f` (`20261127183005.0`).
pub fn marc_transaction_time(unix_seconds: i64) -> String {
    let (date, hour, minute, second) = utc_time(unix_seconds);
    let (year, month, day) = date.ymd();
    format!("{year:04}{month:02}{day:02}{hour:02}{minute:02}{second:02}.0")
}

/// The UTC date of a Unix timestamp, and its hour, minute and second.
fn utc_time(unix_seconds: i64) -> (Date, i64, i64, i64) {
    let second = unix_seconds.rem_euclid(86_400);
    (
        Date::from_unix(unix_seconds, 0),
        second / 3600,
        second % 3600 / 60,
        second % 60,
    )
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl TryFrom<String> for Date {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Date::parse("date", &value)
    }
}

impl From<Date> for String {
    fn from(date: Date) -> String {
        date.to_string()
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days, valid far beyond any library's horizon.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

/// A time of day in minutes after midnight, `HH:MM` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub fn parse(field: &str, raw: &str) -> Result<TimeOfDay, FieldError> {
        let raw = raw.trim();
        let bad = || FieldError::new(field, format!("{raw:?} is not a time in the form HH:MM"));
        let (h, m) = raw.split_once(':').ok_or_else(bad)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(bad());
        }
        let hours: u16 = h.parse().map_err(|_| bad())?;
        let minutes: u16 = m.parse().map_err(|_| bad())?;
        // 24:00 is allowed as the end of a day that closes at midnight.
        if minutes > 59 || hours > 24 || (hours == 24 && minutes != 0) {
            return Err(bad());
        }
        Ok(TimeOfDay(hours * 60 + minutes))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl TryFrom<String> for TimeOfDay {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        TimeOfDay::parse("time", &value)
    }
}

impl From<TimeOfDay> for String {
    fn from(time: TimeOfDay) -> String {
        time.to_string()
    }
}

/// One opening period within a day (a branch may close for lunch: two periods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningPeriod {
    pub opens: TimeOfDay,
    pub closes: TimeOfDay,
}

/// A branch's regular week: for each weekday, its opening periods in order; none means closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyHours {
    days: [Vec<OpeningPeriod>; 7],
}

impl WeeklyHours {
    /// Builds a week from per-day period lists, refusing periods that end before they start or
    /// overlap, and naming the day in the error.
    pub fn new(days: [(Weekday, Vec<OpeningPeriod>); 7]) -> Result<WeeklyHours, FieldError> {
        let mut week = WeeklyHours::default();
        for (weekday, mut periods) in days {
            periods.sort_by_key(|p| p.opens);
            let mut previous_close: Option<TimeOfDay> = None;
            for period in &periods {
                if period.closes <= period.opens {
                    return Err(FieldError::new(
                        format!("opening_hours.{}", weekday.key()),
                        format!(
                            "closes at {} before it opens at {}",
                            period.closes, period.opens
                        ),
                    ));
                }
                if previous_close.is_some_and(|close| period.opens < close) {
                    return Err(FieldError::new(
                        format!("opening_hours.{}", weekday.key()),
                        "has overlapping opening periods",
                    ));
                }
                previous_close = Some(period.closes);
            }
            if let Some(slot) = week.days.get_mut(weekday.index()) {
                *slot = periods;
            }
        }
        Ok(week)
    }

    /// Parses the compact form staff type and files carry: `"09:00-12:30, 13:30-17:00"`, or
    /// `"closed"` / empty for a closed day.
    pub fn parse_day(field: &str, raw: &str) -> Result<Vec<OpeningPeriod>, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.eq_ignore_ascii_case("closed") {
            return Ok(Vec::new());
        }
        raw.split(',')
            .map(|part| {
                let part = part.trim();
                let (opens, closes) = part.split_once('-').ok_or_else(|| {
                    FieldError::new(
                        field,
                        format!("{part:?} is not an opening period like 09:00-17:00"),
                    )
                })?;
                Ok(OpeningPeriod {
                    opens: TimeOfDay::parse(field, opens)?,
                    closes: TimeOfDay::parse(field, closes)?,
                })
            })
            .collect()
    }

    pub fn periods(&self, weekday: Weekday) -> &[OpeningPeriod] {
        self.days.get(weekday.index()).map_or(&[], |p| p.as_slice())
    }

    /// The compact text of one day, the inverse of [`WeeklyHours::parse_day`].
    pub fn format_day(&self, weekday: Weekday) -> String {
        let periods = self.periods(weekday);
        if periods.is_empty() {
            return "closed".to_string();
        }
        periods
            .iter()
            .map(|p| format!("{}-{}", p.opens, p.closes))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn is_open_on(&self, weekday: Weekday) -> bool {
        !self.periods(weekday).is_empty()
    }
}

/// Whether a branch is open on a date, given its week and its closed dates (holidays, closures).
pub fn is_open(hours: &WeeklyHours, closed_dates: &[Date], date: Date) -> bool {
    hours.is_open_on(date.weekday()) && !closed_dates.contains(&date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_read_as_rfc_3339_in_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(1_795_631_405), "2026-11-25T18:30:05Z");
        assert_eq!(utc_timestamp(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn dates_round_trip_and_know_their_weekday() {
        for (text, weekday) in [
            ("1970-01-01", Weekday::Thursday),
            ("2000-02-29", Weekday::Tuesday),
            ("2020-03-16", Weekday::Monday),
            ("2026-11-27", Weekday::Friday),
            ("1969-12-31", Weekday::Wednesday),
        ] {
            let date = Date::parse("d", text).unwrap();
            assert_eq!(date.to_string(), text);
            assert_eq!(date.weekday(), weekday, "{text}");
        }
    }

    #[test]
    fn bad_dates_name_the_problem() {
        for (raw, reason) in [
            ("2026-02-29", "is not a day of the calendar"),
            ("2026-13-01", "is not a day of the calendar"),
            ("26-1-1", "YYYY-MM-DD"),
            ("yesterday", "YYYY-MM-DD"),
            ("", "YYYY-MM-DD"),
        ] {
            let err = Date::parse("expires_on", raw).unwrap_err();
            assert_eq!(err.field, "expires_on");
            assert!(err.reason.contains(reason), "{raw}: {err}");
        }
    }

    #[test]
    fn every_day_for_a_millennium_round_trips() {
        let start = Date::from_ymd(1600, 1, 1).unwrap().days_since_epoch();
        let end = Date::from_ymd(2600, 1, 1).unwrap().days_since_epoch();
        for days in start..end {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn unix_times_fall_on_local_dates() {
        // 2026-11-27T23:30:00Z is already the 28th one hour east of UTC.
        let t = 1_795_822_200;
        assert_eq!(Date::from_unix(t, 0).to_string(), "2026-11-27");
        assert_eq!(Date::from_unix(t, 3600).to_string(), "2026-11-28");
        assert_eq!(Date::from_unix(-1, 0).to_string(), "1969-12-31");
    }

    #[test]
    fn opening_hours_parse_validate_and_format() {
        let day = WeeklyHours::parse_day("monday", "09:00-12:30, 13:30-17:00").unwrap();
        assert_eq!(day.len(), 2);
        let closed = WeeklyHours::parse_day("sunday", "Closed").unwrap();
        let week = WeeklyHours::new(Weekday::ALL.map(|w| {
            (
                w,
                if w == Weekday::Sunday {
                    closed.clone()
                } else {
                    day.clone()
                },
            )
        }))
        .unwrap();
        assert_eq!(week.format_day(Weekday::Monday), "09:00-12:30, 13:30-17:00");
        assert_eq!(week.format_day(Weekday::Sunday), "closed");

        let err = WeeklyHours::parse_day("monday", "9-5").unwrap_err();
        assert!(err.reason.contains("HH:MM"), "{err}");
        let backwards = WeeklyHours::parse_day("tuesday", "17:00-09:00").unwrap();
        let err = WeeklyHours::new(Weekday::ALL.map(|w| (w, backwards.clone()))).unwrap_err();
        assert!(err.reason.contains("before it opens"), "{err}");
        let overlapping = WeeklyHours::parse_day("x", "09:00-13:00, 12:00-17:00").unwrap();
        let err = WeeklyHours::new(Weekday::ALL.map(|w| (w, overlapping.clone()))).unwrap_err();
        assert!(err.reason.contains("overlapping"), "{err}");
    }

    #[test]
    fn closed_dates_and_closed_weekdays_close_the_branch() {
        let day = WeeklyHours::parse_day("d", "10:00-16:00").unwrap();
        let week = WeeklyHours::new(Weekday::ALL.map(|w| {
            (
                w,
                if w == Weekday::Sunday {
                    Vec::new()
                } else {
                    day.clone()
                },
            )
        }))
        .unwrap();
        let christmas = Date::parse("d", "2026-12-25").unwrap();
        assert!(!is_open(&week, &[christmas], christmas));
        assert!(is_open(&week, &[christmas], christmas.add_days(1)));
        assert!(!is_open(
            &week,
            &[],
            Date::parse("d", "2026-11-29").unwrap()
        ));
    }
}
