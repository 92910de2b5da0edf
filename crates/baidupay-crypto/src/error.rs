//! The crate's error type.

use crate::key::KeyFormat;

/// Everything that can go wrong in this crate.
///
/// Key errors say exactly what was wrong with the key material and how to fix it; verification
/// failures are [`Error::BadSignature`] (the signature does not match) or
/// [`Error::SignatureEncoding`] (it is not even base64).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A public key, certificate or encrypted key was given where a private key is expected.
    #[error("expected a private key, found {found}: use the private key file")]
    ExpectedPrivateKey {
        /// What was found instead.
        found: KeyFormat,
    },
    /// A private key was given where a public key or certificate is expected.
    #[error(
        "expected a public key or certificate, found {found}: give the public half \
         (`openssl rsa -in key.pem -pubout`), never share the private key"
    )]
    ExpectedPublicKey {
        /// What was found instead.
        found: KeyFormat,
    },
    /// The private key is encrypted with a passphrase.
    #[error(
        "encrypted private keys are not supported: decrypt it first \
         (`openssl pkcs8 -in key.pem -out plain.pem`)"
    )]
    EncryptedKey,
    /// The key is valid but not an RSA key.
    #[error("not an RSA key: found {algorithm}")]
    NotRsa {
        /// The algorithm the key is for, as far as it could be named.
        algorithm: String,
    },
    /// The key data ends too early (often a key cut short when copied from a console).
    #[error("key data is truncated: {detail}")]
    TruncatedKey {
        /// Where the data ran short.
        detail: String,
    },
    /// The key data is not a key in any supported encoding.
    #[error("malformed key: {detail}")]
    MalformedKey {
        /// What was wrong.
        detail: String,
    },
    /// The key is in a format this crate does not read.
    #[error("unsupported key format: {detail}")]
    UnsupportedKeyFormat {
        /// Which format and how to convert it.
        detail: String,
    },
    /// The RSA modulus is shorter than 1024 bits.
    #[error("RSA key of {bits} bits is too small: at least 1024 bits are required")]
    KeyTooSmall {
        /// The modulus length in bits.
        bits: usize,
    },
    /// The RSA modulus is longer than 4096 bits.
    #[error("RSA key of {bits} bits is too large: at most 4096 bits are supported")]
    KeyTooLarge {
        /// The modulus length in bits.
        bits: usize,
    },
    /// The data is not a well-formed X.509 certificate (or PEM text holding one).
    #[error("malformed certificate: {detail}")]
    MalformedCertificate {
        /// What was wrong.
        detail: String,
    },
    /// Several certificates were given where exactly one is expected.
    #[error(
        "expected one certificate, found {found}: read a bundle with `Certificate::all_from_pem`"
    )]
    MultipleCertificates {
        /// How many certificates the input holds.
        found: usize,
    },
    /// One certificate of a bundle could not be read.
    #[error("certificate {position} of the bundle cannot be read")]
    BundleCertificate {
        /// The 1-based position of the certificate in the bundle.
        position: usize,
        /// Why it cannot be read.
        #[source]
        source: Box<Error>,
    },
    /// A root certificate bundle holds no RSA-signed certificate, so it has no Alipay root SN.
    #[error("none of the {found} certificates of the root bundle is RSA-signed")]
    NoRsaCertificate {
        /// How many certificates the bundle holds.
        found: usize,
    },
    /// The same parameter name appeared twice in the input of a canonical string.
    #[error("duplicate parameter `{key}`: each parameter may appear only once")]
    DuplicateParameter {
        /// The repeated parameter name.
        key: String,
    },
    /// An `application/x-www-form-urlencoded` body could not be decoded.
    #[error("malformed form body: {detail}")]
    MalformedForm {
        /// What was wrong.
        detail: String,
    },
    /// A decoded form name or value is not UTF-8 (the platforms send UTF-8).
    #[error("form pair {pair} is not UTF-8 after percent-decoding")]
    FormNotUtf8 {
        /// The 1-based position of the pair in the body.
        pair: usize,
    },
    /// The signature text is not standard base64.
    #[error("signature is not valid base64")]
    SignatureEncoding,
    /// The signature does not verify for this message and key.
    #[error("signature does not verify")]
    BadSignature,
    /// The key size asked of the key generator is not supported.
    #[error("unsupported key size {bits}: choose 1024, 2048, 3072 or 4096 bits")]
    UnsupportedKeySize {
        /// The requested size.
        bits: usize,
    },
    /// The cryptographic backend reported a failure.
    #[error("crypto backend failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// True for [`Error::BadSignature`]: the input was well formed but does not verify.
    pub fn is_bad_signature(&self) -> bool {
        matches!(self, Self::BadSignature)
    }

    /// True for errors about key material (format, type, size), certificates included.
    pub fn is_key_error(&self) -> bool {
        matches!(
            self,
            Self::ExpectedPrivateKey { .. }
                | Self::ExpectedPublicKey { .. }
                | Self::EncryptedKey
                | Self::NotRsa { .. }
                | Self::TruncatedKey { .. }
                | Self::MalformedKey { .. }
                | Self::UnsupportedKeyFormat { .. }
                | Self::KeyTooSmall { .. }
                | Self::KeyTooLarge { .. }
                | Self::MalformedCertificate { .. }
                | Self::MultipleCertificates { .. }
                | Self::BundleCertificate { .. }
                | Self::NoRsaCertificate { .. }
        )
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
