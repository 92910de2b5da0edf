//! Baidu cashier (百度收银台) request and response types: the OAuth token, `orderInfo` for
//! `swan.requestPolymerPayment`, the 2.0 OpenAPI (`paymentservice/*`) and the 1.0 signed APIs
//! (baidu-cashier.md sections 3-5 and 7).
//!
//! Requests are builders with the required arguments in `new` and serialize (serde, camelCase)
//! to exactly the wire parameters; [`Params::to_params`] gives the `(name, value)` pairs for a
//! query string or form body in the documented order. Responses decode leniently where Baidu's
//! docs and SDKs disagree on types and strictly for money and identifiers.

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

/// A request whose parameters go into a query string or a form body.
pub trait Params {
    /// The wire parameters, in the documented order, values as sent (not URL-encoded).
    fn to_params(&self) -> Vec<(&'static str, String)>;
}
