//! The RSA implementation behind the public types, chosen by cargo feature.
//!
//! With both features enabled, `openssl` wins. Each backend module offers the same items:
//! `PrivKey::{new, sign}`, `PubKey::{new, verify}` and `generate_der`.

#[cfg(not(any(feature = "openssl", feature = "rustcrypto")))]
compile_error!(
    "baidupay-crypto needs a backend: enable the `openssl` (default) or `rustcrypto` feature"
);

#[cfg(feature = "openssl")]
mod ossl;
#[cfg(feature = "openssl")]
pub(crate) use ossl::{PrivKey, PubKey, generate_der};

#[cfg(all(feature = "rustcrypto", not(feature = "openssl")))]
mod rc;
#[cfg(all(feature = "rustcrypto", not(feature = "openssl")))]
pub(crate) use rc::{PrivKey, PubKey, generate_der};

/// The name of the compiled-in backend.
pub(crate) const NAME: &str = if cfg!(feature = "openssl") {
    "openssl"
} else {
    "rustcrypto"
};
