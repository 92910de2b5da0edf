//! X.509 certificates as Alipay's certificate mode (公钥证书) uses them.
//!
//! In certificate mode every request carries `app_cert_sn` (the SN of
//! `appCertPublicKey_<appid>.crt`) and `alipay_root_cert_sn` (the SN of `alipayRootCert.crt`), and
//! responses are verified with the key inside `alipayCertPublicKey_RSA2.crt`. The SN of a
//! certificate is
//!
//! ```text
//! lowercase_hex(MD5(issuer + decimal(serialNumber)))
//! ```
//!
//! where `issuer` is the issuer's distinguished name as Java's `X500Principal.getName()` prints
//! it ([`Certificate::issuer`]) and `decimal(serialNumber)` the serial as a base-10 integer
//! ([`Certificate::serial_decimal`]). The root SN joins, with `_` and in file order, the SNs of
//! the bundle's RSA-signed certificates; the SM2 and ECDSA roots of the real bundle are skipped.
//!
//! Only what these computations need is read: no signature or chain is verified here.
//!
//! # Example
//!
//! ```
//! use baidupay_crypto::cert::{Certificate, alipay_cert_sn};
//!
//! let pem = "-----BEGIN CERTIFICATE-----
//! MIIDejCCAmKgAwIBAgIQIBkJF4/u3N03Ui3OAdhIszANBgkqhkiG9w0BAQsFADCBgjELMAkGA1UE
//! BhMCQ04xFjAUBgNVBAoMDUFudCBGaW5hbmNpYWwxIDAeBgNVBAsMF0NlcnRpZmljYXRpb24gQXV0
//! aG9yaXR5MTkwNwYDVQQDDDBBbnQgRmluYW5jaWFsIENlcnRpZmljYXRpb24gQXV0aG9yaXR5IENs
//! YXNzIDIgUjEwHhcNMTkwOTE3MTI1NDI0WhcNMjEwOTE2MTI1NDI0WjBbMQswCQYDVQQGEwJDTjEP
//! MA0GA1UECgwG6ZKf6ZuoMQ8wDQYDVQQLDAZBbGlwYXkxKjAoBgNVBAMMITIwODgwMDI2NTY3MTg5
//! MjAtMjAxOTA5MTc2NzE0NTAxOTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAI7lqNEh
//! M+zmuofduwxRC/HeAcYW1S1/YmoREF71EV2bt4xexcs0p3hPGExM1IXur7HEZfc1jsq+7U2khRoN
//! EVsadBZMsVPTtc3aiuiHWN/gUiSb4uM/hnARQSUt1M7mEXxpJRz0kWJsSUqjcx2Bovu00cGFbIZG
//! Xv/H86QzBfPpRd9qAT30rfSiZb3CjtieVMTq60wmWIdd8/1rZpGy+EEXBGGkXOQoGTBgUXofQIzw
//! rWigATNt/+Ngx60uONMeJTLk1RYo+1F/V2iWNgsECqhU6283iQ6ScjmUhrOVVuh20TOSaFx2xczN
//! C1Cw5qP+hGtITnYuGITDVxSho1k+04UCAwEAAaMSMBAwDgYDVR0PAQH/BAQDAgP4MA0GCSqGSIb3
//! DQEBCwUAA4IBAQA3EhSYXqVMWw9VJiLGigBgbSDJdrX0lMa2uRNB2X1n+SsRLK5MzXNx5oGZykgO
//! WFoCH1rTO7mP7hCOjWROCgdn7mcttkyWHUFKaQjuAXh2UjmKiKkfzkDBe47DwpWtMNZI6d4aosxB
//! asoNhXY8k2WtJvlGfdgsNYDIKpamjL3XAKRohSn6kNmTOaRsrOethJWsgClKIe7FDGLO8XBOSdyd
//! 7KClfLY8AEg7sCvIUjA5FhIpZML8SoClD11zb5ENH43vONQveQACzFkkYu4DiyCFCBfxt5uALVGs
//! vV1qhwcQX35kmhYxuTdXwU5xJ8owS9abd5fu3dY1k34fY2L5M8oa
//! -----END CERTIFICATE-----";
//! let cert = Certificate::from_pem(pem)?;
//! assert_eq!(
//!     cert.issuer(),
//!     "CN=Ant Financial Certification Authority Class 2 R1,OU=Certification Authority,O=Ant Financial,C=CN"
//! );
//! assert_eq!(cert.serial_decimal(), "42665287695059973067612265679949416627");
//! assert_eq!(cert.alipay_sn(), "11b1abe5035f1498e334be6fc2d4943a");
//! assert_eq!(alipay_cert_sn(pem)?, cert.alipay_sn());
//! assert_eq!(cert.not_after().to_string(), "2021-09-16T12:54:24Z");
//! assert_eq!(cert.public_key()?.bits(), 2048);
//! # Ok::<(), baidupay_crypto::Error>(())
//! ```

use std::fmt;

use base64::Engine as _;
use md5::{Digest as _, Md5};

use crate::der::{self, DerError, Reader, Tlv, tag};
use crate::error::{Error, Result};
use crate::key::{KEY_B64, PublicKey};

/// The prefix of the PKCS#1 signature-algorithm OIDs (`sha1WithRSAEncryption`,
/// `sha256WithRSAEncryption`, ...): the certificates that count for the Alipay root SN.
const RSA_SIGNATURE_PREFIX: &str = "1.2.840.113549.1.1.";

/// Serial numbers longer than this are refused (RFC 5280 allows 20 octets); it bounds the
/// quadratic decimal conversion.
const MAX_SERIAL_LEN: usize = 64;

