//! Redaction of secrets in URLs for logs and error messages.

/// Query parameter names whose values are secrets (compared ASCII case-insensitively).
pub const SECRET_PARAMS: &[&str] = &[
    "access_token",
    "client_secret",
    "refresh_token",
    "component_access_token",
    "authorizer_access_token",
    "app_auth_token",
    "sign",
    "rsaSign",
    "ticket",
    "code",
    "password",
    "secret",
    "session_key",
    "pre_auth_code",
];

/// Whether a parameter of this name carries a secret.
pub fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// The URI as text with the value of every secret query parameter replaced by `[redacted]`.
///
/// Parameters are matched by name after percent-decoding (so `access%5Ftoken` is caught);
/// everything else is kept as sent. User info (`user:pass@`) is dropped.
///
/// ```
/// let uri: http::Uri = "https://openapi.baidu.com/x?access_token=SECRET&tpOrderId=1".parse().unwrap();
/// assert_eq!(
///     baidupay_transport::redact_uri(&uri),
///     "https://openapi.baidu.com/x?access_token=[redacted]&tpOrderId=1"
/// );
/// ```
pub fn redact_uri(uri: &http::Uri) -> String {
    let mut out = String::new();
    if let Some(scheme) = uri.scheme_str() {
        out.push_str(scheme);
        out.push_str("://");
    }
    if let Some(host) = uri.host() {
        out.push_str(host);
    }
    if let Some(port) = uri.port_u16() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(uri.path());
    if let Some(q) = uri.query() {
        out.push('?');
        out.push_str(&redact_query(q));
    }
    out
}

/// A query string (or form body) with the values of secret parameters replaced by `[redacted]`.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let (name, has_value) = match pair.split_once('=') {
                Some((n, _)) => (n, true),
                None => (pair, false),
            };
            if is_secret_param(&percent_decode(name)) {
                if has_value {
                    format!("{name}=[redacted]")
                } else {
                    "[redacted]".to_owned()
                }
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Lossy percent-decoding with `+` as space, for matching names and for test doubles.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_secret() {
        let uri: http::Uri = "http://127.0.0.1:8080/p?a=1&ACCESS_TOKEN=s1&access%5Ftoken=s2&code&sign=s3&x=access_token"
            .parse()
            .unwrap();
        let r = redact_uri(&uri);
        assert_eq!(
            r,
            "http://127.0.0.1:8080/p?a=1&ACCESS_TOKEN=[redacted]&access%5Ftoken=[redacted]&[redacted]&sign=[redacted]&x=access_token"
        );
        assert_eq!(percent_decode("a%2Bb+c%zz%4"), "a+b c%zz%4");
    }
}
