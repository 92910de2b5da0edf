//! The Baidu cashier (百度收银台) client: `orderInfo` for `swan.requestPolymerPayment`, access
//! tokens, and the 2.0 (`paymentservice/*`) and 1.0 (signed) server APIs, over any
//! [`baidupay_transport::Transport`].
//!
//! * [`CashierClient::order_info`] signs `appKey, dealId, totalAmount, tpOrderId` (SHA1withRSA,
//!   `signFieldsRange` "1") and carries `bizInfo` as a JSON string.
//! * [`ClientCredentialsProvider`] caches the token until shortly before it expires, refreshes
//!   once for any number of concurrent callers, and the client refreshes and retries once when
//!   Baidu says the token expired. [`StaticToken`] is for callers who manage tokens.
//! * The OpenAPI floor (token in the query, envelope decoding, one refresh and retry on an
//!   expired token, the token cache) is `baidupay-openapi`, shared with the third-party-platform
//!   client; its [`OpenApi`], [`TokenProvider`], [`ClientCredentialsProvider`], [`StaticToken`]
//!   and [`OpenApiError`] are re-exported here.
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

pub use baidupay_openapi::{
    ClientCredentialsProvider, OPENAPI_BASE, OpenApi, OpenApiError, StaticToken, TokenProvider,
};
pub use bill::{
    BAIDU_ORDER_ID, BAIDU_REFUND_ID, BIZ_REFUND_BATCH_ID, BillDownload, BillEncoding, BillEntries,
    BillError, BillReader, BillRow, BillSection, MAX_LINE, ORDER_AMOUNT, ParsedBill, REFUND_AMOUNT,
    TP_ORDER_ID, TotalMismatch, bill_entries, read_bill, read_bill_entries,
};
pub use check::{OrderCheck, check_order_info};
pub use client::{
    CashierClient, CashierConfig, DIANSHANG_BASE, ETRADE_BASE, LegacyHost, NUOMI_REST,
};
pub use error::{CashierError, Result};
