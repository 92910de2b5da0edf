//! The Baidu OpenAPI floor under `baidupay-cashier` and `baidupay-tp`: what both Baidu API
//! clients share, so neither depends on the other.
//!
//! * [`OpenApi::execute`] sends any [`Operation`] (request types and their endpoint table live
//!   in `baidupay_model::operation`): the `access_token` in the query, the parameters in the
//!   query (GET) or a form body (POST), idempotent only when the operation says so, the
//!   envelope decoded, one refresh and retry when Baidu says the token expired.
//! * [`Exchange`] is the one send path under it, also used for token fetches, the signed 1.0
//!   APIs and file downloads: build, mark, send, decode, redact.
//! * [`TokenProvider`] is where a call takes its token from; [`TokenCache`] is the one
//!   single-flight cache (client credentials, the TP component token and every authorizer
//!   token use it); [`ClientCredentialsProvider`] and [`StaticToken`] are ready-made providers.
//! * [`OpenApiError`] is every failure after a request is built; `may_have_been_sent` says
//!   whether a failed call may have taken effect.
//!
//! # Adding an endpoint
//!
//! One request type (in `baidupay-model`, next to its siblings) whose serde derive is the wire
//! format, one line in the endpoint table of `baidupay_model::operation`, and one line in the
//! client. The request's wire names are written once, in its `#[serde(...)]` attributes:
//!
//! ```
//! use baidupay_model::cashier::Params;
//! use baidupay_model::{AppKey, TpOrderId};
//! use serde::Serialize;
//!
//! /// `GET …/paymentservice/findByTpOrderId`.
//! #[derive(Debug, Serialize)]
//! #[serde(rename_all = "camelCase")]
//! pub struct FindOrderRequest {
//!     pub tp_order_id: TpOrderId,
//!     pub pm_app_key: AppKey,
//! }
//!
//! impl Params for FindOrderRequest {}
//!
//! let request = FindOrderRequest {
//!     tp_order_id: TpOrderId::new("T1")?,
//!     pm_app_key: AppKey::new("MMMabc")?,
//! };
//! assert_eq!(
//!     request.to_params()?,
//!     [("tpOrderId", "T1".to_owned()), ("pmAppKey", "MMMabc".to_owned())]
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ```ignore
//! // baidupay_model::operation's table
//! FindOrderRequest: Get "/rest/2.0/smartapp/pay/paymentservice/findByTpOrderId" as "findByTpOrderId", idempotent, plain => OrderDetail;
//! // the client
//! pub async fn find_order(&self, id: TpOrderId) -> Result<OrderDetail> {
//!     self.run(&FindOrderRequest::new(id, self.app_key())).await
//! }
//! ```
//!
//! `None` fields are left out; a flag says how the platform spells it
//! (`#[serde(serialize_with = "baidupay_model::params::bool_as_01")]`); a constant parameter
//! is a `()` field with a `serialize_with` (or the struct's serde `tag`). The table's test
//! encodes a sample of every request, so a field that cannot be a parameter fails there.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use baidupay_model::operation::Tp;
//! use baidupay_model::cashier::CancelOrderRequest;
//! use baidupay_model::{AppKey, OrderId, Secret};
//! use baidupay_openapi::{OpenApi, StaticToken};
//! use baidupay_transport::replay::{Expect, ReplayTransport};
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let transport = Arc::new(ReplayTransport::new([
//!     Expect::get("/rest/2.0/smartapp/pay/paymentservice/cancelOrder")
//!         .query(&[("access_token", "token"), ("orderId", "1"), ("pmAppKey", "MMMabc")])
//!         .respond_json(r#"{"errno":0,"msg":"success","data":true}"#),
//!     Expect::get("/rest/2.0/smartapp/pay/paymentservice/tp/cancelOrder")
//!         .respond_json(r#"{"errno":0,"msg":"success","data":false}"#),
//! ]));
//! let api = OpenApi::new(
//!     "https://openapi.baidu.com",
//!     transport.clone(),
//!     Arc::new(StaticToken(Secret::new("token"))),
//! );
//! let request = CancelOrderRequest::new(OrderId::new(1), AppKey::new("MMMabc")?);
//! assert!(api.execute(&request).await?);
//! assert!(!api.execute(&Tp(&request)).await?); // the third-party-platform variant
//! transport.assert_done();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod api;
mod error;
mod exchange;
mod token;

pub use api::{OPENAPI_BASE, OpenApi};
pub use baidupay_model::operation::{HttpMethod, Operation, Tp};
pub use error::{OpenApiError, Result};
pub use exchange::{Envelope, Exchange};
pub use token::{
    ClientCredentialsProvider, Fresh, StaticToken, TokenCache, TokenProvider, refresh_margin,
};
