//! Signing and verification: RSASSA-PKCS1-v1_5 with SHA-1 (Baidu, Alipay `RSA`) or SHA-256
//! (Alipay `RSA2`), signatures as standard base64 with padding.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;

use crate::canonical::{ParseNameError, Rules, canonical_string};
use crate::error::{Error, Result};
use crate::key::{PrivateKey, PublicKey};

/// A signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA1withRSA: Baidu, and Alipay's legacy `sign_type=RSA`.
    RsaSha1,
    /// SHA256withRSA: Alipay's `sign_type=RSA2`.
    RsaSha256,
}

impl Algorithm {
    /// The command-line name: `rsa-sha1` or `rsa-sha256`.
    pub fn name(self) -> &'static str {
        match self {
            Self::RsaSha1 => "rsa-sha1",
            Self::RsaSha256 => "rsa-sha256",
        }
    }

    /// Alipay's `sign_type` value: `RSA` or `RSA2`.
    pub fn alipay_sign_type(self) -> &'static str {
        match self {
            Self::RsaSha1 => "RSA",
            Self::RsaSha256 => "RSA2",
        }
    }

    /// The algorithm for an Alipay `sign_type` (`RSA2` or `RSA`), if it is one of them.
    pub fn from_alipay_sign_type(sign_type: &str) -> Option<Self> {
        match sign_type {
            "RSA2" => Some(Self::RsaSha256),
            "RSA" => Some(Self::RsaSha1),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = ParseNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rsa-sha1" => Ok(Self::RsaSha1),
            "rsa-sha256" => Ok(Self::RsaSha256),
            _ => Err(ParseNameError::new("algorithm", s, "rsa-sha1, rsa-sha256")),
        }
    }
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Signs messages with one private key and one algorithm. Cheap to clone, `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Signer {
    key: PrivateKey,
    algorithm: Algorithm,
}

impl Signer {
    /// A signer for `key` with `algorithm`.
    pub fn new(key: PrivateKey, algorithm: Algorithm) -> Self {
        Self { key, algorithm }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The private key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// Signs `message`, returning the raw signature bytes.
    ///
    /// # Errors
    /// [`Error::Backend`] if the RSA implementation fails (it does not for a loaded key).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.key.backend().sign(self.algorithm, message)
    }

    /// Signs `message`, returning standard base64 with padding (the platforms' form).
    ///
    /// # Errors
    /// As [`Signer::sign`].
    pub fn sign_base64(&self, message: &[u8]) -> Result<String> {
        Ok(B64.encode(self.sign(message)?))
    }

    /// Builds the canonical string of `params` under `rules` and signs it; returns the string
    /// and the base64 signature.
    ///
    /// # Errors
    /// [`Error::DuplicateParameter`], or as [`Signer::sign`].
    pub fn sign_params<I, K, V>(&self, rules: Rules, params: I) -> Result<(String, String)>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let s = canonical_string(rules, params)?;
        let sig = self.sign_base64(s.as_bytes())?;
        Ok((s, sig))
    }
}

/// Checks signatures with one public key and one algorithm. Cheap to clone, `Send + Sync`.
///
/// Verification never panics, whatever the signature bytes: wrong lengths, values out of
/// range and garbage base64 are reported as errors.
#[derive(Debug, Clone)]
pub struct Verifier {
    key: PublicKey,
    algorithm: Algorithm,
}

impl Verifier {
    /// A verifier for `key` with `algorithm`.
    pub fn new(key: PublicKey, algorithm: Algorithm) -> Self {
        Self { key, algorithm }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The public key.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// Checks a raw signature over `message`.
    ///
    /// # Errors
    /// [`Error::BadSignature`] when it does not verify; [`Error::Backend`] on a backend failure.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        if self
            .key
            .backend()
            .verify(self.algorithm, message, signature)?
        {
            Ok(())
        } else {
            Err(Error::BadSignature)
        }
    }

    /// Checks a base64 signature (standard alphabet, padded; surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`Error::SignatureEncoding`] when it is not base64; otherwise as [`Verifier::verify`].
    pub fn verify_base64(&self, message: &[u8], signature: &str) -> Result<()> {
        // RSA signatures up to 4096 bits decode on the stack; anything longer cannot verify
        // against a key we accept, but still goes through the same checks for the same answer.
        let mut buf = [0u8; 512];
        match B64.decode_slice(signature.trim().as_bytes(), &mut buf) {
            Ok(n) => self.verify(message, buf.get(..n).unwrap_or_default()),
            Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                let raw = decode_signature(signature)?;
                self.verify(message, &raw)
            }
            Err(base64::DecodeSliceError::DecodeError(_)) => Err(Error::SignatureEncoding),
        }
    }

    /// Builds the canonical string of `params` under `rules` and checks `signature` (base64).
    ///
    /// # Errors
    /// [`Error::DuplicateParameter`], or as [`Verifier::verify_base64`].
    pub fn verify_params<I, K, V>(&self, rules: Rules, params: I, signature: &str) -> Result<()>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let s = canonical_string(rules, params)?;
        self.verify_base64(s.as_bytes(), signature)
    }
}

/// Decodes a base64 signature: standard alphabet with padding, surrounding whitespace ignored.
///
/// # Errors
/// [`Error::SignatureEncoding`] for anything else.
pub fn decode_signature(signature: &str) -> Result<Vec<u8>> {
    B64.decode(signature.trim().as_bytes())
        .map_err(|_| Error::SignatureEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn signer_and_verifier_are_send_sync_clone() {
        assert_send_sync_clone::<Signer>();
        assert_send_sync_clone::<Verifier>();
        assert_send_sync_clone::<PrivateKey>();
        assert_send_sync_clone::<PublicKey>();
    }

    #[test]
    fn algorithm_names() {
        for a in [Algorithm::RsaSha1, Algorithm::RsaSha256] {
            assert_eq!(a.name().parse::<Algorithm>().unwrap(), a);
            assert_eq!(
                Algorithm::from_alipay_sign_type(a.alipay_sign_type()),
                Some(a)
            );
        }
        assert!("sha1".parse::<Algorithm>().is_err());
        assert_eq!(Algorithm::from_alipay_sign_type("SM2"), None);
    }

    #[test]
    fn bad_base64_is_an_encoding_error() {
        assert!(matches!(
            decode_signature("!!"),
            Err(Error::SignatureEncoding)
        ));
        assert!(matches!(decode_signature("YWJj"), Ok(v) if v == b"abc"));
    }
}
