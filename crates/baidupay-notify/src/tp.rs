//! The third-party-platform audit push (审核消息推送).

use baidupay_model::JsonError;
use baidupay_model::tp::TpAuditPush;

use crate::error::{NotifyError, Result};
use crate::form::{DEFAULT_MAX_BODY, check_size};

/// Parses a TP audit push (a JSON body POSTed to the TP's event URL).
///
/// **It is not signed** (seed 004 documents no signature for it), so treat it as a hint to look,
/// never as proof: before acting, confirm the step's status with the audit-status API
/// (`pay/account/auditstatus`, `paymentservice/auditstatus`), as `baidupay-tp`'s onboarding
/// helper does. Answer with the plain body `success`.
///
/// # Errors
/// [`NotifyError::BodyTooLarge`] over 64 KiB, [`NotifyError::UnsupportedContentType`] for a
/// non-JSON content type, [`NotifyError::Json`] for a body that is not the documented shape.
pub fn parse_audit_push(content_type: Option<&str>, body: &[u8]) -> Result<TpAuditPush> {
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
        let e = parse_audit_push(Some("application/json"), b"{\"step\": ").unwrap_err();
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
