//! The shared front of every form callback: size cap, content type, single decode, duplicate
//! check, signature extraction; and the charsets an Alipay notify may declare.

use std::borrow::Cow;
use std::fmt;

use baidupay_crypto::form::{self, CowPair};

use crate::error::{NotifyError, Result};

/// The default body cap: 64 KiB (real callbacks are under 2 KiB).
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// Accepts `application/x-www-form-urlencoded` (any parameters, any case) or no content type.
pub(crate) fn check_form_content_type(content_type: Option<&str>) -> Result<()> {
    match content_type {
        None => Ok(()),
        Some(ct) => {
            let mime = ct.split(';').next().unwrap_or("").trim();
            if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") || mime.is_empty() {
                Ok(())
            } else {
                Err(NotifyError::UnsupportedContentType {
                    found: ct.chars().take(80).collect(),
                    expected: "application/x-www-form-urlencoded",
                })
            }
        }
    }
}

pub(crate) fn check_size(body: &[u8], limit: usize) -> Result<()> {
    if body.len() > limit {
        return Err(NotifyError::BodyTooLarge {
            limit,
            size: body.len(),
        });
    }
    Ok(())
}

/// Decodes the body once, borrowing what needs no decoding. Duplicate names are rejected by
/// the canonical string every caller builds next ([`NotifyError::DuplicateParameter`]).
pub(crate) fn decode(body: &[u8]) -> Result<Vec<CowPair<'_>>> {
    form::parse_borrowed(body).map_err(|e| NotifyError::from_crypto(e, "body"))
}

/// Removes the signature field from `pairs` and returns its value, with spaces read back as
/// `+` (base64 has no spaces; a `+` sent unescaped decodes to a space).
pub(crate) fn take_signature<'a>(
    pairs: &mut Vec<CowPair<'a>>,
    field: &'static str,
) -> Result<Cow<'a, str>> {
    let pos = pairs
        .iter()
        .position(|(k, _)| k == field)
        .ok_or(NotifyError::MissingSignature { field })?;
    let (_, sig) = pairs.remove(pos);
    if pairs.iter().any(|(k, _)| k == field) {
        return Err(NotifyError::DuplicateParameter {
            name: field.to_owned(),
        });
    }
    if sig.is_empty() {
        return Err(NotifyError::MissingSignature { field });
    }
    Ok(if sig.contains(' ') {
        Cow::Owned(sig.replace(' ', "+"))
    } else {
        sig
    })
}

/// The character set a form body's values are percent-encoded in: Alipay's `charset` field
/// (`utf-8` by default; an app registered with another charset gets its notifies in it, and the
/// signature covers the canonical string encoded in that charset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Charset {
    /// UTF-8 (`charset` absent, empty, `utf-8` or `utf8`, any case).
    Utf8,
    /// GBK (`gbk`, any case), as Java's `GBK` charset and the WHATWG encoder write it.
    Gbk,
    /// GB2312 (`gb2312`, any case): the GBK subset whose two-byte characters use bytes
    /// `A1`-`F7` then `A1`-`FE` (EUC-CN).
    Gb2312,
}

impl Charset {
    /// The charset a `charset` value names (ASCII case and surrounding ASCII white space
    /// ignored; empty means UTF-8), or `None` for one Alipay does not use. A label is ASCII:
    /// one with other characters (even Unicode white space) names no charset, so a label
    /// reads the same whatever charset the body turns out to be in.
    pub fn from_label(label: &str) -> Option<Self> {
        let label = label.trim_ascii();
        if label.is_empty()
            || label.eq_ignore_ascii_case("utf-8")
            || label.eq_ignore_ascii_case("utf8")
        {
            Some(Self::Utf8)
        } else if label.eq_ignore_ascii_case("gbk") {
            Some(Self::Gbk)
        } else if label.eq_ignore_ascii_case("gb2312") {
            Some(Self::Gb2312)
        } else {
            None
        }
    }

