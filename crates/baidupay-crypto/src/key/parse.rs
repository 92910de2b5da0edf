//! DER structure classification: PKCS#1, PKCS#8, SPKI and certificates, checked once.

use zeroize::Zeroizing;

use super::{KeyFormat, MAX_KEY_BITS, MIN_KEY_BITS, RSA_ENCRYPTION_OID};
use crate::der::{self, DerError, Reader, tag};
use crate::error::{Error, Result};

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

pub(super) enum Classified {
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

pub(super) fn check_modulus(n: &[u8], e: &[u8]) -> Result<()> {
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

pub(super) fn classify(der_bytes: &[u8]) -> Result<Classified> {
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
