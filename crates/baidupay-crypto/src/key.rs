//! RSA key loading in every format the Baidu and Alipay consoles hand out.
//!
//! Input detection is the same for every loader ([`PrivateKey::parse`], [`PublicKey::parse`]):
//!
//! * text containing `-----BEGIN` is PEM; the DER inside decides what it is, so a PKCS#8 body
//!   under a `BEGIN RSA PRIVATE KEY` armour (as Baidu's PHP helper writes it) still loads;
//!   PEM written on one line, with `\r\n`, or with literal `\n` escapes (an environment
//!   variable) is accepted;
//! * text made only of base64 characters and whitespace is one-line base64 DER, as the consoles
//!   show it;
//! * anything else is DER bytes.
//!
//! Keys are parsed and checked once; the parsed key is kept by the backend for fast signing.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::backend;
use crate::der::{self, DerError, Reader, tag};
use crate::error::{Error, Result};

/// The smallest RSA modulus accepted, in bits.
pub const MIN_KEY_BITS: usize = 1024;
/// The largest RSA modulus accepted, in bits.
pub const MAX_KEY_BITS: usize = 4096;

const RSA_ENCRYPTION_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The structure a piece of key material turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyFormat {
    /// PKCS#1 `RSAPrivateKey` (`BEGIN RSA PRIVATE KEY`).
    Pkcs1Private,
    /// PKCS#8 `PrivateKeyInfo` (`BEGIN PRIVATE KEY`).
    Pkcs8Private,
    /// PKCS#8 `EncryptedPrivateKeyInfo` (`BEGIN ENCRYPTED PRIVATE KEY`).
    EncryptedPkcs8,
    /// X.509 `SubjectPublicKeyInfo` (`BEGIN PUBLIC KEY`).
    SpkiPublic,
    /// PKCS#1 `RSAPublicKey` (`BEGIN RSA PUBLIC KEY`).
    Pkcs1Public,
    /// An X.509 certificate (`BEGIN CERTIFICATE`).
    Certificate,
}

impl fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pkcs1Private => "a PKCS#1 private key (BEGIN RSA PRIVATE KEY)",
            Self::Pkcs8Private => "a PKCS#8 private key (BEGIN PRIVATE KEY)",
            Self::EncryptedPkcs8 => "an encrypted PKCS#8 private key (BEGIN ENCRYPTED PRIVATE KEY)",
            Self::SpkiPublic => "a public key (BEGIN PUBLIC KEY)",
            Self::Pkcs1Public => "a PKCS#1 public key (BEGIN RSA PUBLIC KEY)",
            Self::Certificate => "an X.509 certificate (BEGIN CERTIFICATE)",
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Input decoding: PEM / base64 / DER -> DER bytes

/// Lenient base64 for key bodies: standard alphabet, padding optional.
pub(crate) const KEY_B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

fn is_b64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

fn decode_b64_body(text: &str, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    if compact.is_empty() {
        return Err(Error::TruncatedKey {
            detail: format!("{what} is empty"),
        });
    }
    KEY_B64
        .decode(compact.as_bytes())
        .map(Zeroizing::new)
        .map_err(|e| Error::MalformedKey {
            detail: format!("{what} is not valid base64 ({e})"),
        })
}

/// Turns any accepted input encoding into DER. Returns the PEM label when there was one.
fn to_der(input: &[u8]) -> Result<(Zeroizing<Vec<u8>>, Option<String>)> {
    let input = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::MalformedKey {
            detail: "the key is empty".into(),
        });
    }
    if let Ok(text) = std::str::from_utf8(input) {
        if text.contains("-----BEGIN") {
            let (label, der) = pem_first_block(text)?;
            return Ok((der, Some(label)));
        }
        if input
            .iter()
            .all(|&b| is_b64_char(b) || b.is_ascii_whitespace())
        {
            return Ok((decode_b64_body(text, "the base64 key")?, None));
        }
    }
    Ok((Zeroizing::new(input.to_vec()), None))
}

