//! Framework-agnostic glue: `http::Request<Bytes>` in, `http::Response<Bytes>` out.

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};

use baidupay_model::callback::{PaymentAck, RefundAuditAnswer, RefundNotifyAck, RetryAnswer};

use baidupay_model::alipay::TradeNotification;

use crate::alipay::{ALIPAY_ACK, AlipayNotifier};
use crate::baidu::{BaiduCallback, BaiduKind, BaiduNotifier};
use crate::error::{NotifyError, TpEventError};
use crate::tp_event::{TpEvent, TpEventKeys};

/// The request's `Content-Type`, if it is valid text.
pub fn content_type<B>(request: &Request<B>) -> Option<&str> {
    content_type_of(request.headers())
}

/// The `Content-Type` of these headers, if it is valid text.
pub fn content_type_of(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// What the merchant answers to a verified Baidu callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaiduAnswer {
    /// Payment notify handled.
    Payment(PaymentAck),
    /// Refund-audit decision.
    RefundAudit(RefundAuditAnswer),
    /// Refund notify handled.
    Refund,
    /// Could not handle it now (database down…): Baidu will retry.
    Retry(RetryAnswer),
}

impl BaiduAnswer {
    /// The exact JSON body.
    pub fn to_json(&self) -> String {
        match self {
            BaiduAnswer::Payment(a) => a.to_json(),
            BaiduAnswer::RefundAudit(a) => a.to_json(),
            BaiduAnswer::Refund => RefundNotifyAck.to_json(),
            BaiduAnswer::Retry(a) => a.to_json(),
        }
    }
}

/// A `200 OK` response with a JSON body.
pub fn json_response(body: String) -> Response<Bytes> {
    respond(StatusCode::OK, "application/json", body)
}

/// A `200 OK` response with a plain-text body (Alipay's and the TP push's `success`).
pub fn text_response(body: &'static str) -> Response<Bytes> {
    respond(StatusCode::OK, "text/plain; charset=utf-8", body.to_owned())
}

fn respond(status: StatusCode, ct: &'static str, body: String) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    r
}

/// The response to a refused callback: 400 with a Baidu-style failure body (`errno` 1), so the
/// platform retries a genuine callback that failed for a fixable reason (a wrong key configured)
/// and a forger learns nothing beyond "refused".
pub fn refused_response(err: &NotifyError) -> Response<Bytes> {
    let reason = if err.is_forgery_suspect() {
        "signature verification failed"
    } else {
        "malformed callback"
    };
    respond(
        StatusCode::BAD_REQUEST,
        "application/json",
        RetryAnswer::new(reason).to_json(),
    )
}

/// Verifies and parses a Baidu callback request, hands it to `handler`, and builds the answer.
///
/// `handler` runs only on a verified callback. Refused requests get [`refused_response`];
/// the error is passed to `on_refused` first (log it; alert on
/// [`NotifyError::is_forgery_suspect`]).
pub fn handle_baidu<H, R>(
    notifier: &BaiduNotifier,
    kind: BaiduKind,
    request: &Request<Bytes>,
    handler: H,
    on_refused: R,
) -> Response<Bytes>
where
    H: FnOnce(BaiduCallback) -> BaiduAnswer,
    R: FnOnce(&NotifyError),
{
    let parsed = crate::form::check_form_content_type(content_type(request))
        .and_then(|()| notifier.parse(kind, request.body()));
    match parsed {
        Ok(cb) => json_response(handler(cb).to_json()),
        Err(e) => {
            on_refused(&e);
            refused_response(&e)
        }
    }
}

/// Verifies and parses an Alipay trade notify request, hands it to `handler`, and answers
/// `success` when the handler returns `true` (anything else makes Alipay resend). Refused
/// requests get [`refused_response`] after `on_refused` saw the error.
pub fn handle_alipay<H, R>(
    notifier: &AlipayNotifier,
    request: &Request<Bytes>,
    handler: H,
    on_refused: R,
) -> Response<Bytes>
where
    H: FnOnce(TradeNotification) -> bool,
    R: FnOnce(&NotifyError),
{
    let parsed = crate::form::check_form_content_type(content_type(request))
        .and_then(|()| notifier.trade(request.body()));
    match parsed {
        Ok(n) => text_response(if handler(n) { ALIPAY_ACK } else { "failure" }),
        Err(e) => {
            on_refused(&e);
            refused_response(&e)
        }
    }
}

/// The plain answer that makes the platform resend a TP push.
const TP_FAILURE: &str = "failure";

/// The response to a refused TP event envelope: 400 with the plain body `failure` (not
/// `success`), so the platform resends a genuine push that failed for a fixable reason (a wrong
/// token or key configured) and a forger learns nothing beyond "refused".
pub fn tp_event_refused_response(_err: &TpEventError) -> Response<Bytes> {
    respond(
        StatusCode::BAD_REQUEST,
        "text/plain; charset=utf-8",
        TP_FAILURE.to_owned(),
    )
}

/// The answer to a verified TP event: `success` when it was handled, else 500 with the plain
/// body `failure`, which makes the platform resend it.
pub fn tp_event_answer(handled: bool) -> Response<Bytes> {
    if handled {
        text_response(crate::tp::TP_ACK)
    } else {
        respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            TP_FAILURE.to_owned(),
        )
    }
}

/// Verifies, decrypts and parses a TP event request (ticket push, authorization event, payment
/// audit push), hands the event to `handler`, and answers with [`tp_event_answer`] of what it
/// returns. Refused envelopes get [`tp_event_refused_response`] after `on_refused` saw the error
/// (log it; alert on [`TpEventError::is_authentication_failure`]).
pub fn handle_tp_event<H, R>(
    keys: &TpEventKeys,
    request: &Request<Bytes>,
    handler: H,
    on_refused: R,
) -> Response<Bytes>
where
    H: FnOnce(TpEvent) -> bool,
    R: FnOnce(&TpEventError),
{
    match keys.open(request.body()) {
        Ok(event) => tp_event_answer(handler(event)),
        Err(e) => {
            on_refused(&e);
            tp_event_refused_response(&e)
        }
    }
}
