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
//!   without being handled;
//! * `error`: answered, without being handled, with the error the fault names, in the shape
//!   of its fields (HTTP 200, or `status` when given; OAuth errors default to 400):
//!   * `"errno": 10003, "msg": …`: Baidu's business envelope `{"errno","msg","data":{}}`, for
//!     cashier codes and the TP codes 60000-60021 alike (`msg` defaults to the code table's);
//!   * `"error_code": 18, "error_msg": …`: the OpenAPI gateway's `{"error_code","error_msg"}`;
//!   * `"error": "invalid_client", "error_description": …`: the OAuth shape;
//!   * `"method": "alipay.trade.query", "code": "20000", "msg": …, "sub_code":
//!     "ACQ.SYSTEM_ERROR", "sub_msg": …`: the Alipay gateway's answer to that method
//!     (`{"alipay_trade_query_response":{…},"sign":…}`, signed with the sandbox's Alipay key as
//!     its other answers are), matched on the `method` parameter of requests to `/gateway.do`.
//!
//! ```json
//! {"kind": "error", "path": "/rest/2.0/smartapp/pay/account/create", "errno": 60015, "msg": "账号异常"}
//! ```
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

use baidupay_model::alipay::{AlipayCode, SubCode};
use baidupay_model::tp::TpErrorCode;
use baidupay_model::{BaiduErrno, GatewayCode};

use crate::alipay::answer::{Answer, answer_algorithm, respond};
use crate::callback::CallbackKind;
use crate::request::text_of;
use crate::respond::{
    bad_request, errno, expired_token, gateway_error, json_response, oauth_error,
};
use crate::state::Inner;
use crate::state::faults::{ErrorAnswer, Fault, Kind};
use crate::tp::common::platform_text;

/// The Alipay gateway's path.
const ALIPAY_GATEWAY: &str = "/gateway.do";
/// The most of a gateway request body read to find its `method`.
const MAX_GATEWAY_BODY: usize = 1 << 20;

/// The error a `kind: error` fault answers, from the fields of its body.
fn error_answer(v: &Value, method: Option<&str>) -> Result<ErrorAnswer, &'static str> {
    let text = |k: &str| text_of(v.get(k));
    let int = |k: &str| text(k).and_then(|t| t.parse::<i64>().ok());
    if let Some(code) = int("errno") {
        let table = match TpErrorCode::from_code(code) {
            t if t.is_known() => t.description(),
            _ => BaiduErrno::from_code(code).description(),
        };
        let msg = text("msg").unwrap_or_else(|| platform_text(table).to_owned());
        return Ok(ErrorAnswer::Errno { errno: code, msg });
    }
    if let Some(code) = int("error_code") {
        let error_msg = text("error_msg").unwrap_or_else(|| {
            platform_text(GatewayCode::from_code(code).description()).to_owned()
        });
        return Ok(ErrorAnswer::Gateway {
            error_code: code,
            error_msg,
        });
    }
    if let Some(error) = text("error") {
        return Ok(ErrorAnswer::OAuth {
            error,
            error_description: text("error_description").unwrap_or_default(),
        });
    }
    if let Some(code) = text("code") {
        if method.is_none() {
            return Err("an Alipay error (code) needs the gateway method it answers (method)");
        }
        let msg = text("msg").unwrap_or_else(|| {
            platform_text(AlipayCode::from_code(&code).description()).to_owned()
        });
        let sub_code = text("sub_code");
        let sub_msg = text("sub_msg").or_else(|| {
            sub_code
                .as_deref()
                .map(|c| platform_text(SubCode::from_code(c).description()).to_owned())
        });
        return Ok(ErrorAnswer::Alipay {
            code,
            msg,
            sub_code,
            sub_msg,
        });
    }
    Err("kind error needs errno, error_code, error, or method and code")
}

