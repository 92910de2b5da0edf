//! The crate's error type.

use baidupay_model::tp::TpErrorCode;
use baidupay_openapi::OpenApiError;

use crate::store::StoreError;

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
    /// The token store failed (the source says how).
    #[error("the token store failed")]
    Store(#[from] StoreError),
    /// No authorizer tokens are stored for this mini program: authorize it first
    /// ([`crate::TpAuth::authorize`]).
    #[error("mini program {app_id} is not authorized: no authorizer tokens are stored")]
    NotAuthorized {
        /// The mini program.
        app_id: u64,
    },
    /// Another holder's token refresh did not finish while this caller waited (twice the
    /// lease), and its lease had not run out by this caller's clock.
    #[error("timed out waiting for another process's token refresh")]
    RefreshBusy {
        /// When the other holder's lease runs out (Unix seconds).
        until: i64,
    },
}

impl TpError {
    /// The TP error code (60000-60021, or `Unknown`) when Baidu answered with an `errno`.
    pub fn tp_code(&self) -> Option<TpErrorCode> {
        match self {
            TpError::Call(e) => e.errno().map(TpErrorCode::from_code),
            _ => None,
        }
    }

    /// The OpenAPI failure, when the call was built and sent (or its token fetch failed).
    pub fn call(&self) -> Option<&OpenApiError> {
        match self {
            TpError::Call(e) => Some(e),
            _ => None,
        }
    }

    /// What to do about Baidu's error (a TP code's remedy, or a cashier code's for the `tp/`
    /// pay APIs, for the call that got it): [`OpenApiError::remedy`].
    pub fn remedy(&self) -> Option<&'static str> {
        self.call().and_then(OpenApiError::remedy)
    }

    /// Whether Baidu's answer says that sending the same request again may succeed:
    /// [`OpenApiError::is_retryable`].
    pub fn is_retryable(&self) -> bool {
        self.call().is_some_and(OpenApiError::is_retryable)
    }

    /// Whether the request may have reached Baidu.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            TpError::Call(e) => e.may_have_been_sent(),
            TpError::Invalid(_)
            | TpError::Store(_)
            | TpError::NotAuthorized { .. }
            | TpError::RefreshBusy { .. } => false,
        }
    }

    /// This error as a [`baidupay_openapi::TokenProvider`] reports it: a call's own error as
    /// it is, anything else as [`OpenApiError::NotReady`] for `operation` (logged first, with
    /// its cause, since `NotReady` cannot carry it).
    pub(crate) fn into_openapi(self, operation: &'static str) -> OpenApiError {
        let missing = match &self {
            TpError::Call(_) => "",
            TpError::NotAuthorized { .. } => {
                "the mini program is not authorized: exchange its authorization code with TpAuth::authorize"
            }
            TpError::Store(_) => "the token store failed (see the log)",
            TpError::RefreshBusy { .. } => "another process's token refresh did not finish in time",
            TpError::Invalid(_) => "invalid request",
        };
        match self {
            TpError::Call(e) => e,
            other => {
                tracing::warn!(error = &other as &dyn std::error::Error, "no token");
                OpenApiError::NotReady { operation, missing }
            }
        }
    }
}

/// Shorthand for results whose error is [`TpError`].
pub type Result<T, E = TpError> = std::result::Result<T, E>;
