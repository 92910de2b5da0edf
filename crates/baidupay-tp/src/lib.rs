//! The Baidu third-party-platform (TP) payment-service client (seed 004 "支付服务能力"):
//! open payment for a mini program (payment account → developer config → payment service),
//! then read its orders and finances, and use the TP variants of the pay APIs.
//!
//! A [`TpClient`] speaks for one mini program: its [`baidupay_openapi::TokenProvider`] hands
//! out that mini program's authorizer token. Requests are validated with the seed's limits
//! before anything is sent; list endpoints also come as [`Pages`], which stop at
//! `total_count` / `total_page`, on an empty page, on a page the server repeats, and after
//! [`Pages::MAX_PAGES`] pages whatever the server says.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use baidupay_openapi::StaticToken;
//! use baidupay_model::Secret;
//! use baidupay_model::tp::{AccountCreateRequest};
//! use baidupay_tp::{TpClient, TpError};
//! use baidupay_transport::replay::ReplayTransport;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let tp = TpClient::new("https://openapi.baidu.com", Arc::new(ReplayTransport::default()),
//!     Arc::new(StaticToken(Secret::new("authorizer-token"))));
//! let bad = AccountCreateRequest {
//!     business_scope: "x".into(), business_province: "北京市".into(), business_city: "海淀区".into(),
//!     business_detail_address: "上地十街10号".into(), legal_person: "张三".into(),
//!     legal_id: "123".into(), id_card_front_url: "https://a/f.jpg".into(), id_card_back_url: "https://a/b.jpg".into(),
//! };
//! // refused before sending: business_scope needs 2-2000 characters
//! assert!(matches!(tp.create_account(&bad).await, Err(TpError::Invalid(_))));
//! # });
//! ```

#![warn(missing_docs)]

mod auth;
mod client;
mod error;
mod onboarding;
mod pages;
pub mod store;

pub use auth::{
    AUTHORIZATION_CONSOLE, OAUTH_TOKEN_PATH, PRE_AUTH_CODE_PATH, TP_TOKEN_PATH, TpAuth,
};
pub use client::{ACCOUNT_PATH, DEVELOP_CONFIG_PATH, SERVICE_PATH, TP_PAY_PATH, TpClient};
pub use error::{Result, TpError};
pub use onboarding::{NextAction, ONBOARDING_EVENTS, Onboarding, StepState};
pub use pages::Pages;
#[cfg(feature = "sqlite")]
pub use store::SqliteTokenStore;
pub use store::{MemoryTokenStore, TokenStore};
