//! Signed callbacks to the merchant, retried until the exact answer comes back, each attempt
//! recorded and listed by `GET /sandbox/deliveries`.
//!
//! The Baidu cashier's callbacks follow the platform's schedules, scaled by
//! [`SandboxConfig::time_scale`](crate::SandboxConfig::time_scale): the payment notify is sent
//! once and retried 3 times, 2 minutes apart ([`PAYMENT_ATTEMPTS`]; the caller locks the order
//! after the last); the refund audit is asked again every 5 minutes while the answer is
//! "undecided" (`auditStatus` 3); a wrong answer to an audit or a refund notify is retried
//! after 2, 4, 10, 30 minutes and then every hour, without limit (`baidu-cashier.md` §6.2,
//! §6.3). The Alipay and TP callbacks follow `SandboxConfig::retry_schedule`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use baidupay_crypto::{Rules, canonical_string, form};
use baidupay_model::callback::{AuditStatus, PaymentAck, RefundAuditAnswer, RefundNotifyAck};
use bytes::Bytes;
use serde_json::Value;

use crate::callback::{CallbackKind, Delivery};
use crate::request::params;
use crate::respond::json_response;
use crate::state::Inner;
use crate::state::faults::Kind;
use crate::store::{Change, OwedRow};
use crate::sync::lock;

/// What an acknowledged callback answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Payment(PaymentAck),
    Audit(RefundAuditAnswer),
    Refund,
    Alipay,
}

/// Signs `pairs` as the platform does (every field but `rsaSign`) and returns the form body.
pub(crate) fn signed_form(inner: &Inner, mut pairs: Vec<(String, String)>) -> String {
    let signed = canonical_string(Rules::BaiduCallback, pairs.iter().map(|(k, v)| (k, v)))
        .and_then(|s| inner.signer.sign_base64(s.as_bytes()));
    match signed {
        Ok(sig) => pairs.push(("rsaSign".to_owned(), sig)),
        // cannot happen with distinct names and a loaded key; an unsigned notify is refused
        // by any merchant, which the delivery log then shows
        Err(e) => tracing::error!(error = %e, "sandbox could not sign a callback"),
    }
    form::encode(pairs.iter().map(|(k, v)| (k, v)))
}

/// The payment notify's attempts: the first and three retries (seed 000).
pub(crate) const PAYMENT_ATTEMPTS: u32 = 4;

/// Minutes between a payment notify's attempts (the 2.0 notify doc's "every 2 minutes").
const PAYMENT_RETRY_MINUTES: u64 = 2;

/// Minutes before the refund audit is asked again after "undecided".
const UNDECIDED_MINUTES: u64 = 5;

/// Minutes before each retry of a wrongly answered audit or refund notify; the last repeats.
const LADDER_MINUTES: [u64; 5] = [2, 4, 10, 30, 60];

/// Why an answer is not an acknowledgement; `undecided`: a refund audit answered
/// `auditStatus` 3, asked again on its own rhythm.
#[derive(Debug)]
struct Refusal {
    why: String,
    undecided: bool,
}

impl From<String> for Refusal {
    fn from(why: String) -> Self {
        Self {
            why,
            undecided: false,
        }
    }
}

fn judge(kind: CallbackKind, status: u16, body: &[u8]) -> Result<Answer, Refusal> {
    judged(kind, status, body).map_err(|(why, undecided)| Refusal { why, undecided })
}

fn judged(kind: CallbackKind, status: u16, body: &[u8]) -> Result<Answer, (String, bool)> {
    let no = |why: String| (why, false);
    if !(200..300).contains(&status) {
        return Err(no(format!(
            "HTTP {status}: the platform needs 200 with the exact JSON answer"
        )));
    }
    match kind {
        CallbackKind::Payment => PaymentAck::parse(body)
            .map(Answer::Payment)
            .map_err(|e| no(format!("not the payment ack {{\"errno\":0,\"msg\":\"success\",\"data\":{{\"isConsumed\":2}}}}: {e}"))),
        CallbackKind::RefundAudit => match RefundAuditAnswer::parse(body) {
            Ok(a) if a.audit_status == AuditStatus::Undecided => Err((
                "auditStatus 3 (undecided): the platform asks again in 5 minutes".to_owned(),
                true,
            )),
            Ok(a) => Ok(Answer::Audit(a)),
            Err(e) => Err(no(format!("not a refund-audit answer: {e}"))),
        },
        CallbackKind::AlipayTrade
        | CallbackKind::TpAudit
        | CallbackKind::TpTicket
        | CallbackKind::TpAuthorization => {
            if body == b"success" {
                Ok(Answer::Alipay)
            } else {
                Err(no("not `success` (exactly these 7 characters): the platform sends it again".to_owned()))
            }
        }
        CallbackKind::Refund => RefundNotifyAck::parse(body)
            .map(|_| Answer::Refund)
            .map_err(|e| no(format!("not the refund ack {{\"errno\":0,\"msg\":\"success\",\"data\":{{}}}}: {e}"))),
    }
}

