//! Login throttling: how many failed logins a card or username (or an address) may have before
//! it must wait, as a pure decision over the failures the store remembers.

/// The throttling policy. Defaults follow common practice for library card + PIN logins: PINs are
/// short, so the limit is low.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    pub max_failures: usize,
    pub window_seconds: i64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            max_failures: 5,
            window_seconds: 15 * 60,
        }
    }
}

/// Whether a login may be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginDecision {
    Allowed,
    /// Too many recent failures; the next try is accepted after this many seconds.
    WaitSeconds(i64),
}

impl LoginThrottle {
    /// `failure_times` are the Unix times of recent failed logins for the same key, in any order.
    pub fn decide(&self, failure_times: &[i64], now: i64) -> LoginDecision {
        let mut recent: Vec<i64> = failure_times
            .iter()
            .copied()
            .filter(|t| *t > now - self.window_seconds && *t <= now)
            .collect();
        if recent.len() < self.max_failures {
            return LoginDecision::Allowed;
        }
        // Allowed again when enough of the recent failures have aged out of the window.
        recent.sort_unstable();
        let index = recent.len() - self.max_failures;
        let unlock_at = recent.get(index).copied().unwrap_or(now) + self.window_seconds;
        LoginDecision::WaitSeconds((unlock_at - now).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_after_the_limit_within_the_window() {
        let throttle = LoginThrottle {
            max_failures: 3,
            window_seconds: 600,
        };
        let now = 10_000;
        assert_eq!(throttle.decide(&[], now), LoginDecision::Allowed);
        assert_eq!(
            throttle.decide(&[now - 10, now - 5], now),
            LoginDecision::Allowed
        );
        assert_eq!(
            throttle.decide(&[now - 30, now - 10, now - 5], now),
            LoginDecision::WaitSeconds(570)
        );
        // Old failures no longer count.
        assert_eq!(
            throttle.decide(&[now - 700, now - 10, now - 5], now),
            LoginDecision::Allowed
        );
        // Five failures: wait until the third-newest ages out.
        assert_eq!(
            throttle.decide(&[now - 50, now - 40, now - 30, now - 20, now - 10], now),
            LoginDecision::WaitSeconds(570)
        );
    }
}
