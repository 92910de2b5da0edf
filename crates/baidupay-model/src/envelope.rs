//! Baidu response envelopes and the errors they carry.
//!
//! Baidu answers in one of three shapes, and a client must recognise each before it trusts
//! `data`:
//!
//! * business: `{"errno":0,"msg":"success","data":…}` (`errno != 0` is a failure; the 1.0
//!   APIs also send `errmsg`);
//! * OpenAPI gateway: `{"error_code":110,"error_msg":"Access token invalid or no longer valid"}`;
//! * OAuth (`/oauth/2.0/token`): `{"error":"invalid_client","error_description":"unknown client id"}`.
//!
//! [`decode_baidu`] and [`decode_oauth`] turn a body into the typed `data` or an [`ApiError`].

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::codes::{BaiduErrno, GatewayCode, OAuthErrorCode};
use crate::error::JsonError;
use crate::tp::TpErrorCode;

/// A failure reported by a Baidu API, or a body that is not what the API documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// `errno != 0` in the business envelope.
    #[error("baidu errno {errno}: {msg}{}", hint_suffix(*.errno))]
    Errno {
        /// The raw `errno`.
        errno: i64,
        /// The platform's message (`msg`, or `errmsg` when `msg` is empty).
        msg: String,
    },
    /// An OpenAPI gateway error (`error_code` / `error_msg`).
    #[error("baidu gateway error {error_code}: {error_msg}")]
    Gateway {
        /// The gateway's `error_code`.
        error_code: i64,
        /// The gateway's `error_msg`.
        error_msg: String,
    },
    /// An OAuth error (`error` / `error_description`).
    #[error("baidu oauth error {error}: {error_description}")]
    OAuth {
        /// The OAuth `error`, e.g. `invalid_client`.
        error: String,
        /// The OAuth `error_description`.
        error_description: String,
    },
    /// The body is not JSON, or not the documented shape.
    #[error("cannot decode the baidu response as {what}")]
    Decode {
        /// What the body was decoded as.
        what: &'static str,
        /// The decoder's message.
        #[source]
        source: JsonError,
    },
}

fn hint_suffix(errno: i64) -> String {
    match BaiduErrno::from_code(errno).remedy() {
        Some(r) => format!(" (hint: {r})"),
        None => String::new(),
    }
}

impl ApiError {
    /// The business `errno` as a Baidu cashier/platform code, if this is an `errno` error.
    pub fn baidu_errno(&self) -> Option<BaiduErrno> {
        match self {
            ApiError::Errno { errno, .. } => Some(BaiduErrno::from_code(*errno)),
            _ => None,
        }
    }

    /// What to do about this error when `operation` answered it: the per-operation table
    /// ([`crate::codes::ERRNO_OVERRIDES`]) first, then the code tables of the cashier
    /// ([`BaiduErrno`]), the third-party platform ([`TpErrorCode`]), the gateway
    /// ([`GatewayCode`]) and OAuth ([`OAuthErrorCode`]).
    pub fn remedy_for(&self, operation: &str) -> Option<&'static str> {
        match self {
            ApiError::Errno { errno, .. } => BaiduErrno::from_code(*errno)
                .remedy_for(operation)
                .or_else(|| TpErrorCode::from_code(*errno).remedy()),
            ApiError::Gateway { error_code, .. } => GatewayCode::from_code(*error_code).remedy(),
            ApiError::OAuth { error, .. } => OAuthErrorCode::from_code(error).remedy(),
            ApiError::Decode { .. } => None,
        }
    }

    /// Whether sending the same request again may succeed after `operation` answered this
    /// error (the same tables as [`ApiError::remedy_for`]; no TP code is retryable).
    pub fn is_retryable_for(&self, operation: &str) -> bool {
        match self {
            ApiError::Errno { errno, .. } => {
                BaiduErrno::from_code(*errno).is_retryable_for(operation)
            }
            ApiError::Gateway { error_code, .. } => {
                GatewayCode::from_code(*error_code).is_retryable()
            }
            ApiError::OAuth { .. } | ApiError::Decode { .. } => false,
        }
    }

    /// Whether the error says the access token is invalid or expired, so that a client should
    /// fetch a new token and try once more.
    ///
    /// Covers the gateway codes 110/111 (`Access token invalid or no longer valid`, `Access
    /// token expired`), the smart-app code 44003 (`TOKEN已过期`), and OAuth `expired_token` /
    /// `invalid_token`.
    pub fn is_token_expired(&self) -> bool {
        match self {
            ApiError::Gateway { error_code, .. } => matches!(error_code, 110 | 111 | 44003),
            ApiError::Errno { errno, .. } => *errno == 44003,
            ApiError::OAuth { error, .. } => error == "expired_token" || error == "invalid_token",
            ApiError::Decode { .. } => false,
        }
    }
}

