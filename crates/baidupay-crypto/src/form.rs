//! Strict `application/x-www-form-urlencoded` decoding, done exactly once.
//!
//! Unlike lenient decoders, malformed percent escapes and bytes that are not UTF-8 are errors:
//! a callback body that does not decode cleanly is not something to verify and trust.

use std::borrow::Cow;

use crate::error::{Error, Result};

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode_component(raw: &[u8], pair_index: usize) -> Result<Cow<'_, str>> {
    let not_utf8 = |_| Error::FormNotUtf8 {
        pair: pair_index + 1,
    };
    let Some(mut next) = memchr::memchr2(b'%', b'+', raw) else {
        // nothing to decode: borrow the body (the common case for ids and amounts)
        return std::str::from_utf8(raw)
            .map(Cow::Borrowed)
            .map_err(not_utf8);
    };
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    loop {
        out.extend_from_slice(rest.get(..next).unwrap_or_default());
        match rest.get(next) {
            Some(b'+') => {
                out.push(b' ');
                rest = rest.get(next + 1..).unwrap_or_default();
            }
            Some(_) => {
                let byte = match (
                    rest.get(next + 1).copied().and_then(hex),
                    rest.get(next + 2).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => (h << 4) | l,
                    _ => {
                        return Err(Error::MalformedForm {
                            detail: format!("invalid percent escape in pair {}", pair_index + 1),
                        });
                    }
                };
                out.push(byte);
                rest = rest.get(next + 3..).unwrap_or_default();
            }
            None => break,
        }
        match memchr::memchr2(b'%', b'+', rest) {
            Some(n) => next = n,
            None => {
                out.extend_from_slice(rest);
                break;
            }
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|e| not_utf8(e.utf8_error()))
}

/// A decoded `(name, value)` pair that borrows from the body where nothing needed decoding.
pub type CowPair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// As [`parse`], but borrowing every name and value that needs no decoding (no `%`, no `+`)
/// from `body` instead of allocating: the fast path for verifying callbacks.
///
/// # Errors
/// As [`parse`].
pub fn parse_borrowed(body: &[u8]) -> Result<Vec<CowPair<'_>>> {
    let mut out = Vec::with_capacity(memchr::memchr_iter(b'&', body).count() + 1);
    // Raw bytes are never changed by decoding, so a body that is not UTF-8 as a whole has a
    // pair that is not UTF-8: name it (pairs are counted like `parse` counts them, empty
    // segments included). Then the text is split on ASCII '&' and '=' and only components
    // with escapes are decoded and re-checked.
    let text = std::str::from_utf8(body).map_err(|e| {
        let before = body.get(..e.valid_up_to()).unwrap_or_default();
        Error::FormNotUtf8 {
            pair: memchr::memchr_iter(b'&', before).count() + 1,
        }
    })?;
    let ends = memchr::memchr_iter(b'&', body).chain(std::iter::once(body.len()));
    let mut start = 0;
    for (i, end) in ends.enumerate() {
        // '&' and '=' are ASCII, so these byte offsets are character boundaries
        let segment = text.get(start..end).unwrap_or_default();
        start = end + 1;
        if segment.is_empty() {
            continue;
        }
        let (k, v) = match segment.as_bytes().iter().position(|&c| c == b'=') {
            Some(eq) => (
                segment.get(..eq).unwrap_or_default(),
                segment.get(eq + 1..).unwrap_or_default(),
            ),
            None => (segment, ""),
        };
        let key = decode_str(k, i)?;
        if key.is_empty() {
            return Err(Error::MalformedForm {
                detail: format!("pair {} has an empty key", i + 1),
            });
        }
        out.push((key, decode_str(v, i)?));
    }
    Ok(out)
}

/// Whether `b` holds `%` or `+`: a plain loop for the short names and numbers that make up
/// most of a body (cheaper than a SIMD call's set-up), memchr for long values.
fn needs_decoding(b: &[u8]) -> bool {
    if b.len() <= 32 {
        b.iter().any(|&c| c == b'%' || c == b'+')
    } else {
        memchr::memchr2(b'%', b'+', b).is_some()
    }
}