/// Reads the first PEM block of `text`.
fn pem_first_block(text: &str) -> Result<(String, Zeroizing<Vec<u8>>)> {
    // A PEM pasted into an environment variable or JSON often carries literal "\n".
    let owned;
    let text = if !text.contains('\n') && text.contains("\\n") {
        owned = Zeroizing::new(text.replace("\\r\\n", "\n").replace("\\n", "\n"));
        owned.as_str()
    } else {
        text
    };
    let begin = text
        .find("-----BEGIN ")
        .ok_or_else(|| Error::MalformedKey {
            detail: "PEM armour `-----BEGIN ` not found".into(),
        })?;
    let after_begin = text.get(begin + "-----BEGIN ".len()..).unwrap_or_default();
    let label_end = after_begin
        .find("-----")
        .ok_or_else(|| Error::MalformedKey {
            detail: "PEM BEGIN line is not closed by `-----`".into(),
        })?;
    let label = after_begin
        .get(..label_end)
        .unwrap_or_default()
        .trim()
        .to_owned();
    let body_and_rest = after_begin.get(label_end + 5..).unwrap_or_default();
    let end_marker = format!("-----END {label}-----");
    let body = match body_and_rest.find(&end_marker) {
        Some(i) => body_and_rest.get(..i).unwrap_or_default(),
        None => {
            if let Some(i) = body_and_rest.find("-----END ") {
                let other = body_and_rest
                    .get(i + 9..)
                    .and_then(|s| s.split("-----").next())
                    .unwrap_or_default();
                return Err(Error::MalformedKey {
                    detail: format!("PEM block begins as `{label}` but ends as `{other}`"),
                });
            }
            return Err(Error::TruncatedKey {
                detail: format!("PEM block `{label}` has no `{end_marker}` line"),
            });
        }
    };
    match label.as_str() {
        "ENCRYPTED PRIVATE KEY" => return Err(Error::EncryptedKey),
        "OPENSSH PRIVATE KEY" => {
            return Err(Error::UnsupportedKeyFormat {
                detail: "OpenSSH private key: convert it with `ssh-keygen -p -m PKCS8 -f FILE`"
                    .into(),
            });
        }
        "EC PRIVATE KEY" => {
            return Err(Error::NotRsa {
                algorithm: "an EC private key".into(),
            });
        }
        "DSA PRIVATE KEY" => {
            return Err(Error::NotRsa {
                algorithm: "a DSA private key".into(),
            });
        }
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
            return Err(Error::UnsupportedKeyFormat {
                detail:
                    "a certificate signing request (CSR): use the key or the issued certificate"
                        .into(),
            });
        }
        "RSA PRIVATE KEY"
        | "PRIVATE KEY"
        | "PUBLIC KEY"
        | "RSA PUBLIC KEY"
        | "CERTIFICATE"
        | "TRUSTED CERTIFICATE"
        | "X509 CERTIFICATE" => {}
        other => {
            return Err(Error::UnsupportedKeyFormat {
                detail: format!("PEM block `{other}` is not an RSA key or certificate"),
            });
        }
    }
    let mut b64 = Zeroizing::new(String::with_capacity(body.len()));
    for line in body.lines() {
        let line = line.trim();
        if line.contains(':') {
            // RFC 1421 headers: only the legacy encryption header matters.
            if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
                return Err(Error::EncryptedKey);
            }
            continue;
        }
        b64.push_str(line);
    }
    let der = decode_b64_body(&b64, &format!("the PEM `{label}` body"))?;
    Ok((label, der))
}

// ---------------------------------------------------------------------------------------------
// DER structure classification

fn der_err(e: DerError) -> Error {
    match e {
        DerError::Truncated(detail) => Error::TruncatedKey { detail },
        DerError::Malformed(detail) => Error::MalformedKey { detail },
    }
}

