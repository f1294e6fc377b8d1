//! Scheduled circulation work as pure decisions: which queued job runs next, when the next daily
//! run is due, and which reading-history entries are old enough to lose their patron.
//!
//! The store keeps the queue; the server asks these functions what to do and does it. Keeping the
//! choice here means it is tested without a database and behaves the same on both engines.

use serde::{Deserialize, Serialize};

/// The kinds of scheduled circulation work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Charge overdue fines on loans still out, up to today.
    OverdueFines,
    /// Remove the patron from reading-history entries older than the configured number of days.
    AnonymiseReadingHistory,
}

impl JobKind {
    pub const ALL: [JobKind; 2] = [JobKind::OverdueFines, JobKind::AnonymiseReadingHistory];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::OverdueFines => "overdue_fines",
            JobKind::AnonymiseReadingHistory => "anonymise_reading_history",
        }
    }

    pub fn parse(raw: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// One queued job as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedJob {
    pub id: i64,
    pub kind: JobKind,
    /// Unix seconds before which the job must not start.
    pub run_after: i64,
    /// Failed tries so far.
    pub attempts: u32,
}

/// A job that failed this many times is left for a person to look at.
pub const MAX_ATTEMPTS: u32 = 5;

/// The job to run now, if any: among those due and not given up on, the one due longest, then the
/// lowest id (first queued). A job that failed waits longer after each try (see [`retry_after`]),
/// so one failing job cannot starve the others.
pub fn next_job(queue: &[QueuedJob], now: i64) -> Option<QueuedJob> {
    queue
        .iter()
        .filter(|job| job.run_after <= now && job.attempts < MAX_ATTEMPTS)
        .min_by_key(|job| (job.run_after, job.id))
        .copied()
}

/// When a job that has failed `attempts` times may be tried again: one minute, doubling each time.
pub fn retry_after(now: i64, attempts: u32) -> i64 {
    now.saturating_add(60_i64.saturating_mul(1_i64 << attempts.min(20)))
}

/// When the next daily run of a job should start: the next local midnight after `now`, for a
/// consortium whose local time is UTC plus `utc_offset_seconds`.
pub fn next_daily_run(now: i64, utc_offset_seconds: i64) -> i64 {
    const DAY: i64 = 86_400;
    let local = now.saturating_add(utc_offset_seconds);
    let next_local_midnight = (local.div_euclid(DAY) + 1) * DAY;
    next_local_midnight - utc_offset_seconds
}

/// The oldest borrowing time that keeps its patron: entries borrowed before it are anonymised.
/// `None` (keep for ever) when no retention is configured.
pub fn anonymise_before(now: i64, retention_days: Option<u32>) -> Option<i64> {
    retention_days.map(|days| now.saturating_sub(i64::from(days) * 86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: i64, kind: JobKind, run_after: i64, attempts: u32) -> QueuedJob {
        QueuedJob {
            id,
            kind,
            run_after,
            attempts,
        }
    }

    fn check(queue: &[QueuedJob], now: i64, expected: Option<i64>) {
        assert_eq!(
            next_job(queue, now).map(|j| j.id),
            expected,
            "{queue:?} at {now}"
        );
    }

    #[test]
    fn the_job_due_longest_runs_first_and_future_or_abandoned_jobs_wait() {
        use JobKind::*;
        check(&[], 100, None);
        check(&[job(1, OverdueFines, 200, 0)], 100, None);
        check(&[job(1, OverdueFines, 100, 0)], 100, Some(1));
        check(
            &[
                job(1, OverdueFines, 90, 0),
                job(2, AnonymiseReadingHistory, 50, 0),
            ],
            100,
            Some(2),
        );
        // Same due time: first queued first.
        check(
            &[
                job(7, OverdueFines, 50, 0),
                job(3, AnonymiseReadingHistory, 50, 0),
            ],
            100,
            Some(3),
        );
        // Given up after too many failures.
        check(&[job(1, OverdueFines, 10, MAX_ATTEMPTS)], 100, None);
        check(
            &[
                job(1, OverdueFines, 10, MAX_ATTEMPTS),
                job(2, OverdueFines, 20, 1),
            ],
            100,
            Some(2),
        );
    }

    #[test]
    fn failed_jobs_back_off_doubling_from_a_minute() {
        assert_eq!(retry_after(1_000, 0), 1_060);
        assert_eq!(retry_after(1_000, 1), 1_120);
        assert_eq!(retry_after(1_000, 3), 1_480);
        assert!(retry_after(i64::MAX - 5, 30) == i64::MAX);
    }

    #[test]
    fn daily_runs_start_at_the_next_local_midnight() {
        // 2026-03-02 10:00 UTC.
        let now = 1_772_445_600;
        let utc_midnight_next = 1_772_496_000;
        assert_eq!(next_daily_run(now, 0), utc_midnight_next);
        // One hour ahead of UTC: local midnight is 23:00 UTC the day before.
        assert_eq!(next_daily_run(now, 3_600), utc_midnight_next - 3_600);
        // Exactly at midnight: the next one, a day later.
        assert_eq!(
            next_daily_run(utc_midnight_next, 0),
            utc_midnight_next + 86_400
        );
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn reading_history_is_anonymised_after_the_configured_days_or_kept() {
        assert_eq!(anonymise_before(10 * 86_400, Some(3)), Some(7 * 86_400));
        assert_eq!(anonymise_before(10 * 86_400, Some(0)), Some(10 * 86_400));
        assert_eq!(anonymise_before(10 * 86_400, None), None);
    }
}
