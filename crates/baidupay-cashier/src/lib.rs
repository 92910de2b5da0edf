//! The Baidu cashier (百度收银台) client: `orderInfo` for `swan.requestPolymerPayment`, access
//! tokens, and the 2.0 (`paymentservice/*`) and 1.0 (signed) server APIs, over any
//! [`baidupay_transport::Transport`].
//!
//! * [`CashierClient::order_info`] signs `appKey, dealId, totalAmount, tpOrderId` (SHA1withRSA,
//!   `signFieldsRange` "1") and carries `bizInfo` as a JSON string.
//! * [`ClientCredentialsProvider`] caches the token until shortly before it expires, refreshes
//!   once for any number of concurrent callers, and the client refreshes and retries once when
//!   Baidu says the token expired. [`StaticToken`] is for callers who manage tokens.
//! * [`OpenApi`] is the shared caller (token in the query, envelope decoding, one refresh and
//!   retry on an expired token) that the third-party-platform client reuses.
//! * Queries and refunds (which carry their idempotency key `bizRefundBatchId`) are marked
//!   idempotent, so a [`baidupay_transport::Retry`] wrapper may resend them; everything else
//!   is sent once. [`CashierError::may_have_been_sent`] says whether a failed call may have
//!   taken effect.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use baidupay_cashier::{CashierClient, CashierConfig, StaticToken};
//! use baidupay_crypto::PrivateKey;
//! use baidupay_model::{AppKey, DealId, Fen, Secret, TpOrderId};
//! use baidupay_transport::replay::ReplayTransport;
//!
//! let key = PrivateKey::generate(1024)?;
//! let config = CashierConfig::new(AppKey::new("MMMabc")?, DealId::new(470193086), key);
//! let client = CashierClient::new(
//!     config,
//!     Arc::new(ReplayTransport::default()),
//!     Arc::new(StaticToken(Secret::new("token"))),
//! );
//! let info = client.order_info(TpOrderId::new("3028903626")?, Fen::new(11300), "爱鲜蜂")?;
//! assert_eq!(info.sign_fields_range.as_deref(), Some("1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod bill;
mod check;
mod client;
mod error;
mod token;
mod url;

pub use bill::{BillDownload, ParsedBill};
pub use check::{OrderCheck, check_order_info};
pub use client::{
    Body, CashierClient, CashierConfig, DIANSHANG_BASE, ETRADE_BASE, LegacyHost, NUOMI_REST,
    OPENAPI_BASE, OpenApi,
};
pub use error::{CashierError, Result, answer_error};
pub use token::{ClientCredentialsProvider, Clock, StaticToken, SystemClock, TokenProvider};