/// The components of an RSA private key (big-endian magnitudes), zeroized on drop.
pub(crate) struct PrivateParts {
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
    pub(crate) d: Zeroizing<Vec<u8>>,
    pub(crate) p: Zeroizing<Vec<u8>>,
    pub(crate) q: Zeroizing<Vec<u8>>,
    pub(crate) dp: Zeroizing<Vec<u8>>,
    pub(crate) dq: Zeroizing<Vec<u8>>,
    pub(crate) qinv: Zeroizing<Vec<u8>>,
}

enum Classified {
    Private(PrivateParts, KeyFormat),
    Public {
        n: Vec<u8>,
        e: Vec<u8>,
        format: KeyFormat,
    },
    Encrypted,
}

fn algorithm_name(oid: &[u8], params: Option<&[u8]>) -> String {
    const SM2_CURVE: &[u8] = &[0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d];
    let dotted = der::oid_to_string(oid);
    match dotted.as_str() {
        "1.2.840.10045.2.1" => {
            if params.is_some_and(|p| p.windows(SM2_CURVE.len()).any(|w| w == SM2_CURVE)) {
                "an SM2 key (use RSA2 / RSA keys with this SDK)".into()
            } else {
                "an EC key".into()
            }
        }
        "1.3.101.112" => "an Ed25519 key".into(),
        "1.3.101.113" => "an Ed448 key".into(),
        "1.2.840.10040.4.1" => "a DSA key".into(),
        "1.2.840.113549.1.1.10" => "an RSASSA-PSS-only key (use a plain rsaEncryption key)".into(),
        _ => format!("a key with algorithm OID {dotted}"),
    }
}

/// Reads an `AlgorithmIdentifier` and checks it is rsaEncryption.
fn expect_rsa_algorithm(r: &mut Reader<'_>) -> Result<()> {
    let mut alg = r.sequence("AlgorithmIdentifier").map_err(der_err)?;
    let oid = alg
        .expect(tag::OID, "algorithm OID")
        .map_err(der_err)?
        .value;
    if oid != RSA_ENCRYPTION_OID {
        let params = alg.read().ok().map(|t| t.raw);
        return Err(Error::NotRsa {
            algorithm: algorithm_name(oid, params),
        });
    }
    if !alg.is_empty() {
        let params = alg.read().map_err(der_err)?;
        if params.tag != tag::NULL {
            return Err(Error::MalformedKey {
                detail: "rsaEncryption parameters must be NULL".into(),
            });
        }
    }
    Ok(())
}

fn check_modulus(n: &[u8], e: &[u8]) -> Result<()> {
    let bits = der::bit_len(n);
    if bits < MIN_KEY_BITS {
        return Err(Error::KeyTooSmall { bits });
    }
    if bits > MAX_KEY_BITS {
        return Err(Error::KeyTooLarge { bits });
    }
    if n.last().is_none_or(|b| b & 1 == 0) {
        return Err(Error::MalformedKey {
            detail: "RSA modulus is even".into(),
        });
    }
    let e_bits = der::bit_len(e);
    if !(2..=33).contains(&e_bits) || e.last().is_none_or(|b| b & 1 == 0) {
        return Err(Error::MalformedKey {
            detail: "RSA public exponent must be odd, at least 3 and below 2^33".into(),
        });
    }
    Ok(())
}

fn parse_pkcs1_public(der_bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut outer = Reader::new(der_bytes);
    let mut seq = outer.sequence("RSAPublicKey").map_err(der_err)?;
    outer.finish("RSAPublicKey").map_err(der_err)?;
    let n = seq.unsigned("modulus").map_err(der_err)?.to_vec();
    let e = seq.unsigned("public exponent").map_err(der_err)?.to_vec();
    seq.finish("RSAPublicKey").map_err(der_err)?;
    check_modulus(&n, &e)?;
    Ok((n, e))
}

fn parse_pkcs1_private(der_bytes: &[u8]) -> Result<PrivateParts> {
    let mut outer = Reader::new(der_bytes);
    let mut seq = outer.sequence("RSAPrivateKey").map_err(der_err)?;
    outer.finish("RSAPrivateKey").map_err(der_err)?;
    parse_pkcs1_private_fields(&mut seq)
}

