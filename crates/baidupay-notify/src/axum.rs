//! axum route helpers (feature `axum`): mount a verified callback endpoint in one line, and
//! [`serve`] it with read timeouts and a connection cap.
//!
//! ```
//! use baidupay_notify::axum::{alipay_route, baidu_route, tp_event_route};
//! use baidupay_notify::http::BaiduAnswer;
//! use baidupay_notify::{AlipayNotifier, BaiduKind, BaiduNotifier, BaiduCallback, PaymentAck};
//! use baidupay_notify::{TpEvent, TpEventKeys};
//! # fn build(baidu: BaiduNotifier, alipay: AlipayNotifier, tp: TpEventKeys) -> axum::Router {
//! axum::Router::new()
//!     .route("/notify/baidu/pay", baidu_route(baidu, BaiduKind::Payment, |cb: BaiduCallback| async move {
//!         // record it idempotently (orderId), then:
//!         BaiduAnswer::Payment(PaymentAck::consumed())
//!     }))
//!     .route("/notify/alipay", alipay_route(alipay, |_trade| async move { true }))
//!     .route("/notify/tp", tp_event_route(tp, |event: TpEvent| async move {
//!         // store the ticket, the authorization code or the audit result, then:
//!         true
//!     }))
//! # }
//! ```
//!
//! # Serving
//!
//! A callback endpoint faces the internet unauthenticated, and the platforms give up on a
//! callback after a few failed attempts: a client that holds connections open must not make
//! the endpoint unreachable. `axum::serve` has no read timeout nor connection cap, so serve
//! the router with [`serve`] instead: it closes a connection whose request head is not in
//! after [`ServerLimits::header_read_timeout`] (also the idle keep-alive timeout), fails a
//! body not in after [`ServerLimits::body_read_timeout`], refuses bodies over
//! [`ServerLimits::max_body_bytes`] and answers `503` at once to connections over
//! [`ServerLimits::max_connections`]. The defaults fit the platforms' 2-second budget.
//!
//! ```no_run
//! use baidupay_notify::axum::{ServerLimits, serve};
//! # async fn run(router: axum::Router, stop: tokio::sync::oneshot::Receiver<()>) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! serve(listener, router, ServerLimits::default().max_connections(2_000))
//!     .with_graceful_shutdown(async move {
//!         let _ = stop.await;
//!     })
//!     .await;
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Response, StatusCode};
use axum::routing::{MethodRouter, post};
use baidupay_model::alipay::TradeNotification;

use crate::error::NotifyError;
use crate::http::{BaiduAnswer, json_response, refused_response, text_response};
use crate::{AlipayNotifier, BaiduCallback, BaiduKind, BaiduNotifier, TpEvent, TpEventKeys};

mod server;

pub use server::{Serve, ServerLimits, WithGracefulShutdown, serve};

/// Splits the request without copying its headers and reads the body up to the cap (one byte
/// over the cap is read so that the notifier reports `BodyTooLarge`). A body that [`serve`]'s
/// read deadline cut off is answered `408`.
async fn read(request: Request) -> Result<(HeaderMap, axum::body::Bytes), Response<Body>> {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, crate::DEFAULT_MAX_BODY + 1).await {
        Ok(bytes) => Ok((parts.headers, bytes)),
        Err(e) => {
            let (status, text) = if timed_out(&e) {
                (StatusCode::REQUEST_TIMEOUT, "body not received in time")
            } else {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body too large or unreadable",
                )
            };
            let mut r = Response::new(Body::from(text));
            *r.status_mut() = status;
            Err(r)
        }
    }
}

/// Whether a body read failed on a read deadline (tower-http's `TimeoutError` anywhere in the
/// chain of sources).
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        next = e.source();
    }
    false
}

fn refused(kind: &'static str, e: &NotifyError) -> Response<Body> {
    if e.is_forgery_suspect() {
        tracing::warn!(callback = kind, error = %e, "callback refused: signature");
    } else {
        tracing::info!(callback = kind, error = %e, "callback refused: malformed");
    }
    refused_response(e).map(Body::from)
}

/// Reads a callback POSTed as a form and parses it with `parse`, or the answer that refuses it.
async fn read_form<T>(
    request: Request,
    kind: &'static str,
    parse: impl FnOnce(&[u8]) -> Result<T, NotifyError>,
) -> Result<T, Response<Body>> {
    let (headers, body) = read(request).await?;
    crate::form::check_form_content_type(crate::http::content_type_of(&headers))
        .and_then(|()| parse(&body))
        .map_err(|e| refused(kind, &e))
}

/// A `POST` route for one kind of Baidu callback: verifies and parses the raw body, runs
/// `handler` only on a verified callback, and answers with its [`BaiduAnswer`] (refused
/// requests get [`refused_response`]).
pub fn baidu_route<S, F, Fut>(
    notifier: BaiduNotifier,
    kind: BaiduKind,
    handler: F,
) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    F: Fn(BaiduCallback) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = BaiduAnswer> + Send + 'static,
{
    let notifier = Arc::new(notifier);
    post(move |request: Request| {
        let (notifier, handler) = (notifier.clone(), handler.clone());
        async move {
            match read_form(request, "baidu", |body| notifier.parse(kind, body)).await {
                Ok(cb) => json_response(handler(cb).await.to_json()).map(Body::from),
                Err(refusal) => refusal,
            }
        }
    })
}

/// A `POST` route for Alipay trade notifies: verifies and parses the raw body, runs `handler`
/// only on a verified notify, and answers `success` when it returns `true` (anything else
/// makes Alipay resend).
pub fn alipay_route<S, F, Fut>(notifier: AlipayNotifier, handler: F) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    F: Fn(TradeNotification) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let notifier = Arc::new(notifier);
    post(move |request: Request| {
        let (notifier, handler) = (notifier.clone(), handler.clone());
        async move {
            match read_form(request, "alipay", |body| notifier.trade(body)).await {
                Ok(n) => {
                    let body = if handler(n).await {
                        crate::ALIPAY_ACK
                    } else {
                        "failure"
                    };
                    text_response(body).map(Body::from)
                }
                Err(refusal) => refusal,
            }
        }
    })
}

/// A `POST` route for TP event messages (ticket push, authorization events, payment audit
/// pushes): verifies the envelope's signature, decrypts it, checks the TP id, runs `handler` only
/// on an authentic event, and answers `success` when it returns `true` (`failure` with 500
/// otherwise, and 400 `failure` for a refused envelope: the platform resends both).
pub fn tp_event_route<S, F, Fut>(keys: TpEventKeys, handler: F) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    F: Fn(TpEvent) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let keys = Arc::new(keys);
    post(move |request: Request| {
        let (keys, handler) = (keys.clone(), handler.clone());
        async move {
            let body = match read(request).await {
                Ok((_, body)) => body,
                Err(r) => return r,
            };
            match keys.open(&body) {
                Ok(event) => crate::http::tp_event_answer(handler(event).await).map(Body::from),
                Err(e) => {
                    if e.is_authentication_failure() {
                        tracing::warn!(callback = "tp-event", error = %e, "TP event refused: not authentic");
                    } else {
                        tracing::info!(callback = "tp-event", error = %e, "TP event refused: malformed");
                    }
                    crate::http::tp_event_refused_response(&e).map(Body::from)
                }
            }
        }
    })
}
