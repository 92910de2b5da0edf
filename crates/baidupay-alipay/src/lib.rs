//! Alipay mini-program JSAPI payment (`alipay.trade.create` with `product_code=JSAPI_PAY`) and
//! its companion APIs, over any [`baidupay_transport::Transport`].
//!
//! What it gets right that users of other SDKs keep reporting (alipay-sdk-survey.md):
//! * **Keys**: PEM or one-line base64, PKCS#1 or PKCS#8, SPKI or certificate; errors name the
//!   setting and the format found; the app's own public key configured as the Alipay public key
//!   is refused ([`ConfigError::AlipayKeyIsAppKey`]), as is an app certificate that does not
//!   belong to the private key.
//! * **Requests** are laid out as the official SDKs send them (common parameters and `sign` in
//!   the query with `charset=utf-8`, `biz_content` in the form body), signed over exactly what is
//!   sent (`biz_content` serialized once), `timestamp` always in UTC+8 whatever the host's zone
//!   ([`beijing_timestamp`], an injectable [`baidupay_transport::Clock`]), and the string that was signed is
//!   available ([`PreparedRequest::canonical_string`]) to compare with the gateway's in an
//!   `isv.invalid-signature` answer.
//! * **Responses** are verified over the raw bytes of `<method>_response` (never re-serialized;
//!   [`response::extract`] is a string-aware JSON reader, so `\/`, `\uXXXX` and braces inside
//!   strings are safe), error answers included; a duplicated top-level key, a missing or bad
//!   signature are errors, never warnings; a business error (`code` != 10000) is returned only
//!   after it verified, with `sub_code` as the typed `ACQ.*` enum with its remedy.
//! * **Certificate mode**: `app_cert_sn` and `alipay_root_cert_sn` computed from the three
//!   files; the Alipay certificate chosen by the response's `alipay_cert_sn`, with a
//!   [`AlipayCertFetcher`] hook for a rotated one.
//! * **Gateways**: production, the current sandbox `openapi-sandbox.dl.alipaydev.com`, or any
//!   URL ([`Gateway`]); `app_auth_token` for service providers.
//! * **Retries**: queries, closes and refunds (Alipay refunds once per `out_request_no`) are
//!   marked idempotent for a [`baidupay_transport::Retry`] layer; `trade.create` is never
//!   resent automatically.
//!
//! Asynchronous notifies are verified by `baidupay_notify::AlipayNotifier` (crate
//! `baidupay-notify`, which needs no HTTP stack: add it next to this one).
//!
//! Not supported: AES content encryption (`encrypt_type=AES`, not needed by the trade APIs; an
//! encrypted answer is reported as such) and SM2 signatures.

#![warn(missing_docs)]

pub mod bill;
mod client;
mod config;
mod error;
pub mod response;
mod time;

pub use client::{AlipayClient, BillFile, FORM_CONTENT_TYPE, PreparedRequest, VerifiedResponse};
pub use config::{AlipayCertFetcher, AlipayConfig, Gateway, PRODUCTION_GATEWAY, SANDBOX_GATEWAY};
pub use error::{AlipayError, ConfigError, Result};
pub use time::beijing_timestamp;
