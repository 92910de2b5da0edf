//! Canonical sign strings, RSA key loading and signatures for Baidu and Alipay mini-program
//! payments.
//!
//! * [`canonical_string`] builds the "string to sign" under [`Rules::Baidu`],
//!   [`Rules::BaiduCallback`] (Baidu's callbacks), [`Rules::Alipay`] (requests, gateway
//!   messages), [`Rules::AlipayNotify`] (trade notifications) or
//!   [`Rules::AlipayNotifyKeepEmpty`] (trade notifications as some SDKs sign them);
//!   [`form::parse`] decodes a callback body exactly once.
//! * [`PrivateKey`] and [`PublicKey`] load every format the consoles hand out (PEM PKCS#1 or
//!   PKCS#8, SPKI, PKCS#1 public, one-line base64, DER, X.509 certificates) and say exactly
//!   what is wrong with anything else.
//! * [`Certificate`] reads X.509 certificates for Alipay's certificate mode:
//!   [`alipay_cert_sn`] and [`alipay_root_cert_sn`] compute `app_cert_sn` and
//!   `alipay_root_cert_sn`, [`Certificate::public_key`] gives the key to verify with.
//! * [`Signer`] and [`Verifier`] do SHA1withRSA ([`Algorithm::RsaSha1`], Baidu) and
//!   SHA256withRSA ([`Algorithm::RsaSha256`], Alipay RSA2) with PKCS#1 v1.5 padding and
//!   standard base64.
//!
//! Keys are parsed once; signers and verifiers are `Clone + Send + Sync` and cheap to clone.
//! The RSA implementation is chosen by cargo feature: `openssl` (default, constant-time) or
//! `rustcrypto` (pure Rust; see the README for its trade-offs). No backend type appears in the
//! public API.
//!
//! # Example
//!
//! ```
//! use baidupay_crypto::{Algorithm, PrivateKey, Rules, Signer, Verifier};
//!
//! let pem = "-----BEGIN RSA PRIVATE KEY-----
//! MIICXQIBAAKBgQC6ZbnSK6EeCMFq3KUdp2hyd5ExvfPYy65berLkjm8eKX2swDq9
//! nF+bpCtM27+0pssRuoypaBIOTP3nf+Qpd1p8yP8kMQF3GbUy1t9kZzs0lqpGe7RZ
//! /7ehVKIyLlCEgm5cUMFGKyLH33XL1QcQkqAJjinbjgYjtvt1Ms+VCmmolwIDAQAB
//! AoGBAJ9H/HGHzOeAbd/masabXtqqKA3Ml4rECturTyGWQYgRxo4PumJ7NQwoTsQf
//! 6IL0IQWmVzsQbpV/31yq4gs5Lb2MzXDAsfAWkj+Z4xCvApLyzCgrS9HomKl/PM4W
//! tZeCH7rYiqs2eTtqGlV/zBwKe5sUQJ7uTkSqePkGz9+WyVw5AkEA49tYgWlv2vkf
//! WPNq5Rv4ouPRBbNFCGJiWD5jBl2cGEhywfsEfZsqGzUPkgFI+rs4VPWyHzwUuVRU
//! bJhcfyBPJQJBANFrdvaFkiNdjpay+VRlMRgPkOB4wlXk+16RgX5tj5WJY/yKOEGI
//! k6T8tExXJuwzp2b/zqdqjGJYDawbBiOimgsCQEZyPGzWUlTbDMwNhhELktWZpbgj
//! csZi1JD/yNHhAy+mxoQevYawAFalEwlLCGsskwABbm6lvqqF3gwtFvve21kCQFQ3
//! RjDfCCTGs9ewg4nH49VMNTO//E60dc3S7+NaxdoZ1SayourftJgts4fbqGBmaVSH
//! XKCAvZGy3VSvzWk5M38CQQCozKD1ddDDrtE2gQKtKAjOzcvgJsell085f1cObc/C
//! pRG0IMfXcGi352IS5xbgJWnX+9UZwW5UppDJr6YKFA1K
//! -----END RSA PRIVATE KEY-----";
//! let key = PrivateKey::parse(pem)?;
//! let signer = Signer::new(key.clone(), Algorithm::RsaSha1);
//! let (string, rsa_sign) = signer.sign_params(
//!     Rules::Baidu,
//!     [("appKey", "MMMabc"), ("dealId", "470193086"), ("tpOrderId", "3028903626"), ("totalAmount", "11300")],
//! )?;
//! assert_eq!(string, "appKey=MMMabc&dealId=470193086&totalAmount=11300&tpOrderId=3028903626");
//! assert!(rsa_sign.starts_with("TN0ZNPyQeTnPjCN5hUa7"));
//!
//! let verifier = Verifier::new(key.public_key().clone(), Algorithm::RsaSha1);
//! verifier.verify_base64(string.as_bytes(), &rsa_sign)?;
//! assert!(verifier.verify_base64(b"tampered", &rsa_sign).unwrap_err().is_bad_signature());
//! # Ok::<(), baidupay_crypto::Error>(())
//! ```
#![warn(missing_docs)]

mod backend;
mod canonical;
pub mod cert;
mod der;
mod error;
pub mod form;
mod key;
mod sign;

pub use canonical::{ParseNameError, Rules, canonical_string, canonical_string_of};
pub use cert::{Certificate, UtcDateTime, alipay_cert_sn, alipay_root_cert_sn};
pub use error::{Error, Result};
pub use key::{KeyFormat, MAX_KEY_BITS, MIN_KEY_BITS, PrivateKey, PublicKey, detect_format};
pub use sign::{Algorithm, Signer, Verifier, decode_signature};

/// The name of the RSA backend compiled in: `"openssl"` or `"rustcrypto"`.
pub fn backend_name() -> &'static str {
    backend::NAME
}
