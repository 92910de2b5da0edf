//! The one time source of the SDK: a [`Clock`] gives a monotonic reading (for expiries and
//! schedules) and a wall reading (for timestamps the platforms see). Everything that depends on
//! time takes an `Arc<dyn Clock>`, so tests are exact: [`ManualClock`] moves only when told.
//!
//! `SystemTime::now` and `Instant::now` are disallowed by clippy everywhere else in the
//! workspace (`clippy.toml`); [`SystemClock`] is the one place that reads them.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A source of monotonic and wall-clock time.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// A monotonic reading: only differences between two readings mean anything.
    fn now(&self) -> Instant;

    /// Seconds since the Unix epoch (UTC); 0 for a clock set before 1970.
    fn unix_seconds(&self) -> i64;
}

/// The system's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned reader
    fn now(&self) -> Instant {
        Instant::now()
    }

    #[allow(clippy::disallowed_methods)] // the one sanctioned reader
    fn unix_seconds(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that moves only when [`ManualClock::advance`] is called: both readings move
/// together. For tests and replays.
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<(Instant, i64)>,
}

impl ManualClock {
    /// A clock whose wall reading starts at `unix_seconds` (the monotonic reading starts at
    /// the system's current instant, which is only ever compared with later readings).
    pub fn new(unix_seconds: i64) -> Self {
        Self {
            state: Mutex::new((SystemClock.now(), unix_seconds)),
        }
    }

    /// Moves both readings forward by `by` (the wall reading by whole seconds).
    pub fn advance(&self, by: Duration) {
        let mut s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.0 += by;
        s.1 =
            s.1.saturating_add(i64::try_from(by.as_secs()).unwrap_or(i64::MAX));
    }

    /// Sets the wall reading (the monotonic one does not move: wall clocks jump, monotonic
    /// ones do not).
    pub fn set_unix_seconds(&self, unix_seconds: i64) {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1 = unix_seconds;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
    }

    fn unix_seconds(&self) -> i64 {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_after_2024_and_monotonic() {
        let c = SystemClock;
        assert!(c.unix_seconds() > 1_704_038_400);
        let a = c.now();
        assert!(c.now() >= a);
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1_000);
        let t0 = c.now();
        assert_eq!(c.now(), t0);
        c.advance(Duration::from_millis(2_500));
        assert_eq!(c.now() - t0, Duration::from_millis(2_500));
        assert_eq!(c.unix_seconds(), 1_002);
        c.set_unix_seconds(5);
        assert_eq!(c.unix_seconds(), 5);
        assert_eq!(c.now() - t0, Duration::from_millis(2_500));
    }
}
