//! OpenSSL backend: keys parsed once into `EVP_PKEY`, and a small pool of pre-initialised
//! `EVP_PKEY_CTX`s per key and algorithm, so that a signature costs one digest and one RSA
//! operation, as in `openssl speed`, and no per-call context setup.

use std::sync::{Mutex, PoisonError};

use openssl::bn::{BigNum, BigNumContext};
use openssl::md::Md;
use openssl::pkey::{PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::{Padding, Rsa};
use zeroize::Zeroizing;

use crate::Algorithm;
use crate::error::{Error, Result};
use crate::key::PrivateParts;

/// How many idle contexts a pool keeps; more concurrent callers simply create extra ones.
const POOL_CAP: usize = 64;

fn backend_err(e: openssl::error::ErrorStack) -> Error {
    Error::Backend(Box::new(e))
}

/// The message digest, by the `sha1`/`sha2` crates (SHA-NI or AVX2 when the CPU has them):
/// OpenSSL 3's one-shot `SHA1()`/`SHA256()` look the algorithm up in the provider store on
/// every call (`EVP_Q_digest`), which costs about as much as hashing a whole callback body.
/// The messages are public (sign strings), so nothing secret passes through this code.
fn digest(alg: Algorithm, msg: &[u8]) -> ([u8; 32], usize) {
    use sha1::Digest as _;
    let mut out = [0u8; 32];
    match alg {
        Algorithm::RsaSha1 => {
            out[..20].copy_from_slice(&sha1::Sha1::digest(msg));
            (out, 20)
        }
        Algorithm::RsaSha256 => {
            out.copy_from_slice(&sha2::Sha256::digest(msg));
            (out, 32)
        }
    }
}

fn md(alg: Algorithm) -> &'static openssl::md::MdRef {
    match alg {
        Algorithm::RsaSha1 => Md::sha1(),
        Algorithm::RsaSha256 => Md::sha256(),
    }
}

/// A pool of initialised contexts for one key and one algorithm.
struct Pool<T> {
    idle: Mutex<Vec<PkeyCtx<T>>>,
}

impl<T> Pool<T> {
    fn new() -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Option<PkeyCtx<T>> {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    fn put(&self, ctx: PkeyCtx<T>) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < POOL_CAP {
            idle.push(ctx);
        }
    }
}

fn bn(bytes: &[u8]) -> Result<BigNum> {
    BigNum::from_slice(bytes).map_err(backend_err)
}

pub(crate) struct PrivKey {
    pkey: PKey<Private>,
    sha1: Pool<Private>,
    sha256: Pool<Private>,
}

impl PrivKey {
    pub(crate) fn new(p: &PrivateParts) -> Result<Self> {
        let (n, e, d) = (bn(&p.n)?, bn(&p.e)?, bn(&p.d)?);
        let (pp, q) = (bn(&p.p)?, bn(&p.q)?);
        let (dp, dq, qinv) = (bn(&p.dp)?, bn(&p.dq)?, bn(&p.qinv)?);
        check_consistency(&n, &e, &d, &pp, &q, &dp, &dq, &qinv)?;
        let rsa =
            Rsa::from_private_components(n, e, d, pp, q, dp, dq, qinv).map_err(backend_err)?;
        let pkey = PKey::from_rsa(rsa).map_err(backend_err)?;
        Ok(Self {
            pkey,
            sha1: Pool::new(),
            sha256: Pool::new(),
        })
    }

    fn pool(&self, alg: Algorithm) -> &Pool<Private> {
        match alg {
            Algorithm::RsaSha1 => &self.sha1,
            Algorithm::RsaSha256 => &self.sha256,
        }
    }

    fn new_ctx(&self, alg: Algorithm) -> Result<PkeyCtx<Private>> {
        let mut ctx = PkeyCtx::new(&self.pkey).map_err(backend_err)?;
        ctx.sign_init().map_err(backend_err)?;
        ctx.set_rsa_padding(Padding::PKCS1).map_err(backend_err)?;
        ctx.set_signature_md(md(alg)).map_err(backend_err)?;
        Ok(ctx)
    }

    pub(crate) fn sign(&self, alg: Algorithm, msg: &[u8]) -> Result<Vec<u8>> {
        let (buf, len) = digest(alg, msg);
        let pool = self.pool(alg);
        let mut ctx = match pool.take() {
            Some(ctx) => ctx,
            None => self.new_ctx(alg)?,
        };
        let mut sig = vec![0u8; self.pkey.size()];
        let n = ctx
            .sign(buf.get(..len).unwrap_or_default(), Some(&mut sig))
            .map_err(backend_err)?;
        sig.truncate(n);
        pool.put(ctx);
        Ok(sig)
    }
}

