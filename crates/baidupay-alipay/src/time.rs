//! The request `timestamp`: always Beijing time (UTC+8, no daylight saving), whatever the
//! server's zone (alipay-jsapi.md 1.4; the host's local zone is a classic SDK bug).

use std::fmt;

/// The wall-clock source of the `timestamp` parameter (injected so that tests are exact).
pub trait WallClock: Send + Sync + fmt::Debug + 'static {
    /// Seconds since the Unix epoch (UTC).
    fn unix_seconds(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn unix_seconds(&self) -> i64 {
        baidupay_model::time::unix_now()
    }
}

/// A clock that always says the same instant (tests, replays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub i64);

impl WallClock for FixedClock {
    fn unix_seconds(&self) -> i64 {
        self.0
    }
}

/// Formats a Unix time as `yyyy-MM-dd HH:mm:ss` in UTC+8.
///
/// ```
/// // 2024-05-13 09:49:20 UTC
/// assert_eq!(baidupay_alipay::beijing_timestamp(1_715_593_760), "2024-05-13 17:49:20");
/// ```
pub fn beijing_timestamp(unix_seconds: i64) -> String {
    baidupay_model::time::BeijingTime::from_unix(unix_seconds).datetime()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_beijing_time() {
        assert_eq!(beijing_timestamp(0), "1970-01-01 08:00:00");
        assert_eq!(beijing_timestamp(1_704_038_400), "2024-01-01 00:00:00");
    }

    #[test]
    fn system_clock_is_after_2024() {
        assert!(SystemWallClock.unix_seconds() > 1_704_038_400);
    }
}