fn decode_str(s: &str, pair_index: usize) -> Result<Cow<'_, str>> {
    if !needs_decoding(s.as_bytes()) {
        return Ok(Cow::Borrowed(s));
    }
    decode_component(s.as_bytes(), pair_index)
}

/// Decodes a form body into `(key, value)` pairs in body order.
///
/// `+` becomes a space and `%XX` a byte, once; empty segments (`a=1&&b=2`) are skipped; a
/// segment without `=` is a key with an empty value. Duplicate keys are kept here (so that
/// callers can reject them with a precise error).
///
/// # Errors
/// [`Error::MalformedForm`] for a bad percent escape or an empty key; [`Error::FormNotUtf8`]
/// when a decoded name or value is not UTF-8.
///
/// # Examples
/// ```
/// let pairs = baidupay_crypto::form::parse(b"a=1+2&b=%E4%B8%AD&c=")?;
/// assert_eq!(pairs, vec![
///     ("a".to_owned(), "1 2".to_owned()),
///     ("b".to_owned(), "中".to_owned()),
///     ("c".to_owned(), String::new()),
/// ]);
/// # Ok::<(), baidupay_crypto::Error>(())
/// ```
pub fn parse(body: &[u8]) -> Result<Vec<(String, String)>> {
    Ok(parse_borrowed(body)?
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

/// Percent-encodes `s` for a form body: unreserved characters (`A-Z a-z 0-9 - . _ *`) stay,
/// space becomes `+`, everything else `%XX` (upper-case hex), as Java's `URLEncoder` and the
/// Alipay SDKs do.
pub fn encode_component(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0f)]));
            }
        }
    }
    out
}

/// Encodes `(key, value)` pairs as a form body, in the order given.
pub fn encode<I, K, V>(pairs: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode_component(k.as_ref()));
        out.push('=');
        out.push_str(&encode_component(v.as_ref()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_once() {
        let p = parse(b"passback_params=%257B%2522a%2522%257D").unwrap();
        assert_eq!(p[0].1, "%7B%22a%22%7D");
    }

    #[test]
    fn rejects_bad_escapes_and_non_utf8() {
        assert!(matches!(parse(b"a=%G1"), Err(Error::MalformedForm { .. })));
        assert!(matches!(parse(b"a=%4"), Err(Error::MalformedForm { .. })));
        assert!(matches!(
            parse(b"a=%FF"),
            Err(Error::FormNotUtf8 { pair: 1 })
        ));
        assert!(matches!(
            parse(b"x=1&a=\xff"),
            Err(Error::FormNotUtf8 { pair: 2 })
        ));
        assert!(matches!(parse(b"=1"), Err(Error::MalformedForm { .. })));
    }

    #[test]
    fn keeps_order_duplicates_and_bare_keys() {
        let p = parse(b"b=1&&a&b=2").unwrap();
        assert_eq!(
            p,
            vec![
                ("b".into(), "1".into()),
                ("a".into(), String::new()),
                ("b".into(), "2".into())
            ]
        );
    }

    #[test]
    fn encode_round_trips() {
        let pairs = vec![
            ("sign".to_owned(), "ab+/c=".to_owned()),
            ("subject".to_owned(), "语雀空间 500人规模".to_owned()),
            ("t".to_owned(), "2019-08-15 15:56:22".to_owned()),
        ];
        let body = encode(pairs.iter().map(|(k, v)| (k, v)));
        assert_eq!(
            body,
            "sign=ab%2B%2Fc%3D&subject=%E8%AF%AD%E9%9B%80%E7%A9%BA%E9%97%B4+500%E4%BA%BA%E8%A7%84%E6%A8%A1&t=2019-08-15+15%3A56%3A22"
        );
        assert_eq!(parse(body.as_bytes()).unwrap(), pairs);
    }
}
