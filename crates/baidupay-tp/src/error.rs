//! The crate's error type.

use baidupay_model::tp::TpErrorCode;
use baidupay_openapi::OpenApiError;

/// A TP call's failure. `Display` says what failed; the cause is in
/// [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TpError {
    /// Refused before sending: a value breaks the seed's limits (the source names the field).
    #[error("invalid request")]
    Invalid(#[source] baidupay_model::Error),
    /// The call failed (token, transport, or Baidu's answer).
    #[error(transparent)]
    Call(#[from] OpenApiError),
}

impl TpError {
    /// The TP error code (60000-60021, or `Unknown`) when Baidu answered with an `errno`.
    pub fn tp_code(&self) -> Option<TpErrorCode> {
        match self {
            TpError::Call(e) => e.errno().map(TpErrorCode::from_code),
            TpError::Invalid(_) => None,
        }
    }

    /// Whether the request may have reached Baidu.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            TpError::Invalid(_) => false,
            TpError::Call(e) => e.may_have_been_sent(),
        }
    }
}

/// Shorthand for results whose error is [`TpError`].
pub type Result<T, E = TpError> = std::result::Result<T, E>;
