//! The request `timestamp`: always Beijing time (UTC+8, no daylight saving), whatever the
//! server's zone (alipay-jsapi.md 1.4; the host's local zone is a classic SDK bug). The wall
//! time comes from the configured [`baidupay_transport::Clock`].

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
}
