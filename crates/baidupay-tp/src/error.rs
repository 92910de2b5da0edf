//! The crate's error type.

use baidupay_cashier::CashierError;
use baidupay_model::tp::TpErrorCode;

/// A TP call's failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TpError {
    /// Refused before sending: a value breaks the seed's limits (the error names the field).
    #[error("invalid request: {0}")]
    Invalid(#[source] baidupay_model::Error),
    /// The call failed (token, transport, or Baidu's answer).
    #[error(transparent)]
    Call(#[from] CashierError),
}

impl TpError {
    /// The TP error code (60000-60021, or `Unknown`) when Baidu answered with an `errno`.
    pub fn tp_code(&self) -> Option<TpErrorCode> {
        match self {
            TpError::Call(CashierError::Api {
                source: baidupay_model::envelope::ApiError::Errno { errno, .. },
                ..
            }) => Some(TpErrorCode::from_code(*errno)),
            _ => None,
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
