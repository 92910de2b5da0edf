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

mod input;
mod name;
mod number;
mod time;

pub use self::time::UtcDateTime;

use std::fmt;

use md5::{Digest as _, Md5};

use crate::der::{self, DerError, Reader, tag};
use crate::error::{Error, Result};
use crate::key::PublicKey;

use self::input::{certificate_ders, is_pem, no_certificate};
use self::name::format_name;
use self::number::{hex_lower, integer_to_decimal};
use self::time::parse_time;

/// The prefix of the PKCS#1 signature-algorithm OIDs (`sha1WithRSAEncryption`,
/// `sha256WithRSAEncryption`, ...): the certificates that count for the Alipay root SN.
const RSA_SIGNATURE_PREFIX: &str = "1.2.840.113549.1.1.";

/// Serial numbers longer than this are refused (RFC 5280 allows 20 octets); it bounds the
/// quadratic decimal conversion.
const MAX_SERIAL_LEN: usize = 64;

/// PEM labels read as certificates.
const CERTIFICATE_LABELS: [&str; 2] = ["CERTIFICATE", "X509 CERTIFICATE"];

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
