//! Identifier newtypes, one per identifier, validated where the platform states limits.
//!
//! Numeric Baidu identifiers ([`OrderId`], [`UserId`], [`DealId`], [`PayAppId`]) are `u64`
//! (Java `Long` in the docs) and are read from numbers or digit strings, since SDKs and doc
//! samples disagree. String identifiers check what the docs state; where the docs state no
//! limit the check is the one that keeps signatures unambiguous: Baidu joins raw values with
//! `&` and `=`, so a merchant id containing those (or spaces and control characters) would make
//! two different parameter sets sign the same string.

fn check(
    s: &str,
    max: usize,
    allowed: fn(u8) -> bool,
    charset: &'static str,
) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("must not be empty");
    }
    if s.len() > max {
        return Err(match max {
            28 => "longer than 28 characters",
            32 => "longer than 32 characters",
            64 => "longer than 64 characters",
            128 => "longer than 128 characters",
            _ => "too long",
        });
    }
    if !s.bytes().all(allowed) {
        return Err(charset);
    }
    Ok(())
}

/// Printable ASCII except space, `&` and `=`.
fn merchant_char(b: u8) -> bool {
    b.is_ascii_graphic() && b != b'&' && b != b'='
}

fn alipay_no_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

string_id!(
    /// The merchant's own order id (`tpOrderId`): 1-64 printable ASCII characters without
    /// space, `&` or `=` (Baidu signs raw `k=v&...` strings, so those would be ambiguous).
    TpOrderId,
    |s| check(
        s,
        64,
        merchant_char,
        "only printable ASCII without space, '&' or '=' is allowed"
    ),
    lenient_number
);

string_id!(
    /// The merchant's refund batch id (`bizRefundBatchId`), the idempotency key of a refund:
    /// 1-64 printable ASCII characters without space, `&` or `=`.
    BizRefundBatchId,
    |s| check(
        s,
        64,
        merchant_char,
        "only printable ASCII without space, '&' or '=' is allowed"
    ),
    lenient_number
);

string_id!(
    /// Baidu's refund batch id (`refundBatchId`, 平台退款批次号), the idempotency key of the
    /// refund callbacks. Sent as a string or a number.
    RefundBatchId,
    |s| check(s, 64, merchant_char, "only printable ASCII is allowed"),
    lenient_number
);

string_id!(
    /// The payment service appKey (`appKey` / `pmAppKey`, e.g. `MMMabc`). Not the mini program
    /// AppKey used as OAuth `client_id`. ASCII letters and digits, at most 64.
    AppKey,
    |s| check(
        s,
        64,
        |b| b.is_ascii_alphanumeric(),
        "only ASCII letters and digits are allowed"
    ),
    lenient_number
);

string_id!(
    /// The mini program AppKey used as OAuth `client_id` (e.g. `4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c`).
    ClientId,
    |s| check(s, 128, merchant_char, "only printable ASCII is allowed")
);

numeric_id!(
    /// Baidu's order id (`orderId`, Long): the idempotency key of the payment notify.
    OrderId
);

numeric_id!(
    /// Baidu cashier user id (`userId`, called `siteId` in `queryorderdetail`).
    UserId
);

numeric_id!(
    /// The settlement credential `dealId` (百度收银台的财务结算凭证), e.g. `470193086`.
    DealId
);

numeric_id!(
    /// The numeric payment APP ID (`appId`, e.g. `10026`), used by the 1.0 `queryorderdetail`.
    PayAppId
);

string_id!(
    /// Alipay merchant order number (`out_trade_no`): 1-64 of `[A-Za-z0-9_-]`.
    ///
    /// The Alipay docs say letters, digits and underscore; real notifications carry hyphens
    /// (`20190815155618536-564-57` in a verified notify), so the hyphen is accepted too.
    OutTradeNo,
    |s| check(
        s,
        64,
        alipay_no_char,
        "only ASCII letters, digits, '_' and '-' are allowed"
    )
);

string_id!(
    /// Alipay trade number (`trade_no`, e.g. `2019082922001432790585537960`): 1-64 ASCII
    /// letters and digits.
    TradeNo,
    |s| check(
        s,
        64,
        |b| b.is_ascii_alphanumeric(),
        "only ASCII letters and digits are allowed"
    )
);

string_id!(
    /// Alipay refund request number (`out_request_no`), the idempotency key of a refund:
    /// 1-64 of `[A-Za-z0-9_-]`.
    OutRequestNo,
    |s| check(
        s,
        64,
        alipay_no_char,
        "only ASCII letters, digits, '_' and '-' are allowed"
    )
);

string_id!(
    /// Alipay application id (`app_id`, e.g. `2019073166072302`): 1-32 digits.
    AlipayAppId,
    |s| check(s, 32, |b| b.is_ascii_digit(), "only digits are allowed")
);

string_id!(
    /// Alipay user id (`buyer_id`, `seller_id`, `2088…`): 1-28 digits.
    AlipayUserId,
    |s| check(s, 28, |b| b.is_ascii_digit(), "only digits are allowed")
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn limits() {
        assert!(TpOrderId::new("3028903626").is_ok());
        assert!(TpOrderId::new("a".repeat(64)).is_ok());
        for bad in ["", "a&b", "a=b", "a b", "订单", "a\n"] {
            assert!(TpOrderId::new(bad).is_err(), "{bad:?}");
        }
        assert!(TpOrderId::new("a".repeat(65)).is_err());
        assert!(OutTradeNo::new("20190815155618536-564-57").is_ok());
        assert!(OutTradeNo::new("GZ2019_01").is_ok());
        assert!(OutTradeNo::new("a.b").is_err());
        assert!(AlipayUserId::new("2088102534368455").is_ok());
        assert!(AlipayUserId::new("2088x").is_err());
        let e = AppKey::new("MMM abc").unwrap_err();
        assert!(matches!(e, Error::InvalidId { kind: "AppKey", .. }), "{e}");
        assert_eq!(
            e.to_string(),
            "invalid AppKey \"MMM abc\": only ASCII letters and digits are allowed"
        );
    }

    #[test]
    fn serde_forms() {
        let k: AppKey = serde_json::from_str("0").unwrap();
        assert_eq!(k, "0");
        let k: AppKey = serde_json::from_str("\"MMMabc\"").unwrap();
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"MMMabc\"");
        let o: OrderId = serde_json::from_str("\"2645985458\"").unwrap();
        assert_eq!(o, OrderId::new(2_645_985_458));
        assert_eq!(serde_json::to_string(&o).unwrap(), "2645985458");
        assert!(serde_json::from_str::<OrderId>("-1").is_err());
        assert!(serde_json::from_str::<OutTradeNo>("\"\"").is_err());
        assert!(serde_json::from_str::<TpOrderId>("\"a&b\"").is_err());
        let r: RefundBatchId = serde_json::from_str("152713835").unwrap();
        assert_eq!(r.as_str(), "152713835");
        assert_eq!(
            "007".parse::<OrderId>().ok(),
            None,
            "leading zeros change the id"
        );
    }
}
