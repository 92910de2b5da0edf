//! Request helpers shared by the handlers: form and query parameters, JSON fields, URLs.

use std::collections::HashMap;

use baidupay_crypto::form;
use serde_json::Value;

/// Request parameters by name.
pub(crate) type Params = HashMap<String, String>;

/// Query pairs (and, for POST, form pairs first), decoded once.
pub(crate) fn params(query: Option<&str>, body: Option<&[u8]>) -> Params {
    let mut out = HashMap::new();
    for source in [body.unwrap_or_default(), query.unwrap_or("").as_bytes()] {
        for (k, v) in form::parse(source).unwrap_or_default() {
            out.entry(k).or_insert(v);
        }
    }
    out
}

/// The parameter `k` as a number.
pub(crate) fn num(p: &HashMap<String, String>, k: &str) -> Option<u64> {
    p.get(k).and_then(|v| v.parse().ok())
}

/// A JSON string or number as text.
pub(crate) fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A control-API id given as a JSON number or a numeric string.
pub(crate) fn json_id(v: &Value, key: &str) -> Option<u64> {
    match v.get(key) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}

/// Whether `v` is an absolute http(s) URL with a host.
pub(crate) fn absolute_url(v: &str) -> bool {
    v.parse::<http::Uri>()
        .ok()
        .is_some_and(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_pairs_win_over_the_query() {
        let p = params(Some("a=1&b=2"), Some(b"a=3"));
        assert_eq!(p.get("a").map(String::as_str), Some("3"));
        assert_eq!(num(&p, "b"), Some(2));
        assert_eq!(num(&p, "c"), None);
        assert!(absolute_url("http://127.0.0.1:8080/notify"));
        assert!(!absolute_url("/notify"));
        assert!(!absolute_url("ftp://host/x"));
        assert_eq!(text_of(Some(&serde_json::json!(12))), Some("12".to_owned()));
    }
}
