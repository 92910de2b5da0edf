//! Alipay mini-program JSAPI payment types (seed 002 `alipay.trade.create`; alipay-jsapi.md
//! sections 2-5): the common response part and its codes, the `biz_content` of every
//! operation as a builder, the responses, the trade status, and the trade notification.
//!
//! Amounts are exact: [`Yuan`](crate::Yuan) for what the merchant sends (range
//! [0.01, 100000000]), [`YuanAmount`](crate::YuanAmount) for what Alipay reports (zero allowed).
//! Unknown response fields are kept in `extra`; unknown codes and statuses are kept raw.

mod bill;
mod common;
mod notify;
mod refund;
mod trade;
mod trade_params;
mod trade_query;

pub use self::bill::{BillDownloadUrlQuery, BillDownloadUrlResponse, BillType};
pub use self::common::{AlipayCode, BusinessError, ResponseCommon, SubCode, TradeStatus};
pub use self::notify::{NotifyFundBill, TradeNotification};
pub use self::refund::{
    FundChange, RefundQuery, RefundQueryResponse, RefundStatus, TradeRefund, TradeRefundResponse,
};
pub use self::trade::{Buyer, JSAPI_PAY, TradeCreate, TradeCreateResponse, check_timeout_express};
pub use self::trade_params::{
    AccessParams, AgreementSignParams, ExtendParams, GoodsDetail, PeriodRuleParams,
    SignMerchantParams,
};
pub use self::trade_query::{
    FundBill, TradeClose, TradeCloseResponse, TradeQuery, TradeQueryResponse,
};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::{OutTradeNo, TradeNo};

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidField {
        field,
        reason: reason.into(),
    }
}

fn max_chars(field: &'static str, v: &str, max: usize) -> Result<()> {
    let n = v.chars().count();
    if n > max {
        return Err(invalid(field, format!("at most {max} characters, has {n}")));
    }
    Ok(())
}

/// Checks `yyyy-MM-dd HH:mm:ss` (Alipay's time format, UTC+8 wall time).
pub fn check_datetime(field: &'static str, v: &str) -> Result<()> {
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| {
        b.get(r)
            .map(|s| s.iter().fold(0u32, |a, c| a * 10 + u32::from(c - b'0')))
            .unwrap_or(99)
    };
    let shape = b.len() == 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape
        || crate::cashier::Date::parse(&v[..10]).is_err()
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 59
    {
        return Err(invalid(field, format!("{v:?} is not yyyy-MM-dd HH:mm:ss")));
    }
    Ok(())
}

/// A `biz_content` of one API method, and the response it answers with.
pub trait BizRequest: Serialize {
    /// The API method, e.g. `alipay.trade.create`.
    const METHOD: &'static str;
    /// The `<method>_response` object.
    type Response: DeserializeOwned;
    /// Whether the method takes the `notify_url` common parameter (the asynchronous notify of
    /// a trade); the client adds its configured URL only to these.
    const SENDS_NOTIFY_URL: bool = false;
    /// Whether sending the same request twice is harmless (queries; a refund, which Alipay
    /// applies once per `out_request_no`), so that a transport retry layer may resend it.
    /// Defaults to `false`: a new method is never resent after a timeout unless it says so.
    const IDEMPOTENT: bool = false;

    /// Checks the documented limits before sending.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// The key of the response object: the method with `.` replaced by `_`, plus `_response`.
    fn response_key() -> String {
        format!("{}_response", Self::METHOD.replace('.', "_"))
    }
}

/// Which trade an operation is about: `trade_no` wins when both are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeRef {
    /// The merchant's order number.
    OutTradeNo(OutTradeNo),
    /// Alipay's trade number.
    TradeNo(TradeNo),
    /// Both.
    Both(OutTradeNo, TradeNo),
}

impl TradeRef {
    fn split(self) -> (Option<OutTradeNo>, Option<TradeNo>) {
        match self {
            TradeRef::OutTradeNo(o) => (Some(o), None),
            TradeRef::TradeNo(t) => (None, Some(t)),
            TradeRef::Both(o, t) => (Some(o), Some(t)),
        }
    }
}

fn require_trade_ref(out: Option<&OutTradeNo>, no: Option<&TradeNo>) -> Result<()> {
    if out.is_none() && no.is_none() {
        return Err(invalid(
            "out_trade_no",
            "out_trade_no or trade_no is required",
        ));
    }
    Ok(())
}
