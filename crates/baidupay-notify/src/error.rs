//! The crate's error type.

use baidupay_model::JsonError;

/// Why a callback was refused. Every variant means: do not act on this request.
///
/// [`NotifyError::BadSignature`] and [`NotifyError::MissingSignature`] are the ones to alert on
/// (someone may be forging callbacks); the others are malformed input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The body is larger than the configured cap (default 64 KiB).
    #[error("callback body of {size} bytes exceeds the {limit}-byte cap")]
    BodyTooLarge {
        /// The cap.
        limit: usize,
        /// The body's size.
        size: usize,
    },
    /// The request is not `application/x-www-form-urlencoded` (or JSON, for the TP push).
    #[error("unsupported content type {found:?}: expected {expected}")]
    UnsupportedContentType {
        /// The `Content-Type` received.
        found: String,
        /// What this callback must be sent as.
        expected: &'static str,
    },
    /// A name or value is not UTF-8 after percent-decoding.
    #[error("callback body is not UTF-8 (form pair {pair})")]
    NotUtf8 {
        /// The 1-based pair position.
        pair: usize,
    },
    /// The form body does not decode (bad percent escape, empty name).
    #[error("malformed callback body: {detail}")]
    MalformedBody {
        /// What was wrong.
        detail: String,
    },
    /// A parameter appears twice: the platforms never do that, so it is treated as tampering.
    #[error("parameter {name:?} appears more than once")]
    DuplicateParameter {
        /// The repeated name.
        name: String,
    },
    /// The signature field (`rsaSign` / `sign`) is missing or empty.
    #[error("the callback carries no {field}")]
    MissingSignature {
        /// The field's name.
        field: &'static str,
    },
    /// The signature is not standard base64.
    #[error("the callback's {field} is not base64")]
    SignatureEncoding {
        /// The field's name.
        field: &'static str,
    },
    /// The signature does not verify with the platform key: the callback is not from the platform
    /// (or was altered, or the configured key is the wrong one).
    #[error("callback signature does not verify with the platform public key")]
    BadSignature,
    /// Alipay `sign_type` is neither `RSA2` nor `RSA`.
    #[error("unsupported sign_type {found:?}: expected RSA2 or RSA")]
    UnsupportedSignType {
        /// The value received.
        found: String,
    },
    /// The body verified but a field is not what the platform documents; the source names the
    /// field.
    #[error("verified callback has an invalid field")]
    Invalid(#[source] baidupay_model::Error),
    /// The JSON body (TP audit push) does not decode; the source has the decoder's message,
    /// line and column.
    #[error("cannot decode the callback JSON")]
    Json(#[source] JsonError),
    /// A crypto failure other than a bad signature (should not happen with a loaded key).
    #[error("signature check failed")]
    Crypto(#[source] baidupay_crypto::Error),
}

impl NotifyError {
    /// Whether the request failed authentication (missing, undecodable or wrong signature):
    /// worth an alert, never worth a retry.
    pub fn is_forgery_suspect(&self) -> bool {
        matches!(
            self,
            NotifyError::BadSignature
                | NotifyError::MissingSignature { .. }
                | NotifyError::SignatureEncoding { .. }
        )
    }

    pub(crate) fn from_crypto(e: baidupay_crypto::Error, field: &'static str) -> Self {
        use baidupay_crypto::Error as E;
        match e {
            E::BadSignature => NotifyError::BadSignature,
            E::SignatureEncoding => NotifyError::SignatureEncoding { field },
            E::DuplicateParameter { key } => NotifyError::DuplicateParameter { name: key },
            E::FormNotUtf8 { pair } => NotifyError::NotUtf8 { pair },
            E::MalformedForm { detail } => NotifyError::MalformedBody { detail },
            other => NotifyError::Crypto(other),
        }
    }
}

/// Shorthand for results whose error is [`NotifyError`].
pub type Result<T, E = NotifyError> = std::result::Result<T, E>;