/// The business envelope `{"errno":…,"msg":…,"data":…}` as a value, for servers and
/// simulators that produce it and for tests that read whole documents. Clients should use
/// [`decode_baidu`], which also recognises the gateway and OAuth error shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Envelope<T> {
    /// 0 for success.
    #[serde(deserialize_with = "crate::de::i64_or_string")]
    pub errno: i64,
    /// `"success"` or the error message.
    #[serde(default)]
    pub msg: String,
    /// The payload.
    pub data: T,
    /// Other top-level fields (`errmsg`, `timestamp`, `requestId`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<T> Envelope<T> {
    /// `{"errno":0,"msg":"success","data":data}`.
    pub fn success(data: T) -> Self {
        Self::new(0, "success", data)
    }

    /// An envelope with any `errno` and `msg`.
    pub fn new(errno: i64, msg: impl Into<String>, data: T) -> Self {
        Self {
            errno,
            msg: msg.into(),
            data,
            extra: Map::new(),
        }
    }
}

#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(default, deserialize_with = "crate::de::opt_i64_or_string")]
    errno: Option<i64>,
    #[serde(default)]
    msg: Option<String>,
    #[serde(default)]
    errmsg: Option<String>,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "crate::de::opt_i64_or_string")]
    error_code: Option<i64>,
    #[serde(default)]
    error_msg: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl RawEnvelope {
    fn failure(&self) -> Option<ApiError> {
        if let Some(code) = self.error_code.filter(|c| *c != 0) {
            return Some(ApiError::Gateway {
                error_code: code,
                error_msg: self.error_msg.clone().unwrap_or_default(),
            });
        }
        if let Some(error) = self.error.as_ref().filter(|e| !e.is_empty()) {
            return Some(ApiError::OAuth {
                error: error.clone(),
                error_description: self.error_description.clone().unwrap_or_default(),
            });
        }
        match self.errno {
            Some(0) | None => None,
            Some(errno) => Some(ApiError::Errno {
                errno,
                msg: self
                    .msg
                    .clone()
                    .filter(|m| !m.is_empty())
                    .or_else(|| self.errmsg.clone())
                    .unwrap_or_default(),
            }),
        }
    }
}

fn decode_err(what: &'static str, e: serde_json::Error) -> ApiError {
    ApiError::Decode {
        what,
        source: e.into(),
    }
}

/// Decodes a business envelope and returns its `data` as `T`.
///
/// Gateway and OAuth error shapes are recognised first, then `errno`. A success envelope
/// without `errno` is a decode error (a body that is not the documented shape is never taken for
/// success). A missing or `null` `data` decodes as JSON `null` (so `T = ()` or `Option<_>`
/// work, and lists should use [`crate::de::null_as_default`]).
///
/// # Errors
/// [`ApiError::Errno`], [`ApiError::Gateway`], [`ApiError::OAuth`], or [`ApiError::Decode`]
/// naming `what` when the body or `data` is not the documented shape.
///
/// ```
/// use baidupay_model::envelope::{decode_baidu, ApiError};
/// let ok: bool = decode_baidu(br#"{"errno":0,"msg":"success","data":true}"#, "cancelOrder")?;
/// assert!(ok);
/// let err = decode_baidu::<bool>(br#"{"errno":10002,"msg":"order not found","data":""}"#, "cancelOrder")
///     .unwrap_err();
/// assert!(matches!(err, ApiError::Errno { errno: 10002, .. }));
/// # Ok::<(), ApiError>(())
/// ```
pub fn decode_baidu<T: DeserializeOwned>(body: &[u8], what: &'static str) -> Result<T, ApiError> {
    let raw: RawEnvelope = serde_json::from_slice(body).map_err(|e| decode_err(what, e))?;
    if let Some(err) = raw.failure() {
        return Err(err);
    }
    if raw.errno.is_none() {
        return Err(ApiError::Decode {
            what,
            source: JsonError::from(<serde_json::Error as serde::de::Error>::custom(
                "the body has no errno, error_code or error field",
            )),
        });
    }
    T::deserialize(raw.data.unwrap_or(serde_json::Value::Null)).map_err(|e| decode_err(what, e))
}

