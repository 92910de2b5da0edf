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
    /// A name or value is not UTF-8 after percent-decoding (Baidu callbacks).
    #[error("callback body is not UTF-8 (form pair {pair})")]
    NotUtf8 {
        /// The 1-based pair position.
        pair: usize,
    },
    /// A name or value is not valid text in the charset the body declares (Alipay `charset`:
    /// UTF-8, GBK or GB2312) after percent-decoding. Never replaced lossily.
    #[error("callback field {field} is not valid {charset} text")]
    NotInCharset {
        /// The field's name (or `name of pair N` when the name itself is invalid).
        field: String,
        /// The charset the body declares.
        charset: crate::Charset,
    },
    /// The body's `charset` is not one Alipay uses (`utf-8`, `gbk`, `gb2312`, any case).
    #[error("unsupported charset {found:?}: expected utf-8, gbk or gb2312")]
    UnsupportedCharset {
        /// The value received.
        found: String,
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

/// Why a TP event message (the platform's encrypted envelope, see [`crate::TpEventKeys`]) was
/// refused, or why the TP's message keys or a message to seal were refused.
///
/// [`TpEventError::is_authentication_failure`] separates "the sender does not hold our token
/// or key" (alert on it) from "the body is not what the platform sends" (malformed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TpEventError {
    /// The EncodingAESKey is not 43 characters of `[A-Za-z0-9]` decoding to 32 bytes.
    #[error("invalid EncodingAESKey: {reason}")]
    InvalidAesKey {
        /// What is wrong with it (never the key itself).
        reason: &'static str,
    },
    /// The message token or the TP id is empty.
    #[error("the TP {what} is empty")]
    EmptyParameter {
        /// `token` or `id`.
        what: &'static str,
    },
    /// The body is larger than the cap (64 KiB).
    #[error("TP event body of {size} bytes exceeds the {limit}-byte cap")]
    BodyTooLarge {
        /// The cap.
        limit: usize,
        /// The body's size.
        size: usize,
    },
    /// The body is not JSON.
    #[error("the body is not a TP event envelope (not JSON)")]
    NotJson(#[source] JsonError),
    /// The body is JSON but not an envelope `{"Nonce","TimeStamp","Encrypt","MsgSignature"}`.
    #[error("the body is not a TP event envelope: {detail}")]
    NotEnvelope {
        /// What is missing or of the wrong type.
        detail: &'static str,
    },
    /// `MsgSignature` does not match the token, `TimeStamp`, `Nonce` and `Encrypt`: the sender
    /// does not hold the TP's token, or the envelope was altered.
    #[error("the envelope's MsgSignature does not match (wrong token or altered envelope)")]
    BadSignature,
    /// `Encrypt` is not standard base64.
    #[error("the envelope's Encrypt is not base64")]
    EncryptEncoding,
    /// The ciphertext is empty or not a whole number of AES blocks.
    #[error("the ciphertext of {len} bytes is not a positive multiple of 16")]
    CiphertextLength {
        /// The decoded ciphertext's length.
        len: usize,
    },
    /// The decrypted padding is not 1..=32 equal bytes: encrypted with another key.
    #[error("the decrypted message has invalid padding (wrong EncodingAESKey?)")]
    BadPadding,
    /// The decrypted length prefix overruns the message: encrypted with another key or forged.
    #[error("the decrypted message's length prefix overruns it (wrong EncodingAESKey?)")]
    BadLength,
    /// The decrypted message ends with another TP's id.
    #[error("the decrypted message is addressed to another TP id")]
    WrongTpId,
    /// The decrypted message is not a UTF-8 JSON object.
    #[error("the decrypted message is not a JSON object")]
    MessageNotJson(#[source] JsonError),
    /// The decrypted message is JSON but not an object.
    #[error("the decrypted message is JSON but not an object")]
    MessageNotObject,
    /// A known event whose fields are not the documented shape (the source names the field).
    #[error("the decrypted {event} event does not have the documented fields")]
    EventShape {
        /// The event's name.
        event: String,
        /// The decoder's error.
        #[source]
        source: JsonError,
    },
    /// The event is authentic but is not the kind the caller asked for (for example not a
    /// payment audit push).
    #[error("the TP event is a {found:?} event, not a {expected}")]
    UnexpectedEvent {
        /// The event's name.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A message to seal is 4 GiB or longer (its length does not fit the 4-byte prefix).
    #[error("a message of {len} bytes is too long to seal")]
    MessageTooLong {
        /// The message's length.
        len: usize,
    },
    /// The operating system's random number generator failed.
    #[error("cannot draw random bytes from the operating system")]
    Random,
}

impl TpEventError {
    /// Whether the envelope failed authentication: a wrong signature, or a ciphertext that does
    /// not decrypt to a well-formed message for this TP with our key (bad block length, padding,
    /// length prefix or TP id). Worth an alert, never worth acting on.
    pub fn is_authentication_failure(&self) -> bool {
        matches!(
            self,
            TpEventError::BadSignature
                | TpEventError::CiphertextLength { .. }
                | TpEventError::BadPadding
                | TpEventError::BadLength
                | TpEventError::WrongTpId
        )
    }

    /// Same as [`TpEventError::is_authentication_failure`], named like
    /// [`NotifyError::is_forgery_suspect`].
    pub fn is_forgery_suspect(&self) -> bool {
        self.is_authentication_failure()
    }

    /// Whether the body is not what the platform sends (not an envelope, not base64, not a JSON
    /// object, a known event with wrong fields, too large): a client bug or probing, not proof
    /// of forgery.
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            TpEventError::BodyTooLarge { .. }
                | TpEventError::NotJson(_)
                | TpEventError::NotEnvelope { .. }
                | TpEventError::EncryptEncoding
                | TpEventError::MessageNotJson(_)
                | TpEventError::MessageNotObject
                | TpEventError::EventShape { .. }
                | TpEventError::UnexpectedEvent { .. }
        )
    }
}
