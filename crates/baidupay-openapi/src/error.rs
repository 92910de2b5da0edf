//! The crate's error type.

use baidupay_model::BaiduErrno;
use baidupay_model::envelope::ApiError;
use baidupay_model::params::ParamsError;
use baidupay_transport::TransportError;

/// Everything a Baidu OpenAPI call can fail with, once it is built: the token, the transport,
/// or Baidu's answer. `Display` says what failed; the cause is in [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenApiError {
    /// Baidu answered with an error (`errno`, gateway `error_code`, OAuth `error`); the
    /// source carries the code, the message and the docs' hint.
    #[error("{operation}: baidu refused the call")]
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
    #[error("{operation}: the request failed")]
    Transport {
        /// The API operation.
        operation: &'static str,
        /// The transport failure.
        #[source]
        source: TransportError,
    },
    /// A credential the call needs is not there yet (e.g. no ticket pushed yet).
    #[error("{operation}: {missing}")]
    NotReady {
        /// The API operation.
        operation: &'static str,
        /// What is missing and how to provide it.
        missing: &'static str,
    },
    /// The request could not be laid out as parameters: a field of its type has no parameter
    /// form (a bug in the request type, caught by the operation table's test). Nothing was sent.
    #[error("{operation}: the request cannot be encoded")]
    Encode {
        /// The API operation.
        operation: &'static str,
        /// Which field cannot be a parameter.
        #[source]
        source: ParamsError,
    },
    /// A URL could not be built from the configured base.
    #[error("invalid API base URL {base:?}: {reason}")]
    BadBaseUrl {
        /// The configured base.
        base: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl OpenApiError {
    /// Whether the request may have reached Baidu (and so may have taken effect). A refund that
    /// failed with `true` must be retried with the same `bizRefundBatchId`, never a new one.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            OpenApiError::Transport { source, .. } => source.may_have_been_sent(),
            OpenApiError::NotReady { .. }
            | OpenApiError::Encode { .. }
            | OpenApiError::BadBaseUrl { .. } => false,
            OpenApiError::Api { .. } | OpenApiError::UnexpectedAnswer { .. } => true,
        }
    }

    /// Baidu's error, when Baidu answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            OpenApiError::Api { source, .. } => Some(source),
            _ => None,
        }
    }

    /// The raw business `errno`, when Baidu answered with one.
    pub fn errno(&self) -> Option<i64> {
        match self.api_error()? {
            ApiError::Errno { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// The Baidu `errno` as a known cashier code, when Baidu answered with one.
    pub fn baidu_errno(&self) -> Option<BaiduErrno> {
        self.api_error().and_then(ApiError::baidu_errno)
    }

    /// Whether Baidu said the access token is invalid or expired.
    pub fn is_token_expired(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_token_expired)
    }

    /// What to do about Baidu's error, for the operation that got it (a code can mean
    /// something else on one call: 10003 from `syncOrderStatus` says the enterprise assets are
    /// short, see [`baidupay_model::codes::ERRNO_OVERRIDES`]); `None` when Baidu did not answer
    /// with an error or the docs give no remedy.
    pub fn remedy(&self) -> Option<&'static str> {
        match self {
            OpenApiError::Api { operation, source } => source.remedy_for(operation),
            _ => None,
        }
    }

    /// Whether Baidu's answer says that sending the same request again may succeed, for the
    /// operation that got it (10003 is retryable except from `syncOrderStatus`). `false` when
    /// Baidu did not answer with an error: whether a transport failure may be resent is
    /// [`OpenApiError::may_have_been_sent`] and the transport's retry policy.
    pub fn is_retryable(&self) -> bool {
        match self {
            OpenApiError::Api { operation, source } => source.is_retryable_for(operation),
            _ => false,
        }
    }

    /// The operation that failed (`None` for a bad base URL).
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            OpenApiError::Api { operation, .. }
            | OpenApiError::UnexpectedAnswer { operation, .. }
            | OpenApiError::Transport { operation, .. }
            | OpenApiError::NotReady { operation, .. }
            | OpenApiError::Encode { operation, .. } => Some(operation),
            OpenApiError::BadBaseUrl { .. } => None,
        }
    }
}

/// Turns a failed decode of a Baidu answer into an [`OpenApiError`]: an undocumented shape
/// becomes [`OpenApiError::UnexpectedAnswer`] with a redacted excerpt of the body, a platform
/// error becomes [`OpenApiError::Api`].
pub(crate) fn answer_error(
    operation: &'static str,
    status: u16,
    body: &[u8],
    e: ApiError,
) -> OpenApiError {
    match e {
        ApiError::Decode { .. } => OpenApiError::UnexpectedAnswer {
            operation,
            status,
            excerpt: excerpt(body),
        },
        other => OpenApiError::Api {
            operation,
            source: other,
        },
    }
}

/// Shorthand for results whose error is [`OpenApiError`].
pub type Result<T, E = OpenApiError> = std::result::Result<T, E>;

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
    use std::error::Error as _;

    use super::*;

    #[test]
    fn excerpts_redact_tokens() {
        let e = excerpt(br#"{"access_token":"1.abc.86400","expires_in":86400}"#);
        assert_eq!(e, r#"{"access_token":"[redacted]","expires_in":86400}"#);
        let e = excerpt(b"<html>x?access_token=SECRET&y=1</html>");
        assert_eq!(e, "<html>x?access_token=[redacted]&y=1</html>");
    }

    #[test]
    fn display_does_not_repeat_the_source() {
        let e = OpenApiError::Api {
            operation: "cancelOrder",
            source: ApiError::Errno {
                errno: 10002,
                msg: "order not found".into(),
            },
        };
        let top = e.to_string();
        let cause = e.source().map(ToString::to_string).unwrap_or_default();
        assert_eq!(top, "cancelOrder: baidu refused the call");
        assert!(cause.contains("10002"), "{cause}");
        assert!(!top.contains(&cause));
        assert_eq!(e.errno(), Some(10002));
        assert!(e.may_have_been_sent());
        assert_eq!(e.operation(), Some("cancelOrder"));
    }

    #[test]
    fn the_remedy_depends_on_the_operation() {
        let on = |operation| OpenApiError::Api {
            operation,
            source: ApiError::Errno {
                errno: 10003,
                msg: "系统内部错误，请稍候重试".into(),
            },
        };
        assert!(on("applyOrderRefund").is_retryable());
        assert!(
            on("applyOrderRefund")
                .remedy()
                .is_some_and(|r| r.starts_with("retry later"))
        );
        assert!(!on("syncOrderStatus").is_retryable());
        assert_eq!(
            on("syncOrderStatus").remedy(),
            Some("enterprise assets below the refund: wait for more consumed orders")
        );
        let tp = OpenApiError::Api {
            operation: "pay/account/create",
            source: ApiError::Errno {
                errno: 60011,
                msg: String::new(),
            },
        };
        assert!(tp.remedy().is_some_and(|r| r.contains("upload")));
        assert!(!tp.is_retryable());
    }
}
