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

mod encode;
mod input;
mod parse;
mod private;
mod public;

pub(crate) use self::input::KEY_B64;
pub(crate) use self::parse::PrivateParts;

use self::input::to_der;
use self::parse::{Classified, classify};
pub use self::private::PrivateKey;
pub use self::public::PublicKey;

use std::fmt;

use crate::error::Result;

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
    use crate::Error;

    const TV1_PKCS1: &str = include_str!("../../../../vectors/baidu/tv1-doc2021-private-pkcs1.pem");
    const TV1_PKCS8: &str = include_str!("../../../../vectors/baidu/tv1-doc2021-private-pkcs8.pem");
    const TV1_PUB: &str = include_str!("../../../../vectors/baidu/tv1-doc2021-public.pem");

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