fn parse_pkcs1_private_fields(seq: &mut Reader<'_>) -> Result<PrivateParts> {
    let version = seq.unsigned("version").map_err(der_err)?;
    match version {
        [] => {}
        [1] => {
            return Err(Error::UnsupportedKeyFormat {
                detail: "multi-prime RSA keys are not supported".into(),
            });
        }
        _ => {
            return Err(Error::MalformedKey {
                detail: "unknown RSAPrivateKey version".into(),
            });
        }
    }
    let mut int =
        |what: &str| -> Result<Vec<u8>> { Ok(seq.unsigned(what).map_err(der_err)?.to_vec()) };
    let n = int("modulus")?;
    let e = int("public exponent")?;
    let d = Zeroizing::new(int("private exponent")?);
    let p = Zeroizing::new(int("prime1")?);
    let q = Zeroizing::new(int("prime2")?);
    let dp = Zeroizing::new(int("exponent1")?);
    let dq = Zeroizing::new(int("exponent2")?);
    let qinv = Zeroizing::new(int("coefficient")?);
    if !seq.is_empty() {
        return Err(Error::UnsupportedKeyFormat {
            detail: "RSAPrivateKey with extra fields (multi-prime) is not supported".into(),
        });
    }
    check_modulus(&n, &e)?;
    for (name, v) in [
        ("private exponent", &d),
        ("prime1", &p),
        ("prime2", &q),
        ("exponent1", &dp),
        ("exponent2", &dq),
        ("coefficient", &qinv),
    ] {
        if v.is_empty() {
            return Err(Error::MalformedKey {
                detail: format!("RSA {name} is zero"),
            });
        }
    }
    Ok(PrivateParts {
        n,
        e,
        d,
        p,
        q,
        dp,
        dq,
        qinv,
    })
}

fn parse_spki(spki: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut outer = Reader::new(spki);
    let mut seq = outer.sequence("SubjectPublicKeyInfo").map_err(der_err)?;
    expect_rsa_algorithm(&mut seq)?;
    let bits = seq
        .expect(tag::BIT_STRING, "subjectPublicKey")
        .map_err(der_err)?
        .value;
    let key = match bits.split_first() {
        Some((0, rest)) => rest,
        _ => {
            return Err(Error::MalformedKey {
                detail: "subjectPublicKey BIT STRING has unused bits".into(),
            });
        }
    };
    parse_pkcs1_public(key)
}

/// Extracts the `SubjectPublicKeyInfo` from the contents of a `tbsCertificate`.
fn certificate_spki<'a>(tbs: &mut Reader<'a>) -> Result<&'a [u8]> {
    if tbs.peek_tag() == Some(0xa0) {
        tbs.read().map_err(der_err)?; // [0] EXPLICIT version
    }
    tbs.expect(tag::INTEGER, "certificate serial number")
        .map_err(der_err)?;
    tbs.sequence("certificate signature algorithm")
        .map_err(der_err)?;
    tbs.sequence("certificate issuer").map_err(der_err)?;
    tbs.sequence("certificate validity").map_err(der_err)?;
    tbs.sequence("certificate subject").map_err(der_err)?;
    Ok(tbs
        .expect(tag::SEQUENCE, "certificate subjectPublicKeyInfo")
        .map_err(der_err)?
        .raw)
}

