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
//! # The token chain
//!
//! [`TpAuth`] holds the TP's credentials (baidu-cashier.md 3.2), in this order:
//!
//! 1. **Ticket.** Baidu pushes a ticket about every 10 minutes (decrypt the push with
//!    `baidupay-notify`'s `TpEvent::Ticket`); hand it to [`TpAuth::on_ticket`].
//! 2. **TP (component) token** ([`TpAuth::component_token`]): fetched with the latest ticket,
//!    kept until shortly before it expires (about a month), fetched again once if an API
//!    refuses it.
//! 3. **Pre-authorization code** ([`TpAuth::pre_auth_code`]) and the console page where a mini
//!    program's administrator authorizes the TP ([`TpAuth::authorization_url`]).
//! 4. **Authorizer tokens** from the authorization code the redirect (or the `AUTHORIZED`
//!    event) brings: [`TpAuth::authorize`] stores them.
//! 5. **Refresh**: [`TpAuth::authorizer`] is the mini program's
//!    [`baidupay_openapi::TokenProvider`] for a [`TpClient`]; its token is refreshed with the
//!    single-use refresh token shortly before it expires and when an API answers "token
//!    expired" (then the call is retried once).
//!
//! # The store
//!
//! Everything the chain learns goes to a [`TokenStore`], which every process of the TP may
//! share: a refresh is a compare-and-swap with a lease, so exactly one process presents a
//! given refresh token and the others wait for its result (see [`store`] for the protocol, the
//! one failure no store can prevent, and how long the lease should be). Pick:
//!
//! | store | for |
//! |---|---|
//! | [`MemoryTokenStore`] | tests; a TP that runs one process (tokens lost when it exits) |
//! | `SqliteTokenStore` (feature `sqlite`, default) | several processes on one machine |
//! | `PostgresTokenStore` (feature `postgres`) | several processes on several machines |
//!
//! ```
//! use std::sync::Arc;
//! use baidupay_model::Secret;
//! use baidupay_tp::{MemoryTokenStore, TpAuth, TpClient};
//! use baidupay_transport::SystemClock;
//! use baidupay_transport::replay::{Expect, ReplayTransport};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let transport = Arc::new(ReplayTransport::new([
//!     Expect::get("/public/2.0/smartapp/auth/tp/token")
//!         .query(&[("client_id", "TPKEY"), ("ticket", "TICKET")])
//!         .respond_json(r#"{"errno":0,"msg":"success","data":{"access_token":"42.tp","expires_in":2592000}}"#),
//!     Expect::get("/rest/2.0/smartapp/tp/createpreauthcode")
//!         .query(&[("access_token", "42.tp")])
//!         .respond_json(r#"{"errno":0,"msg":"success","data":{"pre_auth_code":"PRE","expires_in":1200}}"#),
//!     Expect::get("/rest/2.0/oauth/token")
//!         .query(&[("access_token", "42.tp"), ("code", "CODE"), ("grant_type", "app_to_tp_authorization_code")])
//!         .respond_json(r#"{"access_token":"45.a","refresh_token":"46.r","expires_in":3600}"#),
//!     Expect::get("/rest/2.0/smartapp/pay/paymentservice/auditstatus")
//!         .query(&[("access_token", "45.a")])
//!         .respond_json(r#"{"errno":0,"msg":"success","data":{"status":1,"fail_reason":""}}"#),
//! ]));
//! // one store for every process of the TP: e.g. SqliteTokenStore::open("/var/lib/tp/tokens.db")
//! let store = Arc::new(MemoryTokenStore::new());
//! let auth = TpAuth::new("TPKEY", "https://openapi.baidu.com", transport.clone(), store,
//!     Arc::new(SystemClock));
//! auth.on_ticket(&Secret::new("TICKET")).await?;
//! let pre = auth.pre_auth_code().await?;
//! let url = auth.authorization_url(&pre.pre_auth_code, "https://tp.example/authorized");
//! assert!(url.starts_with("https://smartprogram.baidu.com/mappconsole/tp/authorization?client_id=TPKEY&"));
//! // the administrator authorized mini program 7: the redirect brings the code
//! auth.authorize(7, &Secret::new("CODE")).await?;
//! let tp = TpClient::new("https://openapi.baidu.com", transport.clone(), auth.authorizer(7));
//! assert_eq!(tp.service_audit_status().await?.status.code(), 1);
//! transport.assert_done();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: a request refused before sending
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
#[cfg(feature = "postgres")]
pub use store::PostgresTokenStore;
#[cfg(feature = "sqlite")]
pub use store::SqliteTokenStore;
pub use store::{MemoryTokenStore, TokenStore};