    /// The name as Alipay writes it: `UTF-8`, `GBK` or `GB2312`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Gbk => "GBK",
            Self::Gb2312 => "GB2312",
        }
    }

    /// Decodes `bytes`, strictly: `None` unless they are exactly what this charset's encoder
    /// writes for some text (no replacement character is ever produced).
    pub(crate) fn decode(self, bytes: &[u8]) -> Option<Cow<'_, str>> {
        if bytes.is_ascii() || self == Self::Utf8 {
            // ASCII is ASCII in all three
            return std::str::from_utf8(bytes).ok().map(Cow::Borrowed);
        }
        if self == Self::Gb2312 && !is_euc_cn(bytes) {
            return None;
        }
        let gbk = encoding_rs::GBK;
        let text = gbk.decode_without_bom_handling_and_without_replacement(bytes)?;
        // The WHATWG GBK decoder is the GB18030 decoder: it also takes four-byte sequences,
        // which are not GBK. Only text that the GBK encoder gives back byte for byte is GBK.
        let (back, _, unmappable) = gbk.encode(&text);
        (!unmappable && back.as_ref() == bytes).then_some(text)
    }

    /// Encodes `text` in this charset; `None` when a character has no encoding in it.
    pub(crate) fn encode(self, text: &str) -> Option<Cow<'_, [u8]>> {
        if self == Self::Utf8 || text.is_ascii() {
            return Some(Cow::Borrowed(text.as_bytes()));
        }
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
        if unmappable || (self == Self::Gb2312 && !is_euc_cn(&bytes)) {
            return None;
        }
        Some(bytes)
    }
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether every non-ASCII byte of `bytes` is part of an EUC-CN (GB2312) pair.
fn is_euc_cn(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    loop {
        match rest {
            [] => return true,
            [b, tail @ ..] if b.is_ascii() => rest = tail,
            [0xA1..=0xF7, 0xA1..=0xFE, tail @ ..] => rest = tail,
            _ => return false,
        }
    }
}

/// A percent-decoded `(name, value)` pair of bytes, borrowed from the body where nothing needed
/// decoding.
pub(crate) type BytePair<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes one name or value to bytes: `+` is a space, `%XX` a byte.
fn unescape(raw: &[u8], pair: usize) -> Result<Cow<'_, [u8]>> {
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let byte = raw
                    .get(i + 1)
                    .copied()
                    .and_then(hex)
                    .zip(raw.get(i + 2).copied().and_then(hex))
                    .map(|(h, l)| (h << 4) | l)
                    .ok_or_else(|| NotifyError::MalformedBody {
                        detail: format!("invalid percent escape in pair {pair}"),
                    })?;
                out.push(byte);
                i += 3;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// Decodes a form body to byte pairs, whatever the charset, exactly as
/// `baidupay_crypto::form::parse` splits it (empty segments skipped but counted, a segment
/// without `=` is a name with an empty value, an empty name is refused).
pub(crate) fn decode_bytes(body: &[u8]) -> Result<Vec<BytePair<'_>>> {
    let mut out = Vec::new();
    for (i, segment) in body.split(|&b| b == b'&').enumerate() {
        if segment.is_empty() {
            continue;
        }
        let pair = i + 1;
        let (k, v) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (
                segment.get(..eq).unwrap_or_default(),
                segment.get(eq + 1..).unwrap_or_default(),
            ),
            None => (segment, &[][..]),
        };
        let name = unescape(k, pair)?;
        if name.is_empty() {
            return Err(NotifyError::MalformedBody {
                detail: format!("pair {pair} has an empty key"),
            });
        }
        out.push((name, unescape(v, pair)?));
    }
    Ok(out)
}

/// The `charset` a list of pairs declares (the first one; a second is refused later as a
/// duplicate by the canonical string).
///
/// # Errors
/// [`NotifyError::UnsupportedCharset`] for a charset Alipay does not use.
pub(crate) fn declared_charset<'a>(
    mut pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) -> Result<Charset> {
    let Some((_, label)) = pairs.find(|(k, _)| *k == b"charset") else {
        return Ok(Charset::Utf8);
    };
    std::str::from_utf8(label)
        .ok()
        .and_then(Charset::from_label)
        .ok_or_else(|| NotifyError::UnsupportedCharset {
            found: String::from_utf8_lossy(label).chars().take(32).collect(),
        })
}

