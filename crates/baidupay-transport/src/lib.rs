//! The one seam through which the baidupay API crates talk HTTP.
//!
//! * [`Transport`]: one small async trait over owned `http` types. Bring your own (reqwest,
//!   a proxy, a recorder) or use [`HyperTransport`] (feature `hyper`, default): hyper 1,
//!   hyper-util's pooled client and rustls with the ring provider and webpki roots, HTTPS only
//!   unless plain HTTP is enabled for a local sandbox, timeouts, a response-size cap, no
//!   redirects.
//! * [`TransportError`]: opaque with a [`kind`](TransportError::kind) (`Connect` means the
//!   request provably was not sent) and [`may_have_been_sent`](TransportError::may_have_been_sent).
//! * [`Retry`] with a pure [`RetryPolicy`]: retries only what cannot act twice (see
//!   [`retry`]); it is a `Transport` itself, so it composes.
//! * [`redact_uri`]: secrets in query strings (`access_token`, `sign`, …) never reach a log
//!   line or an error message.
//! * Test doubles: [`replay::ReplayTransport`] (scripted, no sockets) and, with the `mock`
//!   feature, mockall's `MockTransport`.
//!
//! # Example
//!
//! ```
//! use baidupay_transport::replay::{Expect, ReplayTransport};
//! use baidupay_transport::{Retry, RetryPolicy, Transport};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let fake = ReplayTransport::new([Expect::get("/rest/2.0/smartapp/pay/paymentservice/cancelOrder")
//!     .query(&[("access_token", "T"), ("orderId", "1"), ("pmAppKey", "MMMabc")])
//!     .respond_json(r#"{"errno":0,"msg":"success","data":true}"#)]);
//! let transport = Retry::new(fake, RetryPolicy::default());
//! let request = http::Request::get(
//!     "https://openapi.baidu.com/rest/2.0/smartapp/pay/paymentservice/cancelOrder?access_token=T&orderId=1&pmAppKey=MMMabc",
//! )
//! .body(bytes::Bytes::new())?;
//! let response = transport.send(request).await?;
//! assert_eq!(response.status(), 200);
//! transport.inner().assert_done();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![warn(missing_docs)]

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};

pub mod clock;
mod error;
#[cfg(feature = "hyper")]
mod hyper_transport;
mod redact;
pub mod replay;
pub mod retry;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ErrorKind, TransportError};
#[cfg(feature = "hyper")]
pub use hyper_transport::{HyperTransport, Settings, USER_AGENT};
pub use redact::{SECRET_PARAMS, is_secret_param, redact_query, redact_uri};
pub use retry::{Idempotent, Retry, RetryPolicy, is_idempotent, mark_idempotent};

/// Sends one HTTP request and returns the whole response.
///
/// Implementations own timeouts, the response-size cap and pooling, never follow redirects,
/// and return every status (a 5xx is a response, not an error).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait::async_trait]
pub trait Transport: Send + Sync + std::fmt::Debug + 'static {
    /// Sends `request` and reads the full response body.
    ///
    /// # Errors
    /// A [`TransportError`] whose kind says whether the request may have been sent.
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError>;
}

#[async_trait::async_trait]
impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        (**self).send(request).await
    }
}

#[async_trait::async_trait]
impl<T: Transport + ?Sized> Transport for Box<T> {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        (**self).send(request).await
    }
}
