//! The signed part of a `gateway.do` answer, as raw bytes (alipay-jsapi.md 2.2).
//!
//! Alipay signs the exact text of the `<method>_response` value as it appears in the body
//! (escapes such as `\/` and `\uXXXX`, key order and spacing included), so the content is taken
//! from the body as a slice and never re-serialized. The top-level object is read with a
//! string-aware JSON parser (`serde_json` raw values), so braces and quotes inside strings cannot
//! move the boundaries, and a key that appears twice at the top level is refused (a second
//! `<method>_response` after the signed one is the injection easysdk guards against).

use std::fmt;

use baidupay_model::JsonError;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The gateway-level error key, used when `<method>_response` is absent.
pub const ERROR_RESPONSE: &str = "error_response";

/// The parts of an answer that verification needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedResponse<'a> {
    /// The key the content came from: `<method>_response` or `error_response`.
    pub key: String,
    /// The raw text of that value: a JSON object, or a quoted string for encrypted content.
    /// It is a sub-slice of the body.
    pub content: &'a str,
    /// The decoded `sign` value (`None` when absent or `null`).
    pub sign: Option<String>,
    /// The decoded `alipay_cert_sn` value (certificate mode).
    pub alipay_cert_sn: Option<String>,
}

impl SignedResponse<'_> {
    /// Whether the content came from `error_response`.
    pub fn is_error_response(&self) -> bool {
        self.key == ERROR_RESPONSE
    }
}

/// Why an answer could not be split into content and signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The body is not one JSON object; the source has the decoder's message and position.
    #[error("the body is not one JSON object")]
    NotJson(#[source] JsonError),
    /// A top-level key appears more than once.
    #[error("the key {0:?} appears more than once in the response")]
    DuplicateKey(String),
    /// Neither `<method>_response` nor `error_response` is present.
    #[error("neither {0:?} nor \"error_response\" is present")]
    MissingResponse(String),
    /// The response value is neither an object nor a string.
    #[error("{0:?} is neither a JSON object nor an encrypted string")]
    BadContent(String),
    /// `sign` or `alipay_cert_sn` is not a string.
    #[error("{0:?} is not a string")]
    NotAString(&'static str),
}

/// The response key of `method`: `alipay.trade.create` -> `alipay_trade_create_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: &'de RawValue = map.next_value()?;
                    out.push((key, value));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn string_field(
    entries: &[(String, &RawValue)],
    name: &'static str,
) -> Result<Option<String>, ExtractError> {
    let mut found = entries.iter().filter(|(k, _)| k == name);
    let Some((_, raw)) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(ExtractError::DuplicateKey(name.to_owned()));
    }
    serde_json::from_str::<Option<String>>(raw.get()).map_err(|_| ExtractError::NotAString(name))
}

/// Splits `body` into the signed content of `method` (or `error_response`), the signature and
/// the certificate serial number.
///
/// # Errors
/// [`ExtractError`] when the body is not a JSON object, when a top-level key is duplicated, when
/// neither response key is present, or when a field has the wrong JSON type.
///
/// # Examples
/// ```
/// let body = r#"{"alipay_trade_close_response":{"code":"10000","msg":"Success","url":"https:\/\/a"},"sign":"c2ln"}"#;
/// let r = baidupay_alipay::response::extract(body, "alipay.trade.close")?;
/// assert_eq!(r.content, r#"{"code":"10000","msg":"Success","url":"https:\/\/a"}"#);
/// assert_eq!(r.sign.as_deref(), Some("c2ln"));
/// # Ok::<(), baidupay_alipay::response::ExtractError>(())
/// ```
pub fn extract<'a>(body: &'a str, method: &str) -> Result<SignedResponse<'a>, ExtractError> {
    let Entries(entries) =
        serde_json::from_str(body).map_err(|e| ExtractError::NotJson(JsonError::from(e)))?;
    for (i, (k, _)) in entries.iter().enumerate() {
        if entries.iter().skip(i + 1).any(|(other, _)| other == k) {
            return Err(ExtractError::DuplicateKey(k.clone()));
        }
    }
    let wanted = response_key(method);
    let (key, raw) = entries
        .iter()
        .find(|(k, _)| *k == wanted)
        .or_else(|| entries.iter().find(|(k, _)| k == ERROR_RESPONSE))
        .ok_or_else(|| ExtractError::MissingResponse(wanted.clone()))?;
    let content = raw.get();
    if !(content.starts_with('{') || content.starts_with('"')) {
        return Err(ExtractError::BadContent(key.clone()));
    }
    Ok(SignedResponse {
        key: key.clone(),
        content,
        sign: string_field(&entries, "sign")?,
        alipay_cert_sn: string_field(&entries, "alipay_cert_sn")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_and_quotes_inside_strings_do_not_move_the_boundaries() {
        let body =
            r#"{"alipay_trade_query_response":{"a":"}{\"","b":"\\","c":{"d":"{"}},"sign":"x"}"#;
        let r = extract(body, "alipay.trade.query").unwrap();
        assert_eq!(r.content, r#"{"a":"}{\"","b":"\\","c":{"d":"{"}}"#);
    }

    #[test]
    fn duplicates_are_refused() {
        let body = r#"{"alipay_trade_query_response":{"code":"10000"},"sign":"x","alipay_trade_query_response":{"code":"10000","msg":"evil"}}"#;
        assert_eq!(
            extract(body, "alipay.trade.query"),
            Err(ExtractError::DuplicateKey(
                "alipay_trade_query_response".into()
            ))
        );
        let body = r#"{"alipay_trade_query_response":{},"sign":"x","sign":"y"}"#;
        assert_eq!(
            extract(body, "alipay.trade.query"),
            Err(ExtractError::DuplicateKey("sign".into()))
        );
    }

    #[test]
    fn error_response_and_encrypted_strings() {
        let body =
            r#"{"error_response":{"code":"40002","sub_code":"isv.invalid-app-id"},"sign":""}"#;
        let r = extract(body, "alipay.trade.query").unwrap();
        assert!(r.is_error_response());
        assert_eq!(r.sign.as_deref(), Some(""));
        let body = r#"{"alipay_trade_query_response":"QUJD","sign":"x"}"#;
        assert_eq!(
            extract(body, "alipay.trade.query").unwrap().content,
            "\"QUJD\""
        );
        let body = r#"{"alipay_trade_query_response":12,"sign":"x"}"#;
        assert!(matches!(
            extract(body, "alipay.trade.query"),
            Err(ExtractError::BadContent(_))
        ));
    }

    #[test]
    fn not_an_object_or_missing_key() {
        assert!(matches!(
            extract("[]", "a.b"),
            Err(ExtractError::NotJson(_))
        ));
        assert!(matches!(
            extract("{} trailing", "a.b"),
            Err(ExtractError::NotJson(_))
        ));
        assert_eq!(
            extract(r#"{"sign":"x"}"#, "a.b"),
            Err(ExtractError::MissingResponse("a_b_response".into()))
        );
        assert_eq!(
            extract(r#"{"a_b_response":{},"sign":5}"#, "a.b"),
            Err(ExtractError::NotAString("sign"))
        );
    }

    #[test]
    fn response_keys() {
        assert_eq!(
            response_key("alipay.trade.fastpay.refund.query"),
            "alipay_trade_fastpay_refund_query_response"
        );
    }
}
