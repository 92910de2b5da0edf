//! Pure-Rust backend: signing with the `rsa` crate, always blinded (`sign_with_rng`), and
//! verification with `ring`.
//!
//! The `rsa` crate is not constant-time (RUSTSEC-2023-0071, unpatched); blinding narrows but
//! does not close that side channel. This backend is therefore opt-in, never the default.

use rand_core::OsRng;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::{BigUint, RsaPrivateKey};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::Algorithm;
use crate::error::{Error, Result};
use crate::key::PrivateParts;

fn backend_err(e: rsa::Error) -> Error {
    Error::Backend(Box::new(e))
}

pub(crate) struct PrivKey {
    key: RsaPrivateKey,
}

impl PrivKey {
    pub(crate) fn new(p: &PrivateParts) -> Result<Self> {
        let big = |b: &[u8]| BigUint::from_bytes_be(b);
        let primes = vec![big(&p.p), big(&p.q)];
        let mut key = RsaPrivateKey::from_components(big(&p.n), big(&p.e), big(&p.d), primes)
            .map_err(|e| Error::MalformedKey {
                detail: format!("inconsistent RSA private key: {e}"),
            })?;
        key.precompute().map_err(backend_err)?;
        Ok(Self { key })
    }

    pub(crate) fn sign(&self, alg: Algorithm, msg: &[u8]) -> Result<Vec<u8>> {
        let (scheme, hashed) = match alg {
            Algorithm::RsaSha1 => (Pkcs1v15Sign::new::<Sha1>(), Sha1::digest(msg).to_vec()),
            Algorithm::RsaSha256 => (Pkcs1v15Sign::new::<Sha256>(), Sha256::digest(msg).to_vec()),
        };
        self.key
            .sign_with_rng(&mut OsRng, scheme, &hashed)
            .map_err(backend_err)
    }
}

pub(crate) struct PubKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl PubKey {
    pub(crate) fn new(n: &[u8], e: &[u8]) -> Result<Self> {
        Ok(Self {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// True when `sig` is a valid signature of `msg`. Never fails on malformed signatures.
    pub(crate) fn verify(&self, alg: Algorithm, msg: &[u8], sig: &[u8]) -> Result<bool> {
        use ring::signature as rs;
        let params = match alg {
            Algorithm::RsaSha1 => &rs::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            Algorithm::RsaSha256 => &rs::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        };
        let key = rs::RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        };
        Ok(key.verify(params, msg, sig).is_ok())
    }
}

pub(crate) fn generate_der(bits: usize) -> Result<Zeroizing<Vec<u8>>> {
    use rsa::pkcs8::EncodePrivateKey as _;
    let key = RsaPrivateKey::new(&mut OsRng, bits).map_err(backend_err)?;
    let doc = key
        .to_pkcs8_der()
        .map_err(|e| Error::Backend(Box::new(e)))?;
    Ok(Zeroizing::new(doc.as_bytes().to_vec()))
}