/// `POST /sandbox/faults`: arms a fault.
pub(crate) async fn arm(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("the body must be a JSON object");
    };
    let Some(kind) = v.get("kind").and_then(Value::as_str).and_then(Kind::parse) else {
        return bad_request(
            "kind must be one of delay, status, drop, token_expired, error, duplicate_callback, reorder_callback",
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
    let method = v.get("method").and_then(Value::as_str).map(str::to_owned);
    let error = match kind {
        Kind::Error => match error_answer(&v, method.as_deref()) {
            Ok(e) => Some(e),
            Err(why) => return bad_request(why),
        },
        _ => None,
    };
    let default_status = match &error {
        None => 503,
        Some(ErrorAnswer::OAuth { .. }) => 400,
        Some(_) => 200,
    };
    let count = v.get("count").and_then(Value::as_u64).unwrap_or(1);
    let status = v
        .get("status")
        .and_then(Value::as_u64)
        .unwrap_or(default_status);
    let (Ok(count), Ok(status)) = (u32::try_from(count), u16::try_from(status)) else {
        return bad_request("count or status out of range");
    };
    if count == 0 || !(100..=599).contains(&status) {
        return bad_request("count must be at least 1 and status an HTTP status");
    }
    let fault = Fault {
        id: inner.faults.next_id(),
        kind,
        path: v
            .get("path")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| method.is_some().then(|| ALIPAY_GATEWAY.to_owned())),
        method,
        callback,
        remaining: count,
        delay_ms: v.get("delay_ms").and_then(Value::as_u64).unwrap_or(1000),
        status,
        error,
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

/// The answer of a `kind: error` fault.
fn error_response(
    inner: &Inner,
    answer: ErrorAnswer,
    method: Option<String>,
    sign_type: Option<&str>,
) -> Response {
    match answer {
        ErrorAnswer::Errno { errno: code, msg } => errno(code, msg),
        ErrorAnswer::Gateway {
            error_code,
            error_msg,
        } => gateway_error(error_code, &error_msg),
        ErrorAnswer::OAuth {
            error,
            error_description,
        } => oauth_error(StatusCode::BAD_REQUEST, &error, &error_description),
        ErrorAnswer::Alipay {
            code,
            msg,
            sub_code,
            sub_msg,
        } => {
            let key = format!("{}_response", method.unwrap_or_default().replace('.', "_"));
            let mut fields = json!({"code": code, "msg": msg});
            if let Some(o) = fields.as_object_mut() {
                for (k, v) in [("sub_code", sub_code), ("sub_msg", sub_msg)] {
                    if let Some(v) = v {
                        o.insert(k.to_owned(), Value::String(v));
                    }
                }
            }
            // laid out and signed by the gateway's own `respond`; its success fields are
            // appended over `code` and `msg`, so these fields replace them
            respond(
                inner,
                &key,
                Answer::Success(fields),
                answer_algorithm(sign_type),
            )
        }
    }
}

/// `response` with its HTTP status replaced by `status`.
fn with_status(mut response: Response, status: u16) -> Response {
    if let Ok(s) = StatusCode::from_u16(status) {
        *response.status_mut() = s;
    }
    response
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
    let path = request.uri().path().to_owned();
    // a fault on an Alipay method needs the gateway's `method`, from the query or the form
    // (and its `sign_type`, which the answer is signed with)
    let (request, method, sign_type) = if path == ALIPAY_GATEWAY && inner.faults.on_methods() {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_GATEWAY_BODY).await else {
            return bad_request("the gateway request body is too large");
        };
        let pairs: Vec<(String, String)> = [parts.uri.query().unwrap_or("").as_bytes(), &bytes[..]]
            .into_iter()
            .flat_map(|source| baidupay_crypto::form::parse(source).unwrap_or_default())
            .collect();
        let find = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let (method, sign_type) = (find("method"), find("sign_type"));
        (
            Request::from_parts(parts, Body::from(bytes)),
            method,
            sign_type,
        )
    } else {
        (request, None, None)
    };
    let Some(fault) = inner.faults.for_request(&path, method.as_deref()) else {
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
        Kind::Error => match fault.error {
            Some(answer) => with_status(
                error_response(&inner, answer, method, sign_type.as_deref()),
                fault.status,
            ),
            None => next.run(request).await,
        },
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