/// PEM labels read as certificates.
const CERTIFICATE_LABELS: [&str; 2] = ["CERTIFICATE", "X509 CERTIFICATE"];

// ---------------------------------------------------------------------------------------------
// Time

/// A UTC date and time with one-second precision: a certificate's `notBefore` or `notAfter`.
///
/// Read from the certificate's `UTCTime` (`YYMMDDHHMMSSZ`, years 50–99 are 1950–1999 and 00–49
/// are 2000–2049, as RFC 5280 says) or `GeneralizedTime` (`YYYYMMDDHHMMSSZ`). The fields are
/// exactly the certificate's; ordering is chronological. [`UtcDateTime::unix_seconds`] gives
/// the Unix time and `Display` the RFC 3339 form, `2021-09-16T12:54:24Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct UtcDateTime {
    /// The year, 0–9999.
    pub year: u16,
    /// The month, 1–12.
    pub month: u8,
    /// The day of the month, 1–31.
    pub day: u8,
    /// The hour, 0–23.
    pub hour: u8,
    /// The minute, 0–59.
    pub minute: u8,
    /// The second, 0–59.
    pub second: u8,
}

impl UtcDateTime {
    /// Seconds since 1970-01-01T00:00:00Z (negative before it).
    pub fn unix_seconds(&self) -> i64 {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        days * 86_400
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

impl fmt::Display for UtcDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Two ASCII digits as a number.
fn two_digits(hi: u8, lo: u8) -> Option<u8> {
    if hi.is_ascii_digit() && lo.is_ascii_digit() {
        Some((hi - b'0') * 10 + (lo - b'0'))
    } else {
        None
    }
}

/// Reads a `Time` (RFC 5280 forms only: `Z`, seconds present, no fraction).
fn parse_time(t: Tlv<'_>, what: &str) -> Result<UtcDateTime> {
    let form = match t.tag {
        tag::UTC_TIME => "UTCTime YYMMDDHHMMSSZ",
        tag::GENERALIZED_TIME => "GeneralizedTime YYYYMMDDHHMMSSZ",
        other => {
            return Err(Error::MalformedCertificate {
                detail: format!("{what} has tag 0x{other:02x}, not UTCTime or GeneralizedTime"),
            });
        }
    };
    let bad = || Error::MalformedCertificate {
        detail: format!(
            "{what} `{}` is not a {form}",
            String::from_utf8_lossy(t.value).escape_debug()
        ),
    };
    let (year, rest) = match (t.tag, t.value) {
        (tag::UTC_TIME, [y1, y2, rest @ ..]) => {
            let yy = two_digits(*y1, *y2).ok_or_else(bad)?;
            (if yy >= 50 { 1900 } else { 2000 } + u16::from(yy), rest)
        }
        (tag::GENERALIZED_TIME, [c1, c2, y1, y2, rest @ ..]) => {
            let cc = two_digits(*c1, *c2).ok_or_else(bad)?;
            let yy = two_digits(*y1, *y2).ok_or_else(bad)?;
            (u16::from(cc) * 100 + u16::from(yy), rest)
        }
        _ => return Err(bad()),
    };
    let [mo1, mo2, d1, d2, h1, h2, mi1, mi2, s1, s2, b'Z'] = rest else {
        return Err(bad());
    };
    let field = |a: &u8, b: &u8| two_digits(*a, *b).ok_or_else(bad);
    let (month, day) = (field(mo1, mo2)?, field(d1, d2)?);
    let (hour, minute, second) = (field(h1, h2)?, field(mi1, mi2)?, field(s1, s2)?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(Error::MalformedCertificate {
            detail: format!(
                "{what} `{}` is not a valid date and time",
                String::from_utf8_lossy(t.value).escape_debug()
            ),
        });
    }
    Ok(UtcDateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
    })
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// A big-endian magnitude as a base-10 string, by repeated division by 10^9.
pub(crate) fn magnitude_to_decimal(magnitude: &[u8]) -> String {
    const CHUNK: u64 = 1_000_000_000;
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let mut num: Vec<u8> = magnitude.get(skip..).unwrap_or_default().to_vec();
    // Base-10^9 digits, least significant first.
    let mut chunks: Vec<u64> = Vec::with_capacity(num.len() / 3 + 1);
    while !num.is_empty() {
        let mut rem: u64 = 0;
        let mut quotient = Vec::with_capacity(num.len());
        for &b in &num {
            let cur = (rem << 8) | u64::from(b);
            // rem < 10^9, so cur < 256 * 10^9 and the quotient digit is below 256.
            let q = cur / CHUNK;
            rem = cur % CHUNK;
            if q != 0 || !quotient.is_empty() {
                quotient.push(u8::try_from(q).unwrap_or(u8::MAX));
            }
        }
        chunks.push(rem);
        num = quotient;
    }
    let mut out = String::with_capacity(chunks.len() * 9);
    let mut iter = chunks.iter().rev();
    match iter.next() {
        None => out.push('0'),
        Some(first) => out.push_str(&first.to_string()),
    }
    for chunk in iter {
        out.push_str(&format!("{chunk:09}"));
    }
    out
}

/// The contents of a DER INTEGER (two's complement) as a base-10 string, with a leading `-`
/// when negative, as Java's `BigInteger::toString` prints it.
pub(crate) fn integer_to_decimal(content: &[u8]) -> String {
    match content.first() {
        Some(b) if b & 0x80 != 0 => {
            // Two's complement: the magnitude is (NOT x) + 1.
            let mut magnitude: Vec<u8> = content.iter().map(|b| !b).collect();
            for byte in magnitude.iter_mut().rev() {
                let (sum, carry) = byte.overflowing_add(1);
                *byte = sum;
                if !carry {
                    break;
                }
            }
            format!("-{}", magnitude_to_decimal(&magnitude))
        }
        _ => magnitude_to_decimal(content),
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Distinguished names (RFC 4514)

/// The RFC 4514 short name of an attribute type, for the types Java's `X500Principal` names.
fn short_name(dotted: &str) -> Option<&'static str> {
    Some(match dotted {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

/// Decodes a directory string; `None` for other types and for contents invalid for their type.
fn decode_string(value: &Tlv<'_>) -> Option<String> {
    let v = value.value;
    match value.tag {
        tag::UTF8_STRING => std::str::from_utf8(v).ok().map(str::to_owned),
        tag::PRINTABLE_STRING | tag::IA5_STRING => v
            .is_ascii()
            .then(|| v.iter().copied().map(char::from).collect()),
        // T.61 is read as Latin-1, as Java reads it.
        tag::TELETEX_STRING => Some(v.iter().copied().map(char::from).collect()),
        tag::BMP_STRING => {
            if !v.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = v
                .chunks_exact(2)
                .map(|c| match c {
                    [hi, lo] => u16::from_be_bytes([*hi, *lo]),
                    _ => 0,
                })
                .collect();
            String::from_utf16(&units).ok()
        }
        tag::UNIVERSAL_STRING => {
            if !v.len().is_multiple_of(4) {
                return None;
            }
            v.chunks_exact(4)
                .map(|c| match c {
                    [a, b, cc, d] => char::from_u32(u32::from_be_bytes([*a, *b, *cc, *d])),
                    _ => None,
                })
                .collect()
        }
        _ => None,
    }
}

/// Escapes an attribute value as RFC 4514 §2.4 requires.
fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push_str("\\00"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '#' if i == 0 => out.push_str("\\#"),
            _ => out.push(c),
        }
    }
    out
}

/// Formats one `AttributeTypeAndValue`.
fn format_attribute(oid: &[u8], value: &Tlv<'_>, what: &str) -> Result<String> {
    let dotted = der::parse_oid(oid, "attribute type").map_err(|e| in_field(what, e))?;
    Ok(match short_name(&dotted) {
        Some(name) => match decode_string(value) {
            Some(s) => format!("{name}={}", escape_value(&s)),
            None => format!("{name}=#{}", hex_lower(value.raw)),
        },
        None => format!("{dotted}=#{}", hex_lower(value.raw)),
    })
}

/// Formats the contents of a `Name` as Java's `X500Principal.getName()` (RFC 2253) does: the
/// last RDN first, RDNs joined by `,`, the attributes of a multi-valued RDN joined by `+` in
/// their DER order.
pub(crate) fn format_name(name: &[u8], what: &str) -> Result<String> {
    let ctx = |e: DerError| in_field(what, e);
    let mut rdns = Vec::new();
    let mut r = Reader::new(name);
    while !r.is_empty() {
        let set = r
            .expect(tag::SET, "RelativeDistinguishedName")
            .map_err(ctx)?;
        let mut attributes = Reader::new(set.value);
        if attributes.is_empty() {
            return Err(Error::MalformedCertificate {
                detail: format!("{what}: empty RelativeDistinguishedName"),
            });
        }
        let mut parts = Vec::new();
        while !attributes.is_empty() {
            let mut atv = attributes.sequence("AttributeTypeAndValue").map_err(ctx)?;
            let oid = atv.expect(tag::OID, "attribute type").map_err(ctx)?.value;
            let value = atv.read().map_err(ctx)?;
            atv.finish("AttributeTypeAndValue").map_err(ctx)?;
            parts.push(format_attribute(oid, &value, what)?);
        }
        rdns.push(parts.join("+"));
    }
    rdns.reverse();
    Ok(rdns.join(","))
}

// ---------------------------------------------------------------------------------------------
// Certificate

fn in_field(what: &str, e: DerError) -> Error {
    let detail = match e {
        DerError::Truncated(s) => format!("{what} is truncated: {s}"),
        DerError::Malformed(s) => format!("{what}: {s}"),
    };
    Error::MalformedCertificate { detail }
}

/// Reads an `AlgorithmIdentifier` and returns its OID in dotted form; the parameters, present
/// (`NULL` for RSA) or not, are not looked at.
fn algorithm_oid(r: &mut Reader<'_>, what: &str) -> Result<String> {
    let ctx = |e: DerError| in_field(what, e);
    let mut alg = r.sequence("AlgorithmIdentifier").map_err(ctx)?;
    let oid = alg.expect(tag::OID, "algorithm OID").map_err(ctx)?.value;
    der::parse_oid(oid, "algorithm OID").map_err(ctx)
}

/// The outer `signatureAlgorithm` OID of a certificate, without reading anything else.
fn outer_signature_algorithm(der_bytes: &[u8]) -> Result<String> {
    let mut outer = Reader::new(der_bytes);
    let mut cert = outer
        .sequence("Certificate")
        .map_err(|e| in_field("certificate", e))?;
    cert.expect(tag::SEQUENCE, "tbsCertificate")
        .map_err(|e| in_field("certificate", e))?;
    algorithm_oid(&mut cert, "signatureAlgorithm")
}

/// A parsed X.509 certificate: the fields Alipay's certificate mode needs, and its DER.
///
/// Parsing checks the structure of the certificate up to its public key; the signature and the
/// extensions are not verified.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    serial_decimal: String,
    signature_algorithm: String,
    issuer: String,
    subject: String,
    not_before: UtcDateTime,
    not_after: UtcDateTime,
    spki: Vec<u8>,
}

impl Certificate {
    /// Parses a DER-encoded certificate (exactly one, nothing after it).
    ///
    /// # Errors
    /// [`Error::MalformedCertificate`] naming the field that is wrong or truncated.
    pub fn from_der(der_bytes: &[u8]) -> Result<Self> {
        if der_bytes.is_empty() {
            return Err(Error::MalformedCertificate {
                detail: "the certificate is empty".into(),
            });
        }
        let ctx = |what: &'static str| move |e: DerError| in_field(what, e);
        let mut outer = Reader::new(der_bytes);
        let mut cert = outer.sequence("Certificate").map_err(ctx("certificate"))?;
        outer
            .finish("the certificate")
            .map_err(ctx("certificate"))?;
        let mut tbs = cert
            .sequence("tbsCertificate")
            .map_err(ctx("certificate"))?;
        let signature_algorithm = algorithm_oid(&mut cert, "signatureAlgorithm")?;
        cert.expect(tag::BIT_STRING, "signatureValue")
            .map_err(ctx("certificate"))?;
        cert.finish("Certificate").map_err(ctx("certificate"))?;

        if tbs.peek_tag() == Some(tag::CONTEXT_0) {
            let version = tbs.read().map_err(ctx("version"))?;
            let mut v = Reader::new(version.value);
            v.expect(tag::INTEGER, "version").map_err(ctx("version"))?;
            v.finish("version").map_err(ctx("version"))?;
        }
        let serial = tbs
            .expect(tag::INTEGER, "INTEGER")
            .map_err(ctx("serialNumber"))?
            .value;
        if serial.is_empty() {
            return Err(Error::MalformedCertificate {
                detail: "serialNumber is an empty integer".into(),
            });
        }
        if serial.len() > MAX_SERIAL_LEN {
            return Err(Error::MalformedCertificate {
                detail: format!(
                    "serialNumber of {} bytes is too long (at most {MAX_SERIAL_LEN})",
                    serial.len()
                ),
            });
        }
        algorithm_oid(&mut tbs, "tbsCertificate signature")?;
        let issuer = tbs
            .expect(tag::SEQUENCE, "Name")
            .map_err(ctx("issuer"))?
            .value;
        let issuer = format_name(issuer, "issuer")?;
        let mut validity = tbs.sequence("Validity").map_err(ctx("validity"))?;
        let not_before = parse_time(validity.read().map_err(ctx("notBefore"))?, "notBefore")?;
        let not_after = parse_time(validity.read().map_err(ctx("notAfter"))?, "notAfter")?;
        validity.finish("Validity").map_err(ctx("validity"))?;
        let subject = tbs
            .expect(tag::SEQUENCE, "Name")
            .map_err(ctx("subject"))?
            .value;
        let subject = format_name(subject, "subject")?;
        let spki = tbs
            .expect(tag::SEQUENCE, "SubjectPublicKeyInfo")
            .map_err(ctx("subjectPublicKeyInfo"))?
            .raw
            .to_vec();
        // The optional unique identifiers and the extensions are not needed.
        Ok(Self {
            der: der_bytes.to_vec(),
            serial_decimal: integer_to_decimal(serial),
            signature_algorithm,
            issuer,
            subject,
            not_before,
            not_after,
            spki,
        })
    }

    /// Parses exactly one certificate: PEM text holding one `CERTIFICATE` block (other blocks
    /// and text around it are ignored), or DER bytes (as [`Certificate::from_der`]).
    ///
    /// # Errors
    /// [`Error::MultipleCertificates`] when the text holds several `CERTIFICATE` blocks (for a
    /// bundle use [`Certificate::all_from_pem`]; for an Alipay certificate file that carries its
    /// issuer too, [`alipay_cert_sn`] takes the first); [`Error::MalformedCertificate`] when it
    /// holds none or the certificate is malformed.
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self> {
        let input = pem.as_ref();
        if !is_pem(input) {
            return Self::from_der(input);
        }
        let mut ders = certificate_ders(input)?;
        if ders.len() > 1 {
            return Err(Error::MultipleCertificates { found: ders.len() });
        }
        match ders.pop() {
            Some(der) => Self::from_der(&der?),
            None => Err(no_certificate()),
        }
    }

    /// Parses every certificate of a bundle, in order: each `CERTIFICATE` block of PEM text
    /// (other blocks and text between them are ignored), or concatenated DER certificates.
    ///
    /// # Errors
    /// [`Error::BundleCertificate`] naming the 1-based position of the first certificate that
    /// cannot be read (its cause as the source); [`Error::MalformedCertificate`] when the input
    /// holds no certificate at all.
    pub fn all_from_pem(bundle: impl AsRef<[u8]>) -> Result<Vec<Self>> {
        certificate_ders(bundle.as_ref())?
            .into_iter()
            .enumerate()
            .map(|(i, der)| {
                der.and_then(|d| Self::from_der(&d))
                    .map_err(|e| bundle_error(i, e))
            })
            .collect()
    }

    /// The issuer's distinguished name as Java's `X500Principal.getName()` prints it.
    ///
    /// RFC 4514 / RFC 2253 form: the most specific RDN first (the reverse of the DER order), RDNs
    /// joined by `,` without spaces, the attributes of a multi-valued RDN joined by `+`.
    /// `CN`, `C`, `L`, `ST`, `O`, `OU`, `STREET`, `DC` and `UID` are named; other types are
    /// written as the dotted OID, `=#` and the hex of the DER value, as are values that are not
    /// a valid UTF8String, PrintableString, IA5String, TeletexString (read as Latin-1),
    /// BMPString or UniversalString. Values are escaped as RFC 4514 §2.4 says: `,` `+` `"` `\`
    /// `<` `>` `;`, a leading `#` or space and a trailing space take a backslash, NUL is `\00`.
    /// (Java also escapes `=` and a `#` anywhere; no Alipay certificate has either.)
    ///
    /// For example `CN=Ant Financial Certification Authority Class 2 R1,OU=Certification
    /// Authority,O=Ant Financial,C=CN`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The subject's distinguished name, in the same form as [`Certificate::issuer`].
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The serial number in base 10, e.g. `42665287695059973067612265679949416627` (with a
    /// leading `-` for the negative serials some broken issuers write).
    pub fn serial_decimal(&self) -> &str {
        &self.serial_decimal
    }

    /// The OID of the certificate's `signatureAlgorithm` in dotted form, e.g.
    /// `1.2.840.113549.1.1.11` (sha256WithRSAEncryption) or `1.2.156.10197.1.501` (SM2).
    pub fn signature_algorithm(&self) -> &str {
        &self.signature_algorithm
    }

    /// True when the certificate is signed with RSA (its signature algorithm OID starts with
    /// `1.2.840.113549.1.1.`): the certificates that count for the Alipay root SN.
    pub fn is_rsa_signed(&self) -> bool {
        self.signature_algorithm.starts_with(RSA_SIGNATURE_PREFIX)
    }

    /// The Alipay certificate SN: lowercase hex of `MD5(issuer + serial_decimal)`, 32 characters.
    pub fn alipay_sn(&self) -> String {
        let mut md5 = Md5::new();
        md5.update(self.issuer.as_bytes());
        md5.update(self.serial_decimal.as_bytes());
        hex_lower(&md5.finalize())
    }

    /// The start of the validity period (`notBefore`).
    pub fn not_before(&self) -> UtcDateTime {
        self.not_before
    }

    /// The end of the validity period (`notAfter`).
    pub fn not_after(&self) -> UtcDateTime {
        self.not_after
    }

    /// The certificate's `SubjectPublicKeyInfo` as DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The certificate's RSA public key, loaded as by [`PublicKey::from_der`].
    ///
    /// # Errors
    /// [`Error::NotRsa`] when the key is not RSA (an SM2 or EC key names itself), or another key
    /// error when the RSA key is unusable (e.g. [`Error::KeyTooSmall`]).
    pub fn public_key(&self) -> Result<PublicKey> {
        PublicKey::from_der(&self.spki)
    }

    /// The whole certificate as DER.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("serial", &self.serial_decimal)
            .field("signature_algorithm", &self.signature_algorithm)
            .field("not_before", &format_args!("{}", self.not_before))
            .field("not_after", &format_args!("{}", self.not_after))
            .finish()
    }
}

fn bundle_error(index: usize, source: Error) -> Error {
    Error::BundleCertificate {
        position: index + 1,
        source: Box::new(source),
    }
}

/// The Alipay SN of a certificate file: of its first certificate when it holds several.
///
/// `alipayCertPublicKey_RSA2.crt` as Alipay hands it out often carries the issuing CA after the
/// Alipay certificate; like the official SDKs (Java's `CertificateFactory.generateCertificate`,
/// gopay's `pem.Decode`) the first certificate is the one whose SN is meant. Accepts PEM text or
/// DER bytes.
///
/// # Errors
/// As [`Certificate::from_der`]; [`Error::MalformedCertificate`] when the input holds no
/// certificate.
pub fn alipay_cert_sn(pem_or_der: impl AsRef<[u8]>) -> Result<String> {
    let input = pem_or_der.as_ref();
    if !is_pem(input) {
        return Ok(Certificate::from_der(input)?.alipay_sn());
    }
    let first = certificate_ders(input)?
        .into_iter()
        .next()
        .ok_or_else(no_certificate)??;
    Ok(Certificate::from_der(&first)?.alipay_sn())
}

/// The Alipay root certificate SN of a bundle (`alipayRootCert.crt`): the SNs of its RSA-signed
/// certificates joined by `_`, in file order.
///
/// Certificates signed otherwise (the SM2 and ECDSA roots of the real bundle) are skipped
/// after reading only their signature algorithm, so nothing else in them can make this fail.
///
/// # Errors
/// [`Error::BundleCertificate`] when an RSA-signed certificate (or a block whose signature
/// algorithm cannot even be read) is malformed; [`Error::NoRsaCertificate`] when no certificate
/// is RSA-signed; [`Error::MalformedCertificate`] when the input holds no certificate.
pub fn alipay_root_cert_sn(bundle: impl AsRef<[u8]>) -> Result<String> {
    let ders = certificate_ders(bundle.as_ref())?;
    let found = ders.len();
    let mut sns = Vec::new();
    for (i, der) in ders.into_iter().enumerate() {
        let der = der.map_err(|e| bundle_error(i, e))?;
        if outer_signature_algorithm(&der).is_ok_and(|alg| !alg.starts_with(RSA_SIGNATURE_PREFIX)) {
            continue;
        }
        let cert = Certificate::from_der(&der).map_err(|e| bundle_error(i, e))?;
        sns.push(cert.alipay_sn());
    }
    if sns.is_empty() {
        return Err(Error::NoRsaCertificate { found });
    }
    Ok(sns.join("_"))
}

// ---------------------------------------------------------------------------------------------
// Input: PEM blocks or DER

fn is_pem(input: &[u8]) -> bool {
    memchr::memmem::find(input, b"-----BEGIN").is_some()
}

fn no_certificate() -> Error {
    Error::MalformedCertificate {
        detail: "no certificate found".into(),
    }
}

/// The DER of each certificate in `input`, in order; an entry is an error when that block's
/// body cannot be decoded (or, for DER, when the data ends inside it: then it is the last).
///
/// # Errors
/// When the input holds no certificate.
fn certificate_ders(input: &[u8]) -> Result<Vec<Result<Vec<u8>>>> {
    let input = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::MalformedCertificate {
            detail: "the input is empty".into(),
        });
    }
    if !is_pem(input) {
        return Ok(concatenated_der(input));
    }
    let text = String::from_utf8_lossy(input);
    // A PEM pasted into an environment variable or JSON often carries literal "\n".
    let text = if !text.contains('\n') && text.contains("\\n") {
        text.replace("\\r\\n", "\n").replace("\\n", "\n")
    } else {
        text.into_owned()
    };
    let mut ders = Vec::new();
    let mut others = Vec::new();
    for block in pem_blocks(&text) {
        match block {
            PemBlock::Complete { label, body } if CERTIFICATE_LABELS.contains(&label) => {
                ders.push(decode_body(body));
            }
            PemBlock::Complete { label, .. } => others.push(label),
            PemBlock::Unterminated { label } => {
                if CERTIFICATE_LABELS.contains(&label) {
                    ders.push(Err(Error::MalformedCertificate {
                        detail: format!("PEM block `{label}` has no `-----END {label}-----` line"),
                    }));
                }
                break;
            }
        }
    }
    if ders.is_empty() {
        let detail = if others.is_empty() {
            "no `-----BEGIN CERTIFICATE-----` block found".to_owned()
        } else {
            format!(
                "no `-----BEGIN CERTIFICATE-----` block found, only `{}`",
                others.join("`, `")
            )
        };
        return Err(Error::MalformedCertificate { detail });
    }
    Ok(ders)
}

/// Splits concatenated DER elements; a truncated last element becomes an error entry.
fn concatenated_der(input: &[u8]) -> Vec<Result<Vec<u8>>> {
    let mut r = Reader::new(input);
    let mut out = Vec::new();
    while !r.is_empty() {
        match r.read() {
            Ok(tlv) => out.push(Ok(tlv.raw.to_vec())),
            Err(e) => {
                out.push(Err(in_field("certificate", e)));
                break;
            }
        }
    }
    out
}

fn decode_body(body: &str) -> Result<Vec<u8>> {
    let mut b64 = String::with_capacity(body.len());
    for line in body.lines() {
        // RFC 1421 headers (`Name: value`) carry nothing a certificate needs.
        if line.contains(':') {
            continue;
        }
        b64.extend(line.chars().filter(|c| !c.is_ascii_whitespace()));
    }
    if b64.is_empty() {
        return Err(Error::MalformedCertificate {
            detail: "PEM block `CERTIFICATE` is empty".into(),
        });
    }
    KEY_B64
        .decode(b64.as_bytes())
        .map_err(|e| Error::MalformedCertificate {
            detail: format!("PEM block body is not valid base64 ({e})"),
        })
}

enum PemBlock<'a> {
    Complete { label: &'a str, body: &'a str },
    Unterminated { label: &'a str },
}

/// Every PEM block of `text`, in order; an unterminated block ends the list.
fn pem_blocks(text: &str) -> Vec<PemBlock<'_>> {
    const BEGIN: &str = "-----BEGIN ";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after_begin = rest.get(start + BEGIN.len()..).unwrap_or_default();
        let Some(label_end) = after_begin.find("-----") else {
            break;
        };
        let label = after_begin.get(..label_end).unwrap_or_default().trim();
        let body_and_rest = after_begin.get(label_end + 5..).unwrap_or_default();
        let end_marker = format!("-----END {label}-----");
        match body_and_rest.find(&end_marker) {
            Some(end) => {
                let body = body_and_rest.get(..end).unwrap_or_default();
                if body.contains(BEGIN) {
                    // The END line is missing and a later block's END was found instead.
                    blocks.push(PemBlock::Unterminated { label });
                    break;
                }
                blocks.push(PemBlock::Complete { label, body });
                rest = body_and_rest
                    .get(end + end_marker.len()..)
                    .unwrap_or_default();
            }
            None => {
                blocks.push(PemBlock::Unterminated { label });
                break;
            }
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes one element (test helper).
    fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        der::encode(tag, value)
    }

