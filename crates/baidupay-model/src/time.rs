//! Beijing time (UTC+8, no daylight saving): both platforms date everything in it (Alipay's
//! `timestamp`, Baidu's bill days), whatever the server's zone. Computed arithmetically, so no
//! time-zone database is needed. The model reads no clock: pass the Unix time of a
//! `baidupay_transport::Clock`.

/// A civil date and time in UTC+8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BeijingTime {
    /// Year.
    pub year: i64,
    /// Month, 1-12.
    pub month: u8,
    /// Day, 1-31.
    pub day: u8,
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second.
    pub second: u8,
}

fn small(v: i64) -> u8 {
    u8::try_from(v).unwrap_or(0)
}

impl BeijingTime {
    /// The Beijing time of a Unix time (seconds since 1970-01-01 UTC).
    ///
    /// ```
    /// use baidupay_model::time::BeijingTime;
    /// let t = BeijingTime::from_unix(1_715_593_760); // 2024-05-13 09:49:20 UTC
    /// assert_eq!(t.datetime(), "2024-05-13 17:49:20");
    /// assert_eq!(t.date(), "2024-05-13");
    /// ```
    pub fn from_unix(unix_seconds: i64) -> Self {
        let t = unix_seconds.saturating_add(8 * 3600);
        let secs = t.rem_euclid(86_400);
        // Howard Hinnant's civil_from_days
        let z = t.div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Self {
            year: yoe + era * 400 + i64::from(month <= 2),
            month: small(month),
            day: small(day),
            hour: small(secs / 3600),
            minute: small(secs % 3600 / 60),
            second: small(secs % 60),
        }
    }

    /// `yyyy-MM-dd`.
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `yyyy-MM-dd HH:mm:ss`.
    pub fn datetime(&self) -> String {
        format!(
            "{} {:02}:{:02}:{:02}",
            self.date(),
            self.hour,
            self.minute,
            self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // cross-checked with Python: datetime.fromtimestamp(t, timezone(timedelta(hours=8)))
        for (t, s) in [
            (0, "1970-01-01 08:00:00"),
            (-1, "1970-01-01 07:59:59"),
            (1_704_038_400, "2024-01-01 00:00:00"),
            (1_709_164_799, "2024-02-29 07:59:59"),
            (951_782_400, "2000-02-29 08:00:00"),
            (1_715_593_760, "2024-05-13 17:49:20"),
        ] {
            assert_eq!(BeijingTime::from_unix(t).datetime(), s, "{t}");
        }
    }
}