fn classify(der_bytes: &[u8]) -> Result<Classified> {
    let mut outer = Reader::new(der_bytes);
    let top = outer.read().map_err(der_err)?;
    if top.tag != tag::SEQUENCE {
        return Err(Error::MalformedKey {
            detail: "not a DER key: it does not start with a SEQUENCE".into(),
        });
    }
    outer.finish("the key").map_err(der_err)?;
    let mut r = Reader::new(top.value);
    match r.peek_tag() {
        Some(tag::INTEGER) => {
            let mut probe = r.clone();
            probe.read().map_err(der_err)?;
            match probe.peek_tag() {
                Some(tag::SEQUENCE) => {
                    // PKCS#8 PrivateKeyInfo
                    r.read().map_err(der_err)?; // version
                    expect_rsa_algorithm(&mut r)?;
                    let inner = r.expect(tag::OCTET_STRING, "privateKey").map_err(der_err)?;
                    let parts = parse_pkcs1_private(inner.value)?;
                    Ok(Classified::Private(parts, KeyFormat::Pkcs8Private))
                }
                Some(tag::INTEGER) => {
                    let mut count = Reader::new(top.value);
                    let mut ints = 0usize;
                    while !count.is_empty() {
                        count.read().map_err(der_err)?;
                        ints += 1;
                    }
                    if ints == 2 {
                        let (n, e) = parse_pkcs1_public(der_bytes)?;
                        Ok(Classified::Public {
                            n,
                            e,
                            format: KeyFormat::Pkcs1Public,
                        })
                    } else {
                        let parts = parse_pkcs1_private_fields(&mut r)?;
                        Ok(Classified::Private(parts, KeyFormat::Pkcs1Private))
                    }
                }
                _ => Err(Error::MalformedKey {
                    detail: "unrecognised key structure".into(),
                }),
            }
        }
        Some(tag::SEQUENCE) => {
            let mut probe = r.clone();
            probe.read().map_err(der_err)?;
            match probe.peek_tag() {
                Some(tag::BIT_STRING) => {
                    let (n, e) = parse_spki(der_bytes)?;
                    Ok(Classified::Public {
                        n,
                        e,
                        format: KeyFormat::SpkiPublic,
                    })
                }
                Some(tag::OCTET_STRING) => Ok(Classified::Encrypted),
                Some(tag::SEQUENCE) => {
                    let mut tbs = r.sequence("tbsCertificate").map_err(der_err)?;
                    let spki = certificate_spki(&mut tbs)?;
                    let (n, e) = parse_spki(spki)?;
                    Ok(Classified::Public {
                        n,
                        e,
                        format: KeyFormat::Certificate,
                    })
                }
                _ => Err(Error::MalformedKey {
                    detail: "unrecognised key structure".into(),
                }),
            }
        }
        _ => Err(Error::MalformedKey {
            detail: "unrecognised key structure".into(),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Encoders

fn pkcs1_private_der(p: &PrivateParts) -> Zeroizing<Vec<u8>> {
    let fields: [&[u8]; 9] = [&[], &p.n, &p.e, &p.d, &p.p, &p.q, &p.dp, &p.dq, &p.qinv];
    let encoded: Vec<Zeroizing<Vec<u8>>> = fields
        .iter()
        .map(|f| Zeroizing::new(der::encode_unsigned(f)))
        .collect();
    let refs: Vec<&[u8]> = encoded.iter().map(|v| v.as_slice()).collect();
    Zeroizing::new(der::encode_sequence(&refs))
}

fn rsa_algorithm_identifier() -> Vec<u8> {
    der::encode_sequence(&[
        &der::encode(tag::OID, RSA_ENCRYPTION_OID),
        &der::encode(tag::NULL, &[]),
    ])
}

fn pem_wrap(label: &str, der_bytes: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der_bytes));
    let mut out = Zeroizing::new(String::with_capacity(b64.len() + b64.len() / 64 + 64));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

// ---------------------------------------------------------------------------------------------
// Public key

struct PublicInner {
    n: Vec<u8>,
    e: Vec<u8>,
    backend: backend::PubKey,
}

/// An RSA public key, parsed once and cheap to clone.
///
/// Two `PublicKey`s are equal when their modulus and exponent are equal, whatever format they
/// were loaded from.
#[derive(Clone)]
pub struct PublicKey {
    inner: Arc<PublicInner>,
}

impl PublicKey {
    /// Loads a public key from any supported encoding: PEM (SPKI, PKCS#1 or certificate),
    /// one-line base64 DER, or DER bytes.
    ///
    /// # Errors
    /// A key error ([`Error::is_key_error`]) naming what was wrong, including
    /// [`Error::ExpectedPublicKey`] when given a private key.
    pub fn parse(input: impl AsRef<[u8]>) -> Result<Self> {
        let (der_bytes, _) = to_der(input.as_ref())?;
        Self::from_der(&der_bytes)
    }

    /// Loads a public key from PEM text (`BEGIN PUBLIC KEY`, `BEGIN RSA PUBLIC KEY` or
    /// `BEGIN CERTIFICATE`; the first block is used).
    ///
    /// # Errors
    /// As [`PublicKey::parse`]; also when the text holds no PEM block.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let (_, der_bytes) = pem_first_block(pem)?;
        Self::from_der(&der_bytes)
    }

    /// Loads a public key from base64 DER (whitespace and line breaks are ignored).
    ///
    /// # Errors
    /// As [`PublicKey::parse`].
    pub fn from_base64(b64: &str) -> Result<Self> {
        Self::from_der(&decode_b64_body(b64, "the base64 key")?)
    }

    /// Loads a public key from DER: SPKI, PKCS#1 `RSAPublicKey` or an X.509 certificate.
    ///
    /// # Errors
    /// As [`PublicKey::parse`].
    pub fn from_der(der_bytes: &[u8]) -> Result<Self> {
        match classify(der_bytes)? {
            Classified::Public { n, e, .. } => Self::from_components(n, e),
            Classified::Private(_, found) => Err(Error::ExpectedPublicKey { found }),
            Classified::Encrypted => Err(Error::ExpectedPublicKey {
                found: KeyFormat::EncryptedPkcs8,
            }),
        }
    }

    fn from_components(n: Vec<u8>, e: Vec<u8>) -> Result<Self> {
        check_modulus(&n, &e)?;
        let backend = backend::PubKey::new(&n, &e)?;
        Ok(Self {
            inner: Arc::new(PublicInner { n, e, backend }),
        })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        der::bit_len(&self.inner.n)
    }

    /// The modulus as big-endian bytes without leading zeros.
    pub fn modulus(&self) -> &[u8] {
        &self.inner.n
    }

    /// The public exponent as big-endian bytes without leading zeros.
    pub fn exponent(&self) -> &[u8] {
        &self.inner.e
    }

    /// The key as PKCS#1 `RSAPublicKey` DER.
    pub fn to_pkcs1_der(&self) -> Vec<u8> {
        der::encode_sequence(&[
            &der::encode_unsigned(&self.inner.n),
            &der::encode_unsigned(&self.inner.e),
        ])
    }

    /// The key as X.509 `SubjectPublicKeyInfo` DER.
    pub fn to_spki_der(&self) -> Vec<u8> {
        let mut bits = vec![0u8];
        bits.extend_from_slice(&self.to_pkcs1_der());
        der::encode_sequence(&[
            &rsa_algorithm_identifier(),
            &der::encode(tag::BIT_STRING, &bits),
        ])
    }

    /// The key as `-----BEGIN PUBLIC KEY-----` PEM (SPKI, 64-column lines, trailing newline).
    pub fn to_spki_pem(&self) -> String {
        pem_wrap("PUBLIC KEY", &self.to_spki_der()).to_string()
    }

    /// The key as one-line base64 SPKI DER, the form the Baidu and Alipay consoles take.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.to_spki_der())
    }

    pub(crate) fn backend(&self) -> &backend::PubKey {
        &self.inner.backend
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.inner.n == other.inner.n && self.inner.e == other.inner.e
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits())
            .field("spki_base64", &self.to_base64())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Private key

struct PrivateInner {
    pkcs1: Zeroizing<Vec<u8>>,
    public: PublicKey,
    backend: backend::PrivKey,
}

/// An RSA private key, parsed and checked once, cheap to clone, redacted in `Debug`.
///
/// The key material held by this crate is zeroized on drop; the backend's copy is freed with
/// the backend's own clearing routine (OpenSSL `BN_clear_free`, `rsa`'s `ZeroizeOnDrop`).
#[derive(Clone)]
pub struct PrivateKey {
    inner: Arc<PrivateInner>,
}

impl PrivateKey {
    /// Loads a private key from any supported encoding: PEM PKCS#1 or PKCS#8, one-line base64
    /// DER (PKCS#1 or PKCS#8, line breaks and surrounding whitespace allowed), or DER bytes.
    ///
    /// # Errors
    /// A key error ([`Error::is_key_error`]) naming what was wrong: [`Error::ExpectedPrivateKey`]
    /// for a public key or certificate, [`Error::EncryptedKey`], [`Error::NotRsa`],
    /// [`Error::TruncatedKey`], [`Error::KeyTooSmall`] and so on.
    pub fn parse(input: impl AsRef<[u8]>) -> Result<Self> {
        let (der_bytes, _) = to_der(input.as_ref())?;
        Self::from_der(&der_bytes)
    }

    /// Loads a private key from PEM text (`BEGIN RSA PRIVATE KEY` or `BEGIN PRIVATE KEY`).
    ///
    /// # Errors
    /// As [`PrivateKey::parse`]; also when the text holds no PEM block.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let (_, der_bytes) = pem_first_block(pem)?;
        Self::from_der(&der_bytes)
    }

    /// Loads a private key from base64 DER (whitespace and line breaks are ignored).
    ///
    /// # Errors
    /// As [`PrivateKey::parse`].
    pub fn from_base64(b64: &str) -> Result<Self> {
        Self::from_der(&decode_b64_body(b64, "the base64 key")?)
    }

    /// Loads a private key from PKCS#1 or PKCS#8 DER.
    ///
    /// # Errors
    /// As [`PrivateKey::parse`].
    pub fn from_der(der_bytes: &[u8]) -> Result<Self> {
        match classify(der_bytes)? {
            Classified::Private(parts, _) => Self::from_parts(&parts),
            Classified::Public { format, .. } => Err(Error::ExpectedPrivateKey { found: format }),
            Classified::Encrypted => Err(Error::EncryptedKey),
        }
    }

    fn from_parts(parts: &PrivateParts) -> Result<Self> {
        let backend = backend::PrivKey::new(parts)?;
        let public = PublicKey::from_components(parts.n.clone(), parts.e.clone())?;
        Ok(Self {
            inner: Arc::new(PrivateInner {
                pkcs1: pkcs1_private_der(parts),
                public,
                backend,
            }),
        })
    }

    /// Generates a new key pair of `bits` bits (1024, 2048, 3072 or 4096) with e = 65537.
    ///
    /// # Errors
    /// [`Error::UnsupportedKeySize`] for other sizes; [`Error::Backend`] if generation fails.
    pub fn generate(bits: usize) -> Result<Self> {
        if ![1024, 2048, 3072, 4096].contains(&bits) {
            return Err(Error::UnsupportedKeySize { bits });
        }
        let der_bytes = backend::generate_der(bits)?;
        Self::from_der(&der_bytes)
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.inner.public
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        self.inner.public.bits()
    }

    /// The key as PKCS#1 `RSAPrivateKey` DER (zeroized on drop).
    pub fn to_pkcs1_der(&self) -> Zeroizing<Vec<u8>> {
        self.inner.pkcs1.clone()
    }

    /// The key as PKCS#8 `PrivateKeyInfo` DER (zeroized on drop).
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(der::encode_sequence(&[
            &der::encode_unsigned(&[]),
            &rsa_algorithm_identifier(),
            &Zeroizing::new(der::encode(tag::OCTET_STRING, &self.inner.pkcs1)),
        ]))
    }

    /// The key as `-----BEGIN PRIVATE KEY-----` PEM (PKCS#8).
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        pem_wrap("PRIVATE KEY", &self.to_pkcs8_der())
    }

    /// The key as `-----BEGIN RSA PRIVATE KEY-----` PEM (PKCS#1).
    pub fn to_pkcs1_pem(&self) -> Zeroizing<String> {
        pem_wrap("RSA PRIVATE KEY", &self.inner.pkcs1)
    }

    pub(crate) fn backend(&self) -> &backend::PrivKey {
        &self.inner.backend
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits())
            .field("material", &"[redacted]")
            .finish()
    }
}