/// Decodes an answer that comes either in the business envelope or bare (seed 004's
/// `paymentservice/dict` example is the bare `data` object): a JSON object with an `errno`,
/// `error_code` or `error` field is decoded as [`decode_baidu`] does, anything else is `T`
/// itself.
///
/// # Errors
/// As [`decode_baidu`].
///
/// ```
/// use baidupay_model::envelope::decode_baidu_or_bare;
/// let bare: Vec<u8> = decode_baidu_or_bare(b"[1,2]", "dict")?;
/// let wrapped: Vec<u8> = decode_baidu_or_bare(br#"{"errno":0,"msg":"success","data":[1,2]}"#, "dict")?;
/// assert_eq!(bare, wrapped);
/// # Ok::<(), baidupay_model::envelope::ApiError>(())
/// ```
pub fn decode_baidu_or_bare<T: DeserializeOwned>(
    body: &[u8],
    what: &'static str,
) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| decode_err(what, e))?;
    let enveloped = value.as_object().is_some_and(|o| {
        ["errno", "error_code", "error"]
            .iter()
            .any(|k| o.contains_key(*k))
    });
    if enveloped {
        return decode_baidu(body, what);
    }
    T::deserialize(value).map_err(|e| decode_err(what, e))
}

/// Decodes an OAuth-style body (no envelope): `{"error":…}` is an error, anything else is `T`.
///
/// # Errors
/// [`ApiError::OAuth`] (or [`ApiError::Gateway`] / [`ApiError::Errno`] when Baidu answers in
/// those shapes instead), or [`ApiError::Decode`].
pub fn decode_oauth<T: DeserializeOwned>(body: &[u8], what: &'static str) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| decode_err(what, e))?;
    let raw = RawEnvelope::deserialize(&value).map_err(|e| decode_err(what, e))?;
    if let Some(err) = raw.failure() {
        return Err(err);
    }
    T::deserialize(value).map_err(|e| decode_err(what, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let e = decode_baidu::<bool>(
            br#"{"error_code":110,"error_msg":"Access token invalid or no longer valid"}"#,
            "x",
        )
        .unwrap_err();
        assert!(e.is_token_expired());
        assert!(matches!(
            e,
            ApiError::Gateway {
                error_code: 110,
                ..
            }
        ));
        let e = decode_baidu::<bool>(
            br#"{"error":"invalid_client","error_description":"unknown client id"}"#,
            "x",
        )
        .unwrap_err();
        assert!(matches!(e, ApiError::OAuth { .. }));
        let e = decode_baidu::<bool>(br#"{"errno":10000,"msg":"","errmsg":"sign error"}"#, "x")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "baidu errno 10000: sign error (hint: check the signature rules: sorted k=v of the \
             documented fields, raw values, SHA1withRSA with the merchant private key, and that the \
             public key uploaded to Baidu is the pair of that private key)"
        );
        assert!(matches!(
            decode_baidu::<bool>(b"<html>", "x").unwrap_err(),
            ApiError::Decode { what: "x", .. }
        ));
        assert!(matches!(
            decode_baidu::<bool>(b"{}", "x").unwrap_err(),
            ApiError::Decode { .. }
        ));
        assert!(matches!(
            decode_baidu::<bool>(br#"{"errno":0,"msg":"ok","data":"yes"}"#, "x").unwrap_err(),
            ApiError::Decode { .. }
        ));
        let v: Option<bool> = decode_baidu(br#"{"errno":"0","msg":"ok"}"#, "x").unwrap();
        assert_eq!(v, None);
    }

    #[test]
    fn decode_error_says_what_and_keeps_the_cause_in_source() {
        use std::error::Error as _;
        let e = decode_baidu::<bool>(b"{\n  <html>", "OrderDetail").unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot decode the baidu response as OrderDetail"
        );
        let Some(cause) = e.source() else {
            panic!("no source: {e}");
        };
        let ApiError::Decode { source, .. } = &e else {
            panic!("not a decode error: {e:?}");
        };
        assert_eq!((source.line(), source.column()), (2, 3));
        assert!(cause.to_string().contains("line 2 column 3"), "{cause}");
        // The chain does not repeat itself: no message contains the one of its source.
        let mut link: &dyn std::error::Error = &e;
        while let Some(next) = link.source() {
            assert!(
                !link.to_string().contains(&next.to_string()),
                "{link} repeats {next}"
            );
            link = next;
        }
    }
}
