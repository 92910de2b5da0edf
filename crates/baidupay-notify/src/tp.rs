//! The third-party-platform audit push (审核消息推送), sealed (the platform's envelope) or, for
//! local tests only, plain.

use baidupay_model::JsonError;
use baidupay_model::tp::TpAuditPush;

use crate::error::{NotifyError, Result, TpEventError};
use crate::form::{DEFAULT_MAX_BODY, check_size};
use crate::tp_event::{TpEvent, TpEventKeys};

/// Opens a TP payment audit push: the platform's signed and encrypted envelope (see
/// [`TpEventKeys`]), verified and decrypted with the TP's keys, and required to be one of the
/// `APP_PAYMENT_*` audit events of seed 004. Answer with the plain body [`TP_ACK`].
///
/// To handle every TP event (ticket, authorization, audit) at one URL, use
/// [`TpEventKeys::open`] and match on [`crate::TpEvent`].
///
/// # Errors
/// Everything [`TpEventKeys::open`] refuses (a plain-JSON push is
/// [`TpEventError::NotEnvelope`]), and [`TpEventError::UnexpectedEvent`] for an authentic event
/// that is not a payment audit push.
pub fn parse_audit_push(keys: &TpEventKeys, body: &[u8]) -> Result<TpAuditPush, TpEventError> {
    match keys.open(body)? {
        TpEvent::PaymentAudit(p) => Ok(p.push),
        other => Err(TpEventError::UnexpectedEvent {
            found: other.event_name().to_owned(),
            expected: "payment audit push",
        }),
    }
}

/// Parses a **plain-JSON, unauthenticated** TP audit push: anyone who knows the URL can post
/// one. Meant for local tests and the sandbox; the platform encrypts and signs its pushes, so
/// production code uses [`parse_audit_push`].
///
/// Even then, treat a push as a hint to look, never as proof: before acting, confirm the step's
/// status with the audit-status API (`pay/account/auditstatus`, `paymentservice/auditstatus`),
/// as `baidupay-tp`'s onboarding helper does.
///
/// # Errors
/// [`NotifyError::BodyTooLarge`] over 64 KiB, [`NotifyError::UnsupportedContentType`] for a
/// non-JSON content type, [`NotifyError::Json`] for a body that is not the documented shape.
pub fn parse_audit_push_unauthenticated(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<TpAuditPush> {
    check_size(body, DEFAULT_MAX_BODY)?;
    if let Some(ct) = content_type {
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !(mime.is_empty()
            || mime.eq_ignore_ascii_case("application/json")
            || mime.eq_ignore_ascii_case("text/plain"))
        {
            return Err(NotifyError::UnsupportedContentType {
                found: ct.chars().take(80).collect(),
                expected: "application/json",
            });
        }
    }
    serde_json::from_slice(body).map_err(|e| NotifyError::Json(JsonError::from(e)))
}

/// The answer to a TP push: the plain body `success`.
pub const TP_ACK: &str = "success";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_json_is_typed_and_its_chain_does_not_repeat() {
        let e =
            parse_audit_push_unauthenticated(Some("application/json"), b"{\"step\": ").unwrap_err();
        let NotifyError::Json(json) = &e else {
            panic!("not a JSON error: {e:?}");
        };
        assert_eq!((json.line(), json.column()), (1, 9));
        assert_eq!(e.to_string(), "cannot decode the callback JSON");
        let chain: Vec<String> =
            std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
                .map(ToString::to_string)
                .collect();
        assert_eq!(chain.len(), 2, "{chain:?}");
        for pair in chain.windows(2) {
            assert!(
                !pair[0].contains(&pair[1]),
                "{} repeats {}",
                pair[0],
                pair[1]
            );
        }
    }
}
