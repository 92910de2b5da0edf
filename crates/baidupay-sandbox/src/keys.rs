//! The platform key pairs: loaded from or created in the keys directory. A private key file
//! is created readable by its owner only (`0600`), and an older one is narrowed to that when
//! it is loaded.

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
        owner_only(&private_path).map_err(io(format!(
            "making {} owner-only (0600)",
            private_path.display()
        )))?;
        PrivateKey::parse(
            std::fs::read(&private_path)
                .map_err(io(format!("reading {}", private_path.display())))?,
        )?
    } else {
        let key = PrivateKey::generate(bits)?;
        write_secret(&private_path, key.to_pkcs8_pem().as_bytes())
            .map_err(io(format!("writing {}", private_path.display())))?;
        key
    };
    let public_path = dir.join(public);
    std::fs::write(&public_path, key.public_key().to_spki_pem())
        .map_err(io(format!("writing {}", public_path.display())))?;
    Ok((key, Some(public_path)))
}

/// Creates `path` (it must not exist) with `bytes`, readable and writable by its owner only.
fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Narrows an existing file to `0600` when group or others may read it.
#[cfg(unix)]
fn owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 == 0 {
        Ok(())
    } else {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
    }
}

#[cfg(not(unix))]
fn owner_only(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    /// The private key is created 0600 (whatever the umask), and an older 0644 one is
    /// narrowed when it is loaded.
    #[test]
    fn private_keys_are_owner_only() {
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let (key, public) = key_pair(Some(dir.path()), "p.pem", "pub.pem", 1024).unwrap();
        let private = dir.path().join("p.pem");
        assert_eq!(mode(&private), 0o600);
        assert!(public.is_some_and(|p| p.exists()));
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (again, _) = key_pair(Some(dir.path()), "p.pem", "pub.pem", 1024).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(mode(&private), 0o600);
    }
}
