//! The crate's error type.

use baidupay_model::BaiduErrno;
use baidupay_openapi::OpenApiError;

/// Everything a cashier call can fail with. `Display` says what failed; the cause is in
/// [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CashierError {
    /// Refused before sending: a value breaks the platform's limits (the source names the
    /// field), or the configuration lacks what the call needs.
    #[error("invalid request")]
    Invalid(#[source] baidupay_model::Error),
    /// Signing failed (should not happen with a loaded key).
    #[error("signing failed")]
    Signing(#[source] baidupay_crypto::Error),
    /// The call failed: the token, the transport, or Baidu's answer.
    #[error(transparent)]
    Call(#[from] OpenApiError),
}

impl CashierError {
    /// Whether the request may have reached Baidu (and so may have taken effect). A refund that
    /// failed with `true` must be retried with the same `bizRefundBatchId`, never a new one.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            CashierError::Call(e) => e.may_have_been_sent(),
            CashierError::Invalid(_) | CashierError::Signing(_) => false,
        }
    }

    /// The OpenAPI failure, when the call was built and sent (or its token fetch failed).
    pub fn call(&self) -> Option<&OpenApiError> {
        match self {
            CashierError::Call(e) => Some(e),
            _ => None,
        }
    }

    /// The Baidu `errno` as a known code, when Baidu answered with one.
    pub fn baidu_errno(&self) -> Option<BaiduErrno> {
        self.call().and_then(OpenApiError::baidu_errno)
    }

    /// Whether Baidu said the access token is invalid or expired.
    pub fn is_token_expired(&self) -> bool {
        self.call().is_some_and(OpenApiError::is_token_expired)
    }

    /// What to do about Baidu's error, for the call that got it (10003 from
    /// [`crate::CashierClient::sync_order_status`] means the enterprise assets are short, not
    /// "retry later"): [`OpenApiError::remedy`].
    pub fn remedy(&self) -> Option<&'static str> {
        self.call().and_then(OpenApiError::remedy)
    }

    /// Whether Baidu's answer says that sending the same request again may succeed, for the
    /// call that got it: [`OpenApiError::is_retryable`].
    pub fn is_retryable(&self) -> bool {
        self.call().is_some_and(OpenApiError::is_retryable)
    }
}

/// Shorthand for results whose error is [`CashierError`].
pub type Result<T, E = CashierError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn the_chain_does_not_repeat_itself() {
        let e = CashierError::Invalid(baidupay_model::Error::InvalidField {
            field: "refundReason",
            reason: "must not be empty".into(),
        });
        let cause = e.source().map(ToString::to_string).unwrap_or_default();
        assert_eq!(e.to_string(), "invalid request");
        assert!(cause.contains("refundReason"), "{cause}");
        assert!(!e.may_have_been_sent());
    }
}
