//! Fault injection: `POST /sandbox/faults` arms a fault for the next N matching requests or
//! callbacks, so that tests can show that retries and idempotency hold (no lost payment, no
//! double refund).
//!
//! ```json
//! {"kind": "status", "path": "/rest/2.0/smartapp/pay/paymentservice/findByTpOrderId", "count": 2, "status": 503}
//! ```
//!
//! Request faults (matched by `path`, a prefix of the request path; without one, any API path
//! outside `/sandbox/`):
//! * `delay`: the request waits `delay_ms` (default 1000) before it is handled;
//! * `status`: answered with `status` (default 503) without being handled;
//! * `drop`: handled (its effects happen), then the connection is cut before the answer is
//!   complete: the client cannot know whether it worked;
//! * `token_expired`: answered with the gateway's "Access token expired" (`error_code` 111)
//!   without being handled.
//!
//! Callback faults (matched by `callback`: `payment`, `refund-audit`, `refund`,
//! `alipay-trade`, `tp-audit`; without one, any):
//! * `duplicate_callback`: once acknowledged, the same callback is delivered again;
//! * `reorder_callback`: the callback is held back `delay_ms` (default 1000), so that callbacks
//!   sent after it arrive first.
//!
//! `GET /sandbox/faults` lists what is armed (with the count left); `DELETE /sandbox/faults`
//! disarms everything.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::callback::CallbackKind;
use crate::respond::{bad_request, expired_token, json_response};
use crate::state::Inner;
use crate::state::faults::{Fault, Kind};

/// `POST /sandbox/faults`: arms a fault.
pub(crate) async fn arm(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("the body must be a JSON object");
    };
    let Some(kind) = v.get("kind").and_then(Value::as_str).and_then(Kind::parse) else {
        return bad_request(
            "kind must be one of delay, status, drop, token_expired, duplicate_callback, reorder_callback",
        );
    };
    let callback = match v.get("callback").and_then(Value::as_str) {
        None => None,
        Some(name) => match CallbackKind::parse(name) {
            Some(k) => Some(k),
            None => {
                return bad_request(format!(
                    "callback {name:?}: payment, refund-audit, refund or alipay-trade"
                ));
            }
        },
    };
    let count = v.get("count").and_then(Value::as_u64).unwrap_or(1);
    let status = v.get("status").and_then(Value::as_u64).unwrap_or(503);
    let (Ok(count), Ok(status)) = (u32::try_from(count), u16::try_from(status)) else {
        return bad_request("count or status out of range");
    };
    if count == 0 || !(100..=599).contains(&status) {
        return bad_request("count must be at least 1 and status an HTTP status");
    }
    let fault = Fault {
        id: inner.faults.next_id(),
        kind,
        path: v.get("path").and_then(Value::as_str).map(str::to_owned),
        callback,
        remaining: count,
        delay_ms: v.get("delay_ms").and_then(Value::as_u64).unwrap_or(1000),
        status,
    };
    let shown = serde_json::to_value(&fault).unwrap_or(Value::Null);
    inner.faults.arm(fault);
    json_response(StatusCode::CREATED, &shown)
}

/// `GET /sandbox/faults`: what is armed.
pub(crate) async fn list(State(inner): State<Arc<Inner>>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::to_value(inner.faults.armed()).unwrap_or(Value::Null),
    )
}

/// `DELETE /sandbox/faults`: disarms everything.
pub(crate) async fn clear(State(inner): State<Arc<Inner>>) -> Response {
    inner.faults.clear();
    json_response(StatusCode::OK, &json!([]))
}

/// A body that fails at once: hyper cuts the connection instead of completing the answer.
struct Cut;

impl http_body::Body for Cut {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "sandbox fault: connection dropped",
        ))))
    }
}

/// The middleware that applies request faults.
pub(crate) async fn layer(
    State(inner): State<Arc<Inner>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(fault) = inner.faults.for_request(request.uri().path()) else {
        return next.run(request).await;
    };
    tracing::info!(kind = ?fault.kind, path = %request.uri().path(), "sandbox fault");
    match fault.kind {
        Kind::Delay => {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
            next.run(request).await
        }
        Kind::Status => {
            let status =
                StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            (status, "sandbox fault: injected status").into_response()
        }
        Kind::TokenExpired => expired_token(),
        Kind::Drop => {
            // the request is handled (its effects stay), only the answer is lost
            let handled = next.run(request).await;
            let (mut parts, _) = handled.into_parts();
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::new(Cut))
        }
        Kind::DuplicateCallback | Kind::ReorderCallback => next.run(request).await,
    }
}