/// A callback owed by a change: stored with it (`store::Change::Owed`), then sent by
/// [`send_owed`]; a restart sends again what was not acknowledged.
pub(crate) fn owed(
    inner: &Inner,
    kind: CallbackKind,
    key: String,
    url: String,
    body: String,
) -> OwedRow {
    OwedRow {
        id: inner.next_id(),
        kind,
        key,
        url,
        body,
    }
}

/// Delivers an owed callback (see [`deliver`]); once it is acknowledged it is no longer owed.
pub(crate) async fn send_owed(inner: Arc<Inner>, o: OwedRow) -> Option<Answer> {
    let answer = deliver(inner.clone(), o.kind, o.key, o.url, o.body).await;
    if answer.is_some() {
        // failing, a restart sends it once more: every receiver must take a repeat anyway
        inner.persist(|db, next| db.apply(&[Change::Acknowledged(o.id)], next));
    }
    answer
}

/// Sends again the callbacks a loaded database still owed (a fresh retry schedule).
pub(crate) fn resume_owed(inner: &Arc<Inner>) {
    let owed = std::mem::take(&mut *lock(&inner.owed));
    for o in owed {
        tracing::info!(kind = o.kind.name(), url = %o.url, "resuming an owed callback");
        tokio::spawn(send_owed(inner.clone(), o));
    }
}

/// POSTs `body` to `url` on its schedule until it is acknowledged; `None` when every
/// attempt failed. An armed callback fault holds it back first (`reorder_callback`) or
/// delivers it once more after the acknowledgement (`duplicate_callback`).
pub(crate) async fn deliver(
    inner: Arc<Inner>,
    kind: CallbackKind,
    app_key: String,
    url: String,
    body: String,
) -> Option<Answer> {
    deliver_from(inner, kind, app_key, url, body, 1).await
}

/// [`deliver`], its attempts numbered from `first` (a resumed payment notify goes on with the
/// attempts it has left).
pub(crate) async fn deliver_from(
    inner: Arc<Inner>,
    kind: CallbackKind,
    app_key: String,
    url: String,
    body: String,
    first: u32,
) -> Option<Answer> {
    let fault = inner.faults.for_callback(kind);
    if let Some(f) = &fault
        && f.kind == Kind::ReorderCallback
    {
        tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
    }
    let answer = attempts(&inner, kind, &app_key, &url, &body, first).await;
    if answer.is_some()
        && fault
            .as_ref()
            .is_some_and(|f| f.kind == Kind::DuplicateCallback)
    {
        // the platform sends it again although it was acknowledged: the merchant must answer
        // the same and apply nothing twice
        let _ = attempts(&inner, kind, &app_key, &url, &body, 2).await;
    }
    answer
}

/// The delay before attempt `attempt` of `kind`, the `n`th (from 0) of this run; none: no
/// more attempts. `retries` counts the wrong answers so far, `undecided` says the last one was
/// an undecided audit.
fn delay_before(
    inner: &Inner,
    kind: CallbackKind,
    (attempt, n): (u32, usize),
    retries: usize,
    undecided: bool,
) -> Option<Duration> {
    let config = &inner.config;
    match kind {
        CallbackKind::Payment if attempt > PAYMENT_ATTEMPTS => None,
        _ if n == 0 && is_baidu(kind) => Some(Duration::ZERO),
        CallbackKind::Payment => Some(config.scaled_minutes(PAYMENT_RETRY_MINUTES)),
        CallbackKind::RefundAudit if undecided => Some(config.scaled_minutes(UNDECIDED_MINUTES)),
        CallbackKind::RefundAudit | CallbackKind::Refund => {
            let step = retries.saturating_sub(1).min(LADDER_MINUTES.len() - 1);
            Some(config.scaled_minutes(LADDER_MINUTES.get(step).copied().unwrap_or(60)))
        }
        _ => config.retry_schedule.get(n).copied(),
    }
}

/// Whether the Baidu cashier sends it (on the platform's schedules).
fn is_baidu(kind: CallbackKind) -> bool {
    matches!(
        kind,
        CallbackKind::Payment | CallbackKind::RefundAudit | CallbackKind::Refund
    )
}

