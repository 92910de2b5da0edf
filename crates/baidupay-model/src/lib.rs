//! Money, identifiers, request/response/callback types and API envelopes for Baidu Smart Mini
//! Program payments (the Baidu cashier, 百度收银台), the Baidu third-party-platform (TP)
//! payment-service APIs, and Alipay mini-program JSAPI payment.
//!
//! No I/O and no async: this is the vocabulary the client, callback and sandbox crates share.
//!
//! * [`Fen`] (Baidu, integer fen), [`Yuan`] / [`YuanAmount`] (Alipay, exact two-decimal yuan
//!   strings): checked arithmetic only, never floating point.
//! * One newtype per identifier ([`TpOrderId`], [`OrderId`], [`OutTradeNo`], …) validated
//!   against the platform's limits.
//! * [`cashier`]: the Baidu cashier 2.0/1.0 request and response types and `orderInfo`;
//!   [`callback`]: the three Baidu callbacks and their exact answers; [`tp`]: the TP
//!   payment-service types; [`alipay`]: the Alipay JSAPI types.
//! * [`envelope`]: Baidu's `{errno,msg,data}`, gateway and OAuth error shapes; platform code
//!   tables are `#[non_exhaustive]` enums that keep unknown codes.
//!
//! Lenient where the platforms are inconsistent (numbers sent as strings and back, `null`
//! lists), strict where money or identity is concerned.
//!
//! # Example
//!
//! ```
//! use baidupay_model::{Fen, Yuan};
//!
//! // Alipay amounts are exact two-decimal strings.
//! let total: Yuan = "88.88".parse()?;
//! assert_eq!(total.fen(), Fen::new(8888));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

#[macro_use]
mod macros;

pub mod alipay;
pub mod callback;
pub mod cashier;
pub mod codes;
pub mod de;
pub mod envelope;
mod error;
mod form;
mod id;
mod money;
pub mod operation;
pub mod params;
pub mod reconcile;
mod secret;
pub mod time;
pub mod tp;

pub use codes::{BaiduErrno, GatewayCode, OAuthErrorCode};
pub use error::{Error, JsonError, Result};
pub use id::{
    AlipayAppId, AlipayUserId, AppKey, BizRefundBatchId, ClientId, DealId, OrderId, OutRequestNo,
    OutTradeNo, PayAppId, RefundBatchId, TpOrderId, TradeNo, UserId,
};
pub use money::{Fen, SignedYuan, Yuan, YuanAmount};
pub use secret::Secret;