/// Tells what a piece of key material is without loading it as a key.
///
/// # Errors
/// A key error when the input is not a recognisable key or certificate.
pub fn detect_format(input: impl AsRef<[u8]>) -> Result<KeyFormat> {
    let (der_bytes, _) = to_der(input.as_ref())?;
    Ok(match classify(&der_bytes)? {
        Classified::Private(_, f) | Classified::Public { format: f, .. } => f,
        Classified::Encrypted => KeyFormat::EncryptedPkcs8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TV1_PKCS1: &str = include_str!("../tests/fixtures/baidu/tv1-doc2021-private-pkcs1.pem");
    const TV1_PKCS8: &str = include_str!("../tests/fixtures/baidu/tv1-doc2021-private-pkcs8.pem");
    const TV1_PUB: &str = include_str!("../tests/fixtures/baidu/tv1-doc2021-public.pem");

    #[test]
    fn pkcs1_and_pkcs8_give_the_same_key() {
        let a = PrivateKey::parse(TV1_PKCS1).unwrap();
        let b = PrivateKey::parse(TV1_PKCS8).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert_eq!(a.bits(), 1024);
        assert_eq!(*a.to_pkcs1_der(), *b.to_pkcs1_der());
    }

    #[test]
    fn exports_round_trip_byte_for_byte() {
        let key = PrivateKey::parse(TV1_PKCS8).unwrap();
        // Our PKCS#8 PEM equals the openssl-produced fixture.
        assert_eq!(key.to_pkcs8_pem().as_str(), TV1_PKCS8);
        assert_eq!(key.to_pkcs1_pem().as_str(), TV1_PKCS1);
        assert_eq!(key.public_key().to_spki_pem(), TV1_PUB);
    }

    #[test]
    fn private_key_debug_is_redacted() {
        let key = PrivateKey::parse(TV1_PKCS1).unwrap();
        let dbg = format!("{key:?}");
        assert!(dbg.contains("[redacted]"));
        assert!(!dbg.contains("MIIC"));
    }

    #[test]
    fn public_where_private_expected() {
        let err = PrivateKey::parse(TV1_PUB).unwrap_err();
        assert!(matches!(
            err,
            Error::ExpectedPrivateKey {
                found: KeyFormat::SpkiPublic
            }
        ));
        let err = PublicKey::parse(TV1_PKCS1).unwrap_err();
        assert!(matches!(
            err,
            Error::ExpectedPublicKey {
                found: KeyFormat::Pkcs1Private
            }
        ));
    }

    #[test]
    fn literal_backslash_n_pem_is_accepted() {
        let escaped = TV1_PUB.trim_end().replace('\n', "\\n");
        let key = PublicKey::parse(escaped).unwrap();
        assert_eq!(key, PublicKey::parse(TV1_PUB).unwrap());
    }

    #[test]
    fn mismatched_and_missing_end_lines() {
        let wrong_end = TV1_PUB.replace("END PUBLIC KEY", "END PRIVATE KEY");
        assert!(matches!(
            PublicKey::parse(wrong_end),
            Err(Error::MalformedKey { .. })
        ));
        let no_end = TV1_PUB.replace("-----END PUBLIC KEY-----", "");
        assert!(matches!(
            PublicKey::parse(no_end),
            Err(Error::TruncatedKey { .. })
        ));
    }

    #[test]
    fn empty_input_is_an_error() {
        assert!(matches!(
            PublicKey::parse(""),
            Err(Error::MalformedKey { .. })
        ));
        assert!(matches!(
            PrivateKey::parse("  \n"),
            Err(Error::MalformedKey { .. })
        ));
    }
}