/// One run of the schedule; attempts are numbered from `first`.
async fn attempts(
    inner: &Arc<Inner>,
    kind: CallbackKind,
    app_key: &str,
    url: &str,
    body: &str,
    first: u32,
) -> Option<Answer> {
    let (mut retries, mut undecided) = (0usize, false);
    for (n, attempt) in (first..).enumerate() {
        let delay = delay_before(inner, kind, (attempt, n), retries, undecided)?;
        if delay > Duration::ZERO {
            tokio::time::sleep(delay).await;
        }
        let content_type = if kind.to_tp() {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        let request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, content_type)
            .body(Bytes::from(body.to_owned()));
        let (status, response, verdict) = match request {
            Err(e) => (
                None,
                e.to_string(),
                Err(Refusal::from(format!("bad callback URL: {e}"))),
            ),
            Ok(request) => match inner.http.send(request).await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let text: String = String::from_utf8_lossy(r.body())
                        .chars()
                        .take(1000)
                        .collect();
                    (Some(status), text, judge(kind, status, r.body()))
                }
                Err(e) => (
                    None,
                    e.to_string(),
                    Err(Refusal::from(format!(
                        "no answer within {} ms (callback_timeout; the platform's is 2 s): {e}",
                        inner.config.callback_timeout.as_millis()
                    ))),
                ),
            },
        };
        let acknowledged = verdict.is_ok();
        let last = !acknowledged && kind == CallbackKind::Payment && attempt >= PAYMENT_ATTEMPTS;
        inner.record(Delivery {
            id: 0,
            kind,
            app_key: app_key.to_owned(),
            url: url.to_owned(),
            body: body.to_owned(),
            attempt,
            status,
            response,
            acknowledged,
            reason: match &verdict {
                Ok(_) => "acknowledged".to_owned(),
                Err(r) if last => format!(
                    "{}; attempt {attempt} of {PAYMENT_ATTEMPTS} failed, the last: the order is locked \
                     '已付款' for good (it cannot be consumed, its money never reaches the \
                     enterprise assets, a refund of it is refused)",
                    r.why
                ),
                Err(r) => r.why.clone(),
            },
        });
        match verdict {
            Ok(answer) => return Some(answer),
            Err(r) => {
                undecided = r.undecided;
                if !r.undecided {
                    retries = retries.saturating_add(1);
                }
            }
        }
    }
    None
}

/// `GET /sandbox/deliveries[?app_key=]`: every callback attempt (of one merchant).
pub(crate) async fn list(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), None);
    let all = lock(&inner.deliveries);
    let list: Vec<&Delivery> = all
        .iter()
        .filter(|d| p.get("app_key").is_none_or(|k| *k == d.app_key))
        .collect();
    json_response(
        StatusCode::OK,
        &serde_json::to_value(list).unwrap_or(Value::Null),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_answers_count() {
        let ok = br#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#;
        assert!(judge(CallbackKind::Payment, 200, ok).is_ok());
        assert!(judge(CallbackKind::Payment, 500, ok).is_err());
        assert!(judge(CallbackKind::Payment, 200, b"success").is_err());
        assert!(
            judge(
                CallbackKind::Payment,
                200,
                br#"{"errno":0,"msg":"success","data":{}}"#
            )
            .is_err()
        );
        assert!(
            judge(
                CallbackKind::Refund,
                200,
                br#"{"errno":0,"msg":"success","data":{}}"#
            )
            .is_ok()
        );
        assert!(judge(CallbackKind::AlipayTrade, 200, b"success").is_ok());
        assert!(judge(CallbackKind::TpTicket, 200, b"success").is_ok());
        assert!(judge(CallbackKind::TpAuthorization, 200, b"fail").is_err());
        for no in [&b"success\n"[..], b"SUCCESS", b"\"success\"", b"fail"] {
            assert!(judge(CallbackKind::AlipayTrade, 200, no).is_err());
        }
        let undecided = br#"{"errno":0,"msg":"success","data":{"auditStatus":3,"calculateRes":{"refundPayMoney":0}}}"#;
        assert!(judge(CallbackKind::RefundAudit, 200, undecided).is_err());
        let approved = br#"{"errno":0,"msg":"success","data":{"auditStatus":1,"calculateRes":{"refundPayMoney":100}}}"#;
        assert!(matches!(
            judge(CallbackKind::RefundAudit, 200, approved),
            Ok(Answer::Audit(a)) if a.audit_status == AuditStatus::Approved
        ));
    }
}