/// Cheap structural checks of a private key (no primality tests): n = p*q, the CRT values
/// agree with d, and e*d = 1 modulo p-1 and q-1. A key that fails would sign wrongly.
#[allow(clippy::too_many_arguments, clippy::many_single_char_names)]
fn check_consistency(
    n: &BigNum,
    e: &BigNum,
    d: &BigNum,
    p: &BigNum,
    q: &BigNum,
    dp: &BigNum,
    dq: &BigNum,
    qinv: &BigNum,
) -> Result<()> {
    let mut ctx = BigNumContext::new_secure().map_err(backend_err)?;
    let one = BigNum::from_u32(1).map_err(backend_err)?;
    let mut t = BigNum::new_secure().map_err(backend_err)?;
    let mut u = BigNum::new_secure().map_err(backend_err)?;
    let bad = |what: &str| Error::MalformedKey {
        detail: format!("inconsistent RSA private key: {what}"),
    };
    t.checked_mul(p, q, &mut ctx).map_err(backend_err)?;
    if t != *n {
        return Err(bad("modulus is not prime1 * prime2"));
    }
    for (prime, crt, name) in [(p, dp, "exponent1"), (q, dq, "exponent2")] {
        let mut pm1 = BigNum::new_secure().map_err(backend_err)?;
        pm1.checked_sub(prime, &one).map_err(backend_err)?;
        u.nnmod(d, &pm1, &mut ctx).map_err(backend_err)?;
        if u != *crt {
            return Err(bad(&format!("{name} does not match the private exponent")));
        }
        t.mod_mul(e, d, &pm1, &mut ctx).map_err(backend_err)?;
        if t != one {
            return Err(bad("private exponent does not invert the public exponent"));
        }
    }
    t.mod_mul(qinv, q, p, &mut ctx).map_err(backend_err)?;
    if t != one {
        return Err(bad("coefficient is not the inverse of prime2"));
    }
    Ok(())
}

pub(crate) struct PubKey {
    pkey: PKey<Public>,
    sha1: Pool<Public>,
    sha256: Pool<Public>,
}

impl PubKey {
    pub(crate) fn new(n: &[u8], e: &[u8]) -> Result<Self> {
        let rsa = Rsa::from_public_components(bn(n)?, bn(e)?).map_err(backend_err)?;
        Ok(Self {
            pkey: PKey::from_rsa(rsa).map_err(backend_err)?,
            sha1: Pool::new(),
            sha256: Pool::new(),
        })
    }

    fn pool(&self, alg: Algorithm) -> &Pool<Public> {
        match alg {
            Algorithm::RsaSha1 => &self.sha1,
            Algorithm::RsaSha256 => &self.sha256,
        }
    }

    fn new_ctx(&self, alg: Algorithm) -> Result<PkeyCtx<Public>> {
        let mut ctx = PkeyCtx::new(&self.pkey).map_err(backend_err)?;
        ctx.verify_init().map_err(backend_err)?;
        ctx.set_rsa_padding(Padding::PKCS1).map_err(backend_err)?;
        ctx.set_signature_md(md(alg)).map_err(backend_err)?;
        Ok(ctx)
    }

    /// True when `sig` is a valid signature of `msg`. Never fails on malformed signatures.
    pub(crate) fn verify(&self, alg: Algorithm, msg: &[u8], sig: &[u8]) -> Result<bool> {
        if sig.len() != self.pkey.size() {
            return Ok(false);
        }
        let (buf, len) = digest(alg, msg);
        let pool = self.pool(alg);
        let mut ctx = match pool.take() {
            Some(ctx) => ctx,
            None => self.new_ctx(alg)?,
        };
        match ctx.verify(buf.get(..len).unwrap_or_default(), sig) {
            Ok(ok) => {
                pool.put(ctx);
                Ok(ok)
            }
            // A signature OpenSSL rejects outright (e.g. a value >= n) is simply not valid;
            // the context is dropped rather than reused after an error.
            Err(_) => Ok(false),
        }
    }
}

pub(crate) fn generate_der(bits: usize) -> Result<Zeroizing<Vec<u8>>> {
    let bits = u32::try_from(bits).map_err(|_| Error::UnsupportedKeySize { bits })?;
    let rsa = Rsa::generate(bits).map_err(backend_err)?;
    rsa.private_key_to_der()
        .map(Zeroizing::new)
        .map_err(backend_err)
}
