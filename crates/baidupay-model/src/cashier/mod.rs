//! Baidu cashier (百度收银台) request and response types: the OAuth token, `orderInfo` for
//! `swan.requestPolymerPayment`, the 2.0 OpenAPI (`paymentservice/*`) and the 1.0 signed APIs
//! (baidu-cashier.md sections 3-5 and 7).
//!
//! Requests are builders with the required arguments in `new` and serialize (serde, camelCase)
//! to exactly the wire parameters; [`Params::to_params`] gives, through that derive, the
//! `(name, value)` pairs for a query string or form body. Responses decode leniently where Baidu's
//! docs and SDKs disagree on types and strictly for money and identifiers.

use serde::Serialize;

use crate::params::ParamsError;

mod bill;
mod common;
mod legacy;
mod order;
mod order_info;
mod refund;
mod token;

pub use self::bill::{BillFile, BillKind, BillList, BillRequest};
pub use self::common::{
    Date, LegacyPayStatus, LegacyRefundStatus, PayChannel, PayStatus, RefundQueryStatus,
    RefundType, VerificationStatus,
};
pub use self::legacy::{
    LegacyOrderDetail, LegacyOrderDetailData, LegacyRefundRequest, QueryOrderDetailRequest,
    StatusNum, SyncOrderStatusRequest,
};
pub use self::order::{CancelOrderRequest, FindOrderRequest, OrderDetail};
pub use self::order_info::{BizInfo, OrderInfo, OrderInfoDraft, TpData};
pub use self::refund::{ApplyRefundRequest, ApplyRefundResult, FindRefundRequest, RefundRecord};
pub use self::token::{AccessToken, ClientCredentials};

/// A request whose parameters go into a query string or a form body. Its serde derive is the
/// wire format (names from `#[serde(rename_all / rename)]`, `None` left out, see
/// [`crate::params`]), so an implementation is one line: `impl Params for MyRequest {}`.
pub trait Params: Serialize {
    /// The wire parameters, in field order, values as sent (not URL-encoded).
    ///
    /// # Errors
    /// [`ParamsError`] when the type has a field that cannot be a parameter: a bug in the type,
    /// which the operation table's test catches for every request it lists.
    fn to_params(&self) -> Result<Vec<(&'static str, String)>, ParamsError> {
        crate::params::to_params(self)
    }
}

/// `refundReason`, which both refund APIs (2.0 and 1.0) require to be non-blank.
fn refund_reason(reason: String) -> crate::Result<String> {
    if reason.trim().is_empty() {
        return Err(crate::Error::InvalidField {
            field: "refundReason",
            reason: "must not be empty".into(),
        });
    }
    Ok(reason)
}
