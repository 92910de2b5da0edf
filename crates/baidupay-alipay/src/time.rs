//! The request `timestamp`: always Beijing time (UTC+8, no daylight saving), whatever the
//! server's zone (alipay-jsapi.md 1.4; the host's local zone is a classic SDK bug).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

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
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
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
    let t = unix_seconds.saturating_add(8 * 3600);
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(beijing_timestamp(0), "1970-01-01 08:00:00");
        // crossing midnight: 2023-12-31 16:00:00 UTC is already 2024 in Beijing
        assert_eq!(beijing_timestamp(1_704_038_400), "2024-01-01 00:00:00");
        // a leap day
        assert_eq!(beijing_timestamp(1_709_164_799), "2024-02-29 07:59:59");
        assert_eq!(beijing_timestamp(951_782_400), "2000-02-29 08:00:00");
        assert_eq!(beijing_timestamp(-1), "1970-01-01 07:59:59");
    }

    #[test]
    fn system_clock_is_after_2024() {
        assert!(SystemWallClock.unix_seconds() > 1_704_038_400);
    }
}