    /// An AttributeTypeAndValue.
    fn atv(oid: &[u8], value: Vec<u8>) -> Vec<u8> {
        der::encode_sequence(&[&tlv(tag::OID, oid), &value])
    }

    /// A RelativeDistinguishedName of the given attributes.
    fn rdn(atvs: &[Vec<u8>]) -> Vec<u8> {
        tlv(tag::SET, &atvs.concat())
    }

    const CN: &[u8] = &[0x55, 0x04, 0x03];
    const C: &[u8] = &[0x55, 0x04, 0x06];
    const O: &[u8] = &[0x55, 0x04, 0x0a];
    const OU: &[u8] = &[0x55, 0x04, 0x0b];
    const DC: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19];
    const UID: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01];
    const EMAIL: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];

    fn utf8(s: &str) -> Vec<u8> {
        tlv(tag::UTF8_STRING, s.as_bytes())
    }

    fn name(rdns: &[Vec<u8>]) -> String {
        format_name(&rdns.concat(), "test").unwrap()
    }

    #[test]
    fn rdns_are_reversed_and_joined_without_spaces() {
        let n = name(&[
            rdn(&[atv(C, tlv(tag::PRINTABLE_STRING, b"CN"))]),
            rdn(&[atv(O, utf8("Ant Financial"))]),
            rdn(&[atv(OU, utf8("Certification Authority"))]),
            rdn(&[atv(CN, utf8("Ant Financial Certification Authority R1"))]),
        ]);
        assert_eq!(
            n,
            "CN=Ant Financial Certification Authority R1,OU=Certification Authority,O=Ant Financial,C=CN"
        );
        assert_eq!(name(&[]), "");
    }

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(
            name(&[rdn(&[atv(CN, utf8("Smith, John + Co"))])]),
            r"CN=Smith\, John \+ Co"
        );
        assert_eq!(
            name(&[rdn(&[atv(CN, utf8(r#"a"b\c<d>e;f=g#h"#))])]),
            r#"CN=a\"b\\c\<d\>e\;f=g#h"#
        );
        assert_eq!(name(&[rdn(&[atv(CN, utf8("#x"))])]), r"CN=\#x");
        assert_eq!(name(&[rdn(&[atv(CN, utf8("  x  "))])]), r"CN=\  x \ ");
        assert_eq!(name(&[rdn(&[atv(CN, utf8(" "))])]), r"CN=\ ");
        assert_eq!(name(&[rdn(&[atv(CN, utf8("a\0b"))])]), r"CN=a\00b");
        assert_eq!(name(&[rdn(&[atv(CN, utf8(""))])]), "CN=");
        assert_eq!(name(&[rdn(&[atv(CN, utf8("钟雨"))])]), "CN=钟雨");
    }

    #[test]
    fn string_types_are_decoded() {
        // BMPString, UTF-16BE with a surrogate pair
        let bmp: Vec<u8> = "Ω-€-😀".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(
            name(&[rdn(&[atv(CN, tlv(tag::BMP_STRING, &bmp))])]),
            "CN=Ω-€-😀"
        );
        // UniversalString, UTF-32BE
        let universal: Vec<u8> = "Zß😀"
            .chars()
            .flat_map(|c| u32::from(c).to_be_bytes())
            .collect();
        assert_eq!(
            name(&[rdn(&[atv(O, tlv(tag::UNIVERSAL_STRING, &universal))])]),
            "O=Zß😀"
        );
        // TeletexString as Latin-1
        assert_eq!(
            name(&[rdn(&[atv(O, tlv(tag::TELETEX_STRING, b"M\xfcnchen"))])]),
            "O=München"
        );
        assert_eq!(
            name(&[rdn(&[atv(DC, tlv(tag::IA5_STRING, b"example"))])]),
            "DC=example"
        );
        assert_eq!(name(&[rdn(&[atv(UID, utf8("u1"))])]), "UID=u1");
    }

    #[test]
    fn undecodable_values_and_unknown_types_are_hex() {
        // An unknown type (emailAddress is not among the short names, as in Java)
        let email = tlv(tag::IA5_STRING, b"a@b.c");
        assert_eq!(
            name(&[rdn(&[atv(EMAIL, email)])]),
            "1.2.840.113549.1.9.1=#16056140622e63"
        );
        assert_eq!(
            name(&[rdn(&[atv(&[0x2a, 0x03, 0x04], utf8("x"))])]),
            "1.2.3.4=#0c0178"
        );
        // Invalid UTF-8, a non-ASCII PrintableString, an odd BMPString, a surrogate in a
        // UniversalString, and a non-string type: hex under the short name
        assert_eq!(
            name(&[rdn(&[atv(CN, tlv(tag::UTF8_STRING, b"\xff"))])]),
            "CN=#0c01ff"
        );
        assert_eq!(
            name(&[rdn(&[atv(CN, tlv(tag::PRINTABLE_STRING, b"\xe9"))])]),
            "CN=#1301e9"
        );
        assert_eq!(
            name(&[rdn(&[atv(CN, tlv(tag::BMP_STRING, b"\x00"))])]),
            "CN=#1e0100"
        );
        assert_eq!(
            name(&[rdn(&[atv(
                CN,
                tlv(tag::UNIVERSAL_STRING, b"\x00\x00\xd8\x00")
            )])]),
            "CN=#1c040000d800"
        );
        assert_eq!(
            name(&[rdn(&[atv(CN, tlv(tag::INTEGER, b"\x05"))])]),
            "CN=#020105"
        );
    }

    #[test]
    fn multi_valued_rdns_use_plus_in_der_order() {
        assert_eq!(
            name(&[
                rdn(&[atv(C, tlv(tag::PRINTABLE_STRING, b"CN"))]),
                rdn(&[atv(OU, utf8("Sales")), atv(CN, utf8("A+B"))]),
            ]),
            r"OU=Sales+CN=A\+B,C=CN"
        );
    }

    #[test]
    fn malformed_names_are_errors() {
        // an empty RDN
        assert!(matches!(
            format_name(&tlv(tag::SET, &[]), "issuer"),
            Err(Error::MalformedCertificate { .. })
        ));
        // a SEQUENCE where a SET is expected
        let seq = der::encode_sequence(&[&atv(CN, utf8("x"))]);
        assert!(format_name(&seq, "issuer").is_err());
        // an attribute with a trailing element
        let bad = der::encode_sequence(&[&tlv(tag::OID, CN), &utf8("x"), &utf8("y")]);
        assert!(format_name(&tlv(tag::SET, &bad), "issuer").is_err());
        // an attribute type that is not a valid OID
        let bad = rdn(&[atv(&[0x55, 0x84], utf8("x"))]);
        let err = format_name(&bad, "issuer").unwrap_err();
        assert!(err.to_string().contains("issuer"), "{err}");
    }

    #[test]
    fn decimal_conversion() {
        // Expected values from Python's int.from_bytes(b, "big").
        assert_eq!(magnitude_to_decimal(&[]), "0");
        assert_eq!(magnitude_to_decimal(&[0]), "0");
        assert_eq!(magnitude_to_decimal(&[0, 0, 0]), "0");
        assert_eq!(magnitude_to_decimal(&[1]), "1");
        assert_eq!(magnitude_to_decimal(&[255]), "255");
        assert_eq!(magnitude_to_decimal(&[1, 0]), "256");
        assert_eq!(
            magnitude_to_decimal(&[0x3b, 0x9a, 0xca, 0x00]),
            "1000000000"
        );
        assert_eq!(magnitude_to_decimal(&[0x3b, 0x9a, 0xc9, 0xff]), "999999999");
        assert_eq!(
            magnitude_to_decimal(&[1, 0, 0, 0, 0, 0, 0, 0, 0]),
            "18446744073709551616"
        );
        assert_eq!(magnitude_to_decimal(&[0xff; 8]), u64::MAX.to_string());
        let itrus: [u8; 20] = [
            0x10, 0xc7, 0x64, 0xe9, 0xd5, 0x60, 0x38, 0x42, 0x12, 0xd9, 0xc0, 0x8f, 0xd1, 0x0e,
            0x37, 0x3f, 0xdd, 0x0f, 0xb3, 0x96,
        ];
        assert_eq!(
            magnitude_to_decimal(&itrus),
            "95790491425698859646659490580052089075020051350"
        );
        assert_eq!(
            magnitude_to_decimal(&[0xff; 20]),
            "1461501637330902918203684832716283019655932542975"
        );
        // Agrees with u128 formatting on assorted values.
        for v in [
            0u128,
            9,
            10,
            999_999_999,
            1_000_000_001,
            u128::from(u64::MAX) + 1,
            u128::MAX,
            0x0123_4567_89ab_cdef_0011_2233_4455_6677,
        ] {
            assert_eq!(magnitude_to_decimal(&v.to_be_bytes()), v.to_string());
        }
    }

    #[test]
    fn negative_serials_print_like_java() {
        // Python: int.from_bytes(b, "big", signed=True)
        assert_eq!(integer_to_decimal(&[0xff]), "-1");
        assert_eq!(integer_to_decimal(&[0x80]), "-128");
        assert_eq!(integer_to_decimal(&[0xff, 0x7f]), "-129");
        assert_eq!(
            integer_to_decimal(&[0x80, 0, 0, 0, 0, 0, 0, 0]),
            "-9223372036854775808"
        );
        assert_eq!(integer_to_decimal(&[0x00, 0x80]), "128");
        assert_eq!(integer_to_decimal(&[0x00]), "0");
    }

    fn time(tag_byte: u8, s: &str) -> Result<UtcDateTime> {
        let enc = tlv(tag_byte, s.as_bytes());
        let t = der::single(&enc, "t").unwrap();
        parse_time(t, "notAfter")
    }

    #[test]
    fn times() {
        let t = time(tag::UTC_TIME, "200514144201Z").unwrap();
        assert_eq!(t.to_string(), "2020-05-14T14:42:01Z");
        // Python: datetime(2020,5,14,14,42,1,tzinfo=timezone.utc).timestamp()
        assert_eq!(t.unix_seconds(), 1_589_467_321);
        assert_eq!(
            time(tag::UTC_TIME, "500101000000Z").unwrap().unix_seconds(),
            -631_152_000
        );
        assert_eq!(
            time(tag::UTC_TIME, "491231235959Z").unwrap().unix_seconds(),
            2_524_607_999
        );
        assert_eq!(
            time(tag::GENERALIZED_TIME, "20000229120000Z")
                .unwrap()
                .unix_seconds(),
            951_825_600
        );
        assert_eq!(
            time(tag::GENERALIZED_TIME, "19691231235959Z")
                .unwrap()
                .unix_seconds(),
            -1
        );
        assert_eq!(
            time(tag::GENERALIZED_TIME, "99991231235959Z")
                .unwrap()
                .unix_seconds(),
            253_402_300_799
        );
        assert_eq!(
            time(tag::GENERALIZED_TIME, "00000101000000Z")
                .unwrap()
                .unix_seconds(),
            -62_167_219_200
        );
        let a = time(tag::UTC_TIME, "991231235959Z").unwrap();
        let b = time(tag::GENERALIZED_TIME, "20000101000000Z").unwrap();
        assert!(a < b);
        for bad in [
            "2005141442Z",
            "200514144201",
            "200514144201+0800",
            "201314144201Z",
            "200532144201Z",
            "190229000000Z",
            "200514244201Z",
            "200514146001Z",
            "200514144260Z",
            "2O0514144201Z",
            "",
        ] {
            assert!(time(tag::UTC_TIME, bad).is_err(), "{bad}");
        }
        for bad in ["20200514144201.5Z", "200514144201Z", "2020051414420Z"] {
            assert!(time(tag::GENERALIZED_TIME, bad).is_err(), "{bad}");
        }
        assert!(time(tag::UTF8_STRING, "200514144201Z").is_err());
    }

    #[test]
    fn pem_blocks_split() {
        let text = "junk\n-----BEGIN A-----\nQQ==\n-----END A-----\nsubject=x\n-----BEGIN B-----\nQg\n-----END B-----";
        let blocks = pem_blocks(text);
        assert!(matches!(
            blocks.as_slice(),
            [
                PemBlock::Complete {
                    label: "A",
                    body: "\nQQ==\n"
                },
                PemBlock::Complete {
                    label: "B",
                    body: "\nQg\n"
                }
            ]
        ));
        let missing_end = "-----BEGIN A-----\nQQ==\n-----BEGIN A-----\nQQ==\n-----END A-----";
        assert!(matches!(
            pem_blocks(missing_end).as_slice(),
            [PemBlock::Unterminated { label: "A" }]
        ));
        assert!(pem_blocks("-----BEGIN A").is_empty());
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex_lower(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex_lower(&[]), "");
    }
}
