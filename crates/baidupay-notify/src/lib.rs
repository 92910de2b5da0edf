//! Verifies, parses and answers payment callbacks: the Baidu cashier's payment notify,
//! refund-audit request and refund notify, the Baidu third-party-platform audit push, and
//! Alipay's trade notify.
//!
//! A callback endpoint is unauthenticated and moves money when it believes a request, so this
//! crate verifies first and parses second: every public parser takes the raw body exactly as
//! POSTed and returns a typed notification only after the platform's signature verified over
//! exactly the fields it returns. No transport, no async runtime.
//!
//! * [`BaiduNotifier`]: `payment`, `refund_audit`, `refund` (SHA1withRSA with the platform public
//!   key; every field but `rsaSign` signed, unknown fields kept in `extra`); [`check_payment`]
//!   compares a notify with the merchant's order.
//! * The exact answers: [`PaymentAck`], [`RefundAuditAnswer`], [`RefundNotifyAck`],
//!   [`RetryAnswer`] (re-exported from `baidupay-model`).
//! * [`AlipayNotifier`]: trade notifies (RSA2 and legacy RSA; trade-notify and gateway-message
//!   canonical strings; bodies in the app's [`Charset`]: UTF-8, or GBK / GB2312 verified over
//!   the GBK bytes of the canonical string); [`check_trade`] compares app_id, out_trade_no,
//!   total_amount and seller_id with the merchant's order; answer [`ALIPAY_ACK`] (`success`).
//! * [`TpEventKeys`]: TP event messages (ticket push, authorization events, payment audit
//!   pushes), the platform's envelope `{"Nonce","TimeStamp","Encrypt","MsgSignature"}`: SHA-1
//!   signature with the TP's token checked in constant time, AES-256-CBC decrypted with the
//!   EncodingAESKey, the TP id inside compared, then typed as a [`TpEvent`];
//!   [`TpEventKeys::seal`] builds the same envelope for tests and simulators.
//!   [`tp::parse_audit_push`] opens a payment audit push; the plain-JSON
//!   [`tp::parse_audit_push_unauthenticated`] is for local tests only (anyone can post one).
//! * [`http`]: `http::Request<Bytes>` in, `http::Response<Bytes>` out, for any framework; with
//!   the `axum` feature, `axum::baidu_route` / `axum::alipay_route` / `axum::tp_event_route`
//!   mount an endpoint in one line and `axum::serve` serves it with read timeouts and a
//!   connection cap (the feature brings tokio and hyper).
//!
//! # Example
//!
//! ```
//! use baidupay_crypto::{Algorithm, PrivateKey, Rules, Signer, form};
//! use baidupay_notify::{BaiduNotifier, PaymentAck, check_payment};
//! use baidupay_model::{Fen, TpOrderId};
//!
//! # let platform = PrivateKey::generate(1024)?;
//! # let signer = Signer::new(platform.clone(), Algorithm::RsaSha1);
//! # let mut fields = vec![("orderId", "800020199"), ("userId", "149235070"),
//! #     ("tpOrderId", "33330020199"), ("dealId", "7423328"), ("totalMoney", "1600"),
//! #     ("payMoney", "1200"), ("status", "2"), ("returnData", "")];
//! # let (_, sig) = signer.sign_params(Rules::BaiduCallback, fields.iter().copied())?;
//! # fields.push(("rsaSign", &sig));
//! # let body = form::encode(fields.iter().copied());
//! let notifier = BaiduNotifier::new(platform.public_key().clone());
//! let paid = notifier.payment(body.as_bytes())?; // verified, then parsed
//! check_payment(&paid, &TpOrderId::new("33330020199")?, Fen::new(1600))?;
//! assert_eq!(PaymentAck::consumed().to_json(), r#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod alipay;
#[cfg(feature = "axum")]
pub mod axum;
mod baidu;
mod error;
mod form;
pub mod http;
pub mod tp;
mod tp_event;

pub use alipay::{
    ALIPAY_ACK, AlipayNotifier, AlipayVariant, ExpectedTrade, TradeMismatch, VerifiedAlipayForm,
    check_trade,
};
pub use baidu::{
    BaiduCallback, BaiduKind, BaiduNotifier, OrderMismatch, VerifiedForm, check_payment,
};
pub use baidupay_model::callback::{
    AuditStatus, PaymentAck, RefundAuditAnswer, RefundNotifyAck, RetryAnswer,
};
pub use error::{NotifyError, Result, TpEventError};
pub use form::{Charset, DEFAULT_MAX_BODY};
pub use tp_event::{
    AES_KEY_LEN, AuthorizationEvent, Envelope, PaymentAuditEvent, TicketPush, TpEvent, TpEventKeys,
};
