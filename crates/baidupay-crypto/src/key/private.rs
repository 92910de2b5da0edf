//! [`PrivateKey`]: an RSA private key, parsed and checked once, redacted in `Debug`.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::encode::{pem_wrap, pkcs1_private_der, rsa_algorithm_identifier};
use super::input::{decode_b64_body, pem_first_block, to_der};
use super::parse::{Classified, PrivateParts, classify};
use super::public::PublicKey;
use crate::backend;
use crate::der::{self, tag};
use crate::error::{Error, Result};

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
