//! [`PublicKey`]: an RSA public key, parsed once.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;

use super::KeyFormat;
use super::encode::{pem_wrap, rsa_algorithm_identifier};
use super::input::{decode_b64_body, pem_first_block, to_der};
use super::parse::{Classified, check_modulus, classify};
use crate::backend;
use crate::der::{self, tag};
use crate::error::{Error, Result};

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

    pub(super) fn from_components(n: Vec<u8>, e: Vec<u8>) -> Result<Self> {
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