/// Reads byte pairs (from [`decode_bytes`]) as `charset` text, strictly.
///
/// # Errors
/// [`NotifyError::NotInCharset`] naming the first field whose name or value is not valid
/// `charset` text.
pub(crate) fn decode_in(bytes: Vec<BytePair<'_>>, charset: Charset) -> Result<Vec<CowPair<'_>>> {
    let mut out = Vec::with_capacity(bytes.len());
    for (n, (k, v)) in bytes.into_iter().enumerate() {
        let invalid = |field: String| NotifyError::NotInCharset { field, charset };
        let name = text(k, charset).ok_or_else(|| invalid(format!("name of pair {}", n + 1)))?;
        let value =
            text(v, charset).ok_or_else(|| invalid(name.chars().take(64).collect::<String>()))?;
        out.push((name, value));
    }
    Ok(out)
}

/// Strict decode of one byte string, keeping the borrow where it had one.
fn text(bytes: Cow<'_, [u8]>, charset: Charset) -> Option<Cow<'_, str>> {
    match bytes {
        Cow::Borrowed(b) => charset.decode(b),
        Cow::Owned(b) => charset.decode(&b).map(|s| Cow::Owned(s.into_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_decoding_splits_as_the_utf8_decoder_does() {
        let body = b"b=1+2&&a&c=%E4%B8%AD&d=%D6%D0F";
        let bytes = decode_bytes(body).unwrap();
        let as_bytes = |v: &[(&str, &[u8])]| {
            v.iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.to_vec()))
                .collect::<Vec<_>>()
        };
        let got: Vec<_> = bytes
            .iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        assert_eq!(
            got,
            as_bytes(&[
                ("b", b"1 2"),
                ("a", b""),
                ("c", "中".as_bytes()),
                ("d", &[0xD6, 0xD0, b'F']),
            ])
        );
        // names and values with nothing to decode are borrowed
        assert!(matches!(bytes[0].0, Cow::Borrowed(_)));
        assert!(matches!(bytes[1].1, Cow::Borrowed(_)));
        let utf8 = baidupay_crypto::form::parse(b"b=1+2&&a&c=%E4%B8%AD").unwrap();
        let strict = decode_in(
            decode_bytes(b"b=1+2&&a&c=%E4%B8%AD").unwrap(),
            Charset::Utf8,
        )
        .unwrap();
        assert_eq!(
            strict
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect::<Vec<_>>(),
            utf8
        );
    }

    #[test]
    fn byte_decoding_refuses_bad_escapes_and_empty_names() {
        for (body, detail) in [
            (&b"a=%G1"[..], "invalid percent escape in pair 1"),
            (b"x=1&a=%4", "invalid percent escape in pair 2"),
            (b"x=1&&=1", "pair 3 has an empty key"),
        ] {
            match decode_bytes(body) {
                Err(NotifyError::MalformedBody { detail: d }) => assert_eq!(d, detail),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn strict_decoding_never_replaces() {
        assert_eq!(
            Charset::Gbk.decode(&[0xD6, 0xD0, 0xCE, 0xC4]).as_deref(),
            Some("中文")
        );
        assert_eq!(Charset::Gbk.decode(&[0x80]).as_deref(), Some("€"));
        for bad in [
            &[0xFF][..],
            &[0xD6],
            &[0x81, 0x30, 0x81, 0x30],
            &[0xD6, 0x20],
        ] {
            assert_eq!(Charset::Gbk.decode(bad), None, "{bad:x?}");
        }
        // GB2312 is EUC-CN: 中文 yes, 喆 (86 B4) and € (80) no
        assert_eq!(Charset::Gb2312.decode(&[0xD6, 0xD0]).as_deref(), Some("中"));
        assert_eq!(Charset::Gb2312.decode(&[0x86, 0xB4]), None);
        assert_eq!(Charset::Gb2312.decode(&[0x80]), None);
        assert_eq!(Charset::Utf8.decode(&[0xD6, 0xD0]), None);
        // encode is the inverse, and refuses what the charset cannot hold
        assert_eq!(
            Charset::Gbk.encode("中文").as_deref(),
            Some(&[0xD6, 0xD0, 0xCE, 0xC4][..])
        );
        assert_eq!(Charset::Gbk.encode("😀"), None);
        assert_eq!(Charset::Gb2312.encode("喆"), None);
        assert_eq!(Charset::Utf8.encode("😀").as_deref(), Some("😀".as_bytes()));
    }
}
