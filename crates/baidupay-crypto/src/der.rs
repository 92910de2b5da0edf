//! A minimal, panic-free DER reader and writer: just what RSA keys and X.509 certificates need.
//!
//! Only definite lengths are accepted (DER); lengths above 2^32 are refused. Every read is
//! bounds-checked and reports how the input ran short, so that a truncated key yields a clear
//! [`DerError::Truncated`] rather than a generic failure.

use std::fmt;

/// ASN.1 universal tags used here.
pub(crate) mod tag {
    pub(crate) const INTEGER: u8 = 0x02;
    pub(crate) const BIT_STRING: u8 = 0x03;
    pub(crate) const OCTET_STRING: u8 = 0x04;
    pub(crate) const NULL: u8 = 0x05;
    pub(crate) const OID: u8 = 0x06;
    pub(crate) const UTF8_STRING: u8 = 0x0c;
    pub(crate) const PRINTABLE_STRING: u8 = 0x13;
    pub(crate) const TELETEX_STRING: u8 = 0x14;
    pub(crate) const IA5_STRING: u8 = 0x16;
    pub(crate) const UTC_TIME: u8 = 0x17;
    pub(crate) const GENERALIZED_TIME: u8 = 0x18;
    pub(crate) const UNIVERSAL_STRING: u8 = 0x1c;
    pub(crate) const BMP_STRING: u8 = 0x1e;
    pub(crate) const SEQUENCE: u8 = 0x30;
    pub(crate) const SET: u8 = 0x31;
    /// `[0]` constructed, context-specific (the certificate version).
    pub(crate) const CONTEXT_0: u8 = 0xa0;
}

/// What went wrong while reading DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DerError {
    /// The input ended before an element it announced.
    Truncated(String),
    /// The input is not the structure expected.
    Malformed(String),
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated(s) | Self::Malformed(s) => f.write_str(s),
        }
    }
}

/// One element: its tag and the bytes of its contents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    pub(crate) value: &'a [u8],
    /// The whole encoding (tag, length and value).
    pub(crate) raw: &'a [u8],
}

/// A cursor over a sequence of DER elements.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Looks at the tag of the next element without consuming it.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Reads the next element.
    pub(crate) fn read(&mut self) -> Result<Tlv<'a>, DerError> {
        let start = self.pos;
        let rest = self.data.get(start..).unwrap_or_default();
        let (&tag, after_tag) = rest.split_first().ok_or_else(|| {
            DerError::Truncated("expected another element, found end of data".into())
        })?;
        if tag & 0x1f == 0x1f {
            return Err(DerError::Malformed(
                "multi-byte tags are not used in RSA keys or certificates".into(),
            ));
        }
        let (&first, after_len0) = after_tag
            .split_first()
            .ok_or_else(|| DerError::Truncated("element length missing".into()))?;
        let (len, after_len) = if first < 0x80 {
            (usize::from(first), after_len0)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err(DerError::Malformed("indefinite length is not DER".into()));
            }
            if n > 4 {
                return Err(DerError::Malformed(format!(
                    "length of {n} bytes is too large"
                )));
            }
            let bytes = after_len0.get(..n).ok_or_else(|| {
                DerError::Truncated(format!("element length needs {n} bytes, data ends first"))
            })?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, after_len0.get(n..).unwrap_or_default())
        };
        let value = after_len.get(..len).ok_or_else(|| {
            DerError::Truncated(format!(
                "element announces {len} bytes but only {} remain",
                after_len.len()
            ))
        })?;
        let header = rest.len() - after_len.len();
        let total = header + len;
        let raw = rest.get(..total).unwrap_or_default();
        self.pos = start + total;
        Ok(Tlv { tag, value, raw })
    }

    /// Reads the next element and checks its tag.
    pub(crate) fn expect(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>, DerError> {
        let tlv = self.read()?;
        if tlv.tag == tag {
            Ok(tlv)
        } else {
            Err(DerError::Malformed(format!(
                "expected {what} (tag 0x{tag:02x}), found tag 0x{:02x}",
                tlv.tag
            )))
        }
    }

    /// Reads a SEQUENCE and returns a reader over its contents.
    pub(crate) fn sequence(&mut self, what: &str) -> Result<Reader<'a>, DerError> {
        Ok(Reader::new(self.expect(tag::SEQUENCE, what)?.value))
    }

    /// Reads a non-negative INTEGER, returning its big-endian magnitude without leading zeros.
    pub(crate) fn unsigned(&mut self, what: &str) -> Result<&'a [u8], DerError> {
        let v = self.expect(tag::INTEGER, what)?.value;
        if v.is_empty() {
            return Err(DerError::Malformed(format!("{what} is an empty integer")));
        }
        if v.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(DerError::Malformed(format!("{what} is negative")));
        }
        let skip = v.iter().take_while(|&&b| b == 0).count();
        Ok(v.get(skip..).unwrap_or_default())
    }

    /// Fails unless every element was consumed.
    pub(crate) fn finish(&self, what: &str) -> Result<(), DerError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DerError::Malformed(format!(
                "{} unexpected trailing bytes after {what}",
                self.data.len() - self.pos
            )))
        }
    }
}

/// Reads exactly one element spanning all of `data`.
#[cfg(test)]
pub(crate) fn single<'a>(data: &'a [u8], what: &str) -> Result<Tlv<'a>, DerError> {
    let mut r = Reader::new(data);
    let tlv = r.read()?;
    r.finish(what)?;
    Ok(tlv)
}

