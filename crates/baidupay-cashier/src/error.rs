//! The crate's error type.

use baidupay_model::BaiduErrno;
use baidupay_model::envelope::ApiError;
use baidupay_transport::TransportError;

/// Everything a cashier call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CashierError {
    /// Baidu answered with an error (`errno`, gateway `error_code`, OAuth `error`); the
    /// message carries the docs' hint for 10000-10003.
    #[error("{operation}: {source}")]
    Api {
        /// The API operation, e.g. `findByTpOrderId`.
        operation: &'static str,
        /// Baidu's error.
        #[source]
        source: ApiError,
    },
    /// Baidu answered something that is not the documented shape (HTTP status and an excerpt
    /// of the body, secrets redacted).
    #[error("{operation}: unexpected answer (HTTP {status}): {excerpt}")]
    UnexpectedAnswer {
        /// The API operation.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// The first 200 characters of the body, with secret fields redacted.
        excerpt: String,
    },
    /// The request could not be sent or answered.
    #[error("{operation}: {source}")]
    Transport {
        /// The API operation.
        operation: &'static str,
        /// The transport failure.
        #[source]
        source: TransportError,
    },
    /// Signing failed (should not happen with a loaded key).
    #[error("signing failed: {0}")]
    Signing(#[source] baidupay_crypto::Error),
    /// A value breaks the platform's limits.
    #[error("invalid request: {0}")]
    Invalid(#[source] baidupay_model::Error),
    /// A URL could not be built from the configured base.
    #[error("invalid API base URL {base:?}: {reason}")]
    BadBaseUrl {
        /// The configured base.
        base: String,
        /// What is wrong.
        reason: String,
    },
}

impl CashierError {
    /// Whether the request may have reached Baidu (and so may have taken effect). A refund that
    /// failed with `true` must be retried with the same `bizRefundBatchId`, never a new one.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            CashierError::Transport { source, .. } => source.may_have_been_sent(),
            CashierError::Signing(_)
            | CashierError::Invalid(_)
            | CashierError::BadBaseUrl { .. } => false,
            CashierError::Api { .. } | CashierError::UnexpectedAnswer { .. } => true,
        }
    }

    /// The Baidu `errno` as a known code, when Baidu answered with one.
    pub fn baidu_errno(&self) -> Option<BaiduErrno> {
        match self {
            CashierError::Api { source, .. } => source.baidu_errno(),
            _ => None,
        }
    }

    /// Whether Baidu said the access token is invalid or expired.
    pub fn is_token_expired(&self) -> bool {
        matches!(self, CashierError::Api { source, .. } if source.is_token_expired())
    }
}

/// Turns a failed decode of a Baidu answer into a [`CashierError`]: an undocumented shape
/// becomes [`CashierError::UnexpectedAnswer`] with a redacted excerpt of the body, a platform
/// error becomes [`CashierError::Api`]. Shared by every client that talks to Baidu.
pub fn answer_error(
    operation: &'static str,
    status: u16,
    body: &[u8],
    e: ApiError,
) -> CashierError {
    match e {
        ApiError::Decode { .. } => CashierError::UnexpectedAnswer {
            operation,
            status,
            excerpt: excerpt(body),
        },
        other => CashierError::Api {
            operation,
            source: other,
        },
    }
}

/// Shorthand for results whose error is [`CashierError`].
pub type Result<T, E = CashierError> = std::result::Result<T, E>;

/// The first 200 characters of a body, with the values of secret JSON fields and query
/// parameters replaced by `[redacted]`.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(text.len().min(256));
    let mut rest: &str = &text;
    // redact "access_token":"…" style values and access_token=… parameters
    'outer: while !rest.is_empty() {
        for name in [
            "access_token",
            "refresh_token",
            "client_secret",
            "session_key",
            "session_secret",
        ] {
            if let Some(stripped) = rest.strip_prefix(name) {
                out.push_str(name);
                let value_start = stripped
                    .char_indices()
                    .find(|(_, c)| !matches!(c, '"' | ':' | '=' | ' '))
                    .map_or(stripped.len(), |(i, _)| i);
                out.push_str(stripped.get(..value_start).unwrap_or_default());
                let after = stripped.get(value_start..).unwrap_or_default();
                let end = after.find(['"', '&', ',', '}', ' ']).unwrap_or(after.len());
                out.push_str("[redacted]");
                rest = after.get(end..).unwrap_or_default();
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn excerpts_redact_tokens() {
        let e = super::excerpt(br#"{"access_token":"1.abc.86400","expires_in":86400}"#);
        assert_eq!(e, r#"{"access_token":"[redacted]","expires_in":86400}"#);
        let e = super::excerpt(b"<html>x?access_token=SECRET&y=1</html>");
        assert_eq!(e, "<html>x?access_token=[redacted]&y=1</html>");
    }
}
