//! How the platforms print times and amounts: Beijing dates and times, yuan with two decimals.

/// `yyyy-MM-dd` in Beijing time.
pub(crate) fn beijing_date(unix: i64) -> String {
    baidupay_model::time::BeijingTime::from_unix(unix).date()
}

/// `yyyy-MM-dd HH:mm:ss` in Beijing time.
pub(crate) fn beijing_time(unix: i64) -> String {
    baidupay_model::time::BeijingTime::from_unix(unix).datetime()
}

/// Fen as the platforms print yuan (`"113.00"`), by the model's [`YuanAmount`].
///
/// [`YuanAmount`]: baidupay_model::YuanAmount
pub(crate) fn yuan(fen: u64) -> String {
    baidupay_model::YuanAmount::from_fen(baidupay_model::Fen::new(fen)).to_string()
}

/// Signed fen as the TP finance reports print them (`"-0.01"`), by the model's `SignedYuan`.
pub(crate) fn signed_yuan(fen: i64) -> String {
    baidupay_model::SignedYuan::from_fen(fen).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_dates_and_yuan() {
        assert_eq!(beijing_date(0), "1970-01-01");
        assert_eq!(beijing_date(1_704_038_400), "2024-01-01");
        assert_eq!(beijing_time(1_715_593_760), "2024-05-13 17:49:20");
        assert_eq!(yuan(11300), "113.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(signed_yuan(-1), "-0.01");
    }
}