/// Number of significant bits of a big-endian magnitude.
pub(crate) fn bit_len(magnitude: &[u8]) -> usize {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let rest = magnitude.get(skip..).unwrap_or_default();
    match rest.first() {
        None => 0,
        Some(&b) => (rest.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
    }
}

/// Formats an OID's contents in dotted form (for error messages and OID comparison).
pub(crate) fn oid_to_string(oid: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut acc: u128 = 0;
    let mut first = true;
    for &b in oid {
        acc = (acc << 7) | u128::from(b & 0x7f);
        if acc > u128::from(u64::MAX) {
            return "<oversized OID>".into();
        }
        if b & 0x80 == 0 {
            if first {
                let (a, c) = match acc {
                    0..=39 => (0, acc),
                    40..=79 => (1, acc - 40),
                    _ => (2, acc - 80),
                };
                parts.push(a.to_string());
                parts.push(c.to_string());
                first = false;
            } else {
                parts.push(acc.to_string());
            }
            acc = 0;
        }
    }
    parts.join(".")
}

/// Checks an OID's contents and formats them in dotted form.
///
/// Unlike [`oid_to_string`], an empty OID, one whose last byte announces a continuation and one
/// with an arc above 2^64 are errors.
pub(crate) fn parse_oid(oid: &[u8], what: &str) -> Result<String, DerError> {
    match oid.last() {
        None => Err(DerError::Malformed(format!("{what} is an empty OID"))),
        Some(b) if b & 0x80 != 0 => Err(DerError::Truncated(format!(
            "{what} ends inside an OID arc"
        ))),
        Some(_) => {
            let dotted = oid_to_string(oid);
            if dotted.starts_with('<') {
                Err(DerError::Malformed(format!("{what} has an oversized arc")))
            } else {
                Ok(dotted)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Appends a DER length.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let sig = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | sig.len() as u8);
        out.extend_from_slice(sig);
    }
}

/// Encodes one element.
pub(crate) fn encode(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    out.push(tag);
    push_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

/// Encodes a non-negative INTEGER from a big-endian magnitude.
pub(crate) fn encode_unsigned(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let m = magnitude.get(skip..).unwrap_or_default();
    let mut v = Vec::with_capacity(m.len() + 1);
    if m.first().is_none_or(|b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(m);
    encode(tag::INTEGER, &v)
}

/// Encodes a SEQUENCE of already-encoded elements.
pub(crate) fn encode_sequence(parts: &[&[u8]]) -> Vec<u8> {
    let body: Vec<u8> = parts.concat();
    encode(tag::SEQUENCE, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let short = encode(tag::OCTET_STRING, &[1, 2, 3]);
        assert_eq!(short, vec![0x04, 3, 1, 2, 3]);
        let long_value = vec![7u8; 300];
        let long = encode(tag::OCTET_STRING, &long_value);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let tlv = single(&long, "test").unwrap();
        assert_eq!(tlv.value, &long_value[..]);
        assert_eq!(tlv.raw, &long[..]);
    }

    #[test]
    fn truncation_is_reported() {
        let mut enc = encode(tag::OCTET_STRING, &[9u8; 200]);
        enc.truncate(100);
        assert!(matches!(single(&enc, "x"), Err(DerError::Truncated(_))));
        assert!(matches!(single(&[0x30], "x"), Err(DerError::Truncated(_))));
        assert!(matches!(
            single(&[0x30, 0x82, 0x01], "x"),
            Err(DerError::Truncated(_))
        ));
    }

    #[test]
    fn indefinite_and_huge_lengths_are_refused() {
        assert!(matches!(
            single(&[0x30, 0x80, 0, 0], "x"),
            Err(DerError::Malformed(_))
        ));
        assert!(matches!(
            single(&[0x30, 0x85, 1, 1, 1, 1, 1], "x"),
            Err(DerError::Malformed(_))
        ));
    }

    #[test]
    fn integers_round_trip_and_sign_is_checked() {
        let enc = encode_unsigned(&[0x00, 0x80, 0x01]);
        assert_eq!(enc, vec![0x02, 3, 0x00, 0x80, 0x01]);
        assert_eq!(Reader::new(&enc).unsigned("n").unwrap(), &[0x80, 0x01]);
        let neg = encode(tag::INTEGER, &[0x80]);
        assert!(Reader::new(&neg).unsigned("n").is_err());
        assert_eq!(encode_unsigned(&[]), vec![0x02, 1, 0]);
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[0, 0, 1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(bit_len(&[0x7f; 128]), 1023);
    }

    #[test]
    fn oids_format_dotted() {
        assert_eq!(
            oid_to_string(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]),
            "1.2.840.113549.1.1.1"
        );
        assert_eq!(oid_to_string(&[0x2b, 0x65, 0x70]), "1.3.101.112");
    }

    #[test]
    fn checked_oids() {
        assert_eq!(
            parse_oid(&[0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75], "x").unwrap(),
            "1.2.156.10197.1.501"
        );
        assert_eq!(parse_oid(&[0x55, 0x04, 0x03], "x").unwrap(), "2.5.4.3");
        assert!(matches!(parse_oid(&[], "x"), Err(DerError::Malformed(_))));
        assert!(matches!(
            parse_oid(&[0x2a, 0x86], "x"),
            Err(DerError::Truncated(_))
        ));
        assert!(matches!(
            parse_oid(
                &[
                    0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
                ],
                "x"
            ),
            Err(DerError::Malformed(_))
        ));
    }
}
