//! The platform key pairs: loaded from or created in the keys directory.

use std::path::{Path, PathBuf};

use baidupay_crypto::PrivateKey;

use crate::error::{SandboxError, io};

/// The file the platform public key is written to in the keys directory.
pub const PUBLIC_KEY_FILE: &str = "baidu_platform_public_key.pem";
/// The file the platform private key is kept in (PKCS#8 PEM).
pub const PRIVATE_KEY_FILE: &str = "baidu_platform_private_key.pem";
/// The file the simulated Alipay public key is written to in the keys directory.
pub const ALIPAY_PUBLIC_KEY_FILE: &str = "alipay_public_key.pem";
/// The file the simulated Alipay private key is kept in (PKCS#8 PEM).
pub const ALIPAY_PRIVATE_KEY_FILE: &str = "alipay_private_key.pem";

/// Loads a key pair from `dir` (`private`, `public`), or creates it there with `bits`.
pub(crate) fn key_pair(
    dir: Option<&Path>,
    private: &str,
    public: &str,
    bits: usize,
) -> Result<(PrivateKey, Option<PathBuf>), SandboxError> {
    let Some(dir) = dir else {
        return Ok((PrivateKey::generate(bits)?, None));
    };
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let private_path = dir.join(private);
    let key = if private_path.exists() {
        PrivateKey::parse(
            std::fs::read(&private_path)
                .map_err(io(format!("reading {}", private_path.display())))?,
        )?
    } else {
        let key = PrivateKey::generate(bits)?;
        std::fs::write(&private_path, key.to_pkcs8_pem().as_bytes())
            .map_err(io(format!("writing {}", private_path.display())))?;
        key
    };
    let public_path = dir.join(public);
    std::fs::write(&public_path, key.public_key().to_spki_pem())
        .map_err(io(format!("writing {}", public_path.display())))?;
    Ok((key, Some(public_path)))
}
