//! The crate's error type.

use baidupay_model::alipay::{AlipayCode, BusinessError, SubCode};
use baidupay_transport::TransportError;

/// `Result` with [`AlipayError`].
pub type Result<T, E = AlipayError> = std::result::Result<T, E>;

/// A mistake in the client's configuration, caught before anything is sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A key or certificate could not be loaded; `what` names the setting, the source says what
    /// is wrong with it.
    #[error("cannot load the {what}")]
    Key {
        /// The setting, e.g. `alipay public key`.
        what: &'static str,
        /// The loader's error (it names the format it saw and the one it expected).
        #[source]
        source: baidupay_crypto::Error,
    },
    /// The "Alipay public key" is the app's own public key.
    #[error(
        "the Alipay public key is the app's own public key (the public half of the app private \
         key): configure the key shown as 支付宝公钥 (Alipay public key) in the console, not the \
         应用公钥 (app public key)"
    )]
    AlipayKeyIsAppKey,
    /// In certificate mode, the app certificate does not hold the app private key's public half.
    #[error(
        "the app certificate (appCertPublicKey_*.crt) does not belong to the app private key: \
         its public key differs from the private key's public half"
    )]
    AppCertMismatch,
    /// The root certificate bundle (`alipayRootCert.crt`) gives no root SN: a certificate of it
    /// is malformed, or none is RSA-signed (the source says which).
    #[error("cannot compute the root certificate SN of alipayRootCert.crt")]
    RootCert(#[source] baidupay_crypto::Error),
    /// The gateway URL is not an absolute http(s) URL.
    #[error("gateway URL {url:?}: {reason}")]
    Gateway {
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Everything an Alipay call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlipayError {
    /// Alipay answered with a **verified** business or gateway error (`code` other than
    /// 10000); `sub_code` is typed ([`SubCode`]) with its description and remedy. The source
    /// is the [`BusinessError`] with Alipay's code and message.
    #[error("{method}: alipay answered with an error")]
    Api {
        /// The API method.
        method: &'static str,
        /// The error as Alipay signed it.
        #[source]
        source: BusinessError,
    },
    /// Alipay's answer carries no signature (or an empty one). Nothing in it is trusted; the
    /// excerpt is for the log only.
    #[error("{method}: the response is not signed (unverified excerpt: {excerpt})")]
    MissingSignature {
        /// The API method.
        method: &'static str,
        /// The first 300 characters of the unverified response object.
        excerpt: String,
    },
    /// The response signature does not verify over the raw response bytes.
    #[error(
        "{method}: the response signature does not verify (wrong Alipay public key or \
         certificate, or the response was altered)"
    )]
    BadSignature {
        /// The API method.
        method: &'static str,
    },
    /// The response names an Alipay certificate (`alipay_cert_sn`) that is neither configured
    /// nor obtainable from the configured fetcher.
    #[error("{method}: unknown Alipay certificate {sn}: {reason}")]
    UnknownCertificate {
        /// The API method.
        method: &'static str,
        /// The serial number in the response.
        sn: String,
        /// Why it could not be used.
        reason: String,
    },
    /// The body is not the documented envelope (not JSON, no `<method>_response`, a duplicated
    /// key, a non-2xx HTTP status...).
    #[error("{method}: unexpected answer (HTTP {status}): {detail}")]
    UnexpectedAnswer {
        /// The API method.
        method: &'static str,
        /// HTTP status.
        status: u16,
        /// What is wrong, with a short excerpt.
        detail: String,
    },
    /// The verified response object does not decode into the expected type.
    #[error("{method}: verified response does not decode: {detail}")]
    Decode {
        /// The API method.
        method: &'static str,
        /// The decoder's message.
        detail: String,
    },
    /// The request could not be sent or answered; the source says how far it got.
    #[error("{method}: the http exchange failed")]
    Transport {
        /// The API method.
        method: &'static str,
        /// The transport failure.
        #[source]
        source: TransportError,
    },
    /// A request value breaks the documented limits (nothing was sent).
    #[error("invalid request")]
    Invalid(#[source] baidupay_model::Error),
    /// Signing failed (should not happen with a loaded key).
    #[error("signing failed")]
    Signing(#[source] baidupay_crypto::Error),
    /// The configuration is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A call that changes a trade (`trade.create`, `trade.refund`, `trade.close`, ...) may or
    /// may not have taken effect: Alipay answered `ACQ.SYSTEM_ERROR` (seed 002: 请立即调用查询订单
    /// api), `isp.unknow-error` or `code` 20000, or the exchange failed after the request may
    /// have been sent (a timeout, a reset, an HTTP 5xx). Not a refusal: query the trade (or the
    /// refund) before retrying, and retry only with the same `out_trade_no` /
    /// `out_request_no`. The source is what happened.
    #[error("{method}: the outcome is unknown; {remedy}")]
    OutcomeUnknown {
        /// The API method.
        method: &'static str,
        /// What to do before retrying (names the query and the number to keep).
        remedy: &'static str,
        /// The answer or the failure that left the outcome unknown.
        #[source]
        source: Box<AlipayError>,
    },
}

/// Whether `method` changes a trade (anything but a `*.query`): only such a call can have an
/// unknown outcome.
fn changes_state(method: &str) -> bool {
    !method.ends_with(".query")
}

/// The remedy of an unknown outcome of `method`.
fn remedy(method: &str) -> &'static str {
    match method {
        "alipay.trade.create" => {
            "query the trade (alipay.trade.query) by the same out_trade_no before creating it \
             again, and create it again only with that out_trade_no"
        }
        "alipay.trade.refund" => {
            "query the refund (alipay.trade.fastpay.refund.query) by the same out_request_no \
             before retrying, and retry only with that out_request_no, never a new one"
        }
        _ => {
            "query the trade (alipay.trade.query) before retrying, with the same out_trade_no \
             / out_request_no"
        }
    }
}

impl AlipayError {
    /// The verified business error, if Alipay answered with one (also behind
    /// [`AlipayError::OutcomeUnknown`]).
    pub fn business(&self) -> Option<&BusinessError> {
        match self {
            AlipayError::Api { source, .. } => Some(source),
            AlipayError::OutcomeUnknown { source, .. } => source.business(),
            _ => None,
        }
    }

    /// Whether Alipay may or may not have acted on the call ([`AlipayError::OutcomeUnknown`]):
    /// query before retrying, with the same `out_trade_no` / `out_request_no`. `false` for a
    /// definite refusal ([`AlipayError::Api`]) and for a failed query (which may simply be sent
    /// again).
    pub fn is_unknown_outcome(&self) -> bool {
        matches!(self, AlipayError::OutcomeUnknown { .. })
    }

    /// Wraps `self` into [`AlipayError::OutcomeUnknown`] when `method` changes a trade and
    /// `self` leaves its outcome unknown; `self` otherwise.
    pub(crate) fn for_call(self, method: &'static str) -> Self {
        let unknown = changes_state(method)
            && match &self {
                AlipayError::Api { source, .. } => {
                    source.code == AlipayCode::ServiceUnavailable
                        || matches!(
                            source.sub_code,
                            Some(SubCode::SystemError | SubCode::UnknownSystemError)
                        )
                }
                AlipayError::Transport { source, .. } => source.may_have_been_sent(),
                AlipayError::UnexpectedAnswer { status, .. } => *status >= 500,
                _ => false,
            };
        if unknown {
            AlipayError::OutcomeUnknown {
                method,
                remedy: remedy(method),
                source: Box::new(self),
            }
        } else {
            self
        }
    }

    /// The verified `sub_code`, if any.
    pub fn sub_code(&self) -> Option<&SubCode> {
        self.business().and_then(|b| b.sub_code.as_ref())
    }

    /// Whether the request may have reached Alipay (and so may have taken effect). A refund
    /// that failed with `true` must be retried with the same `out_request_no`.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            AlipayError::Transport { source, .. } => source.may_have_been_sent(),
            AlipayError::Invalid(_) | AlipayError::Signing(_) | AlipayError::Config(_) => false,
            AlipayError::Api { .. }
            | AlipayError::OutcomeUnknown { .. }
            | AlipayError::MissingSignature { .. }
            | AlipayError::BadSignature { .. }
            | AlipayError::UnknownCertificate { .. }
            | AlipayError::UnexpectedAnswer { .. }
            | AlipayError::Decode { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn messages_say_what_failed_and_leave_the_cause_to_source() {
        let Err(source) = baidupay_crypto::PrivateKey::parse("not a key") else {
            panic!("garbage parsed as a key");
        };
        let cause = source.to_string();
        let err = AlipayError::from(ConfigError::Key {
            what: "app private key",
            source,
        });
        assert_eq!(err.to_string(), "cannot load the app private key");
        assert_eq!(err.source().map(ToString::to_string), Some(cause));
        // Walk the whole chain: no message repeats the message of its source.
        let mut current: Option<&dyn std::error::Error> = Some(&err);
        while let Some(e) = current {
            if let Some(next) = e.source() {
                assert!(!e.to_string().contains(&next.to_string()), "{e} / {next}");
            }
            current = e.source();
        }
        let signing = AlipayError::Signing(baidupay_crypto::Error::BadSignature);
        assert_eq!(signing.to_string(), "signing failed");
        assert!(signing.source().is_some());
    }
}
