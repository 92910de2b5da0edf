//! `baidupay.toml`: path from `--config`, else `BAIDUPAY_CONFIG`, else `./baidupay.toml`; every
//! value can be overridden by `BAIDUPAY_<SECTION>_<KEY>` (e.g. `BAIDUPAY_BAIDU_APP_KEY`).
//! Relative key paths are resolved against the config file's directory. A private key may be
//! given as a path or as the key itself (PEM or one-line base64, see [`KeySource::detect`]);
//! secrets are redacted in `Debug` and never shown in an error.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use baidupay_model::Secret;
use serde::Deserialize;

use crate::error::{CliError, CliResult};
use crate::keys::KeySource;

/// Keys whose values are secrets: never shown, even in an error about the file.
const SECRET_KEYS: &[&str] = &["private_key", "client_secret", "token", "aes_key"];

/// The `[baidu]` section.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct BaiduSection {
    pub(crate) app_key: Option<String>,
    #[serde(default, deserialize_with = "baidupay_model::de::opt_string_or_number")]
    pub(crate) deal_id: Option<String>,
    #[serde(default, deserialize_with = "baidupay_model::de::opt_u64_or_string")]
    #[allow(dead_code)] // read by the 1.0 API commands to come
    pub(crate) app_id: Option<u64>,
    /// A path or the key itself: see [`Config::baidu_private_key`].
    private_key: Option<Secret>,
    #[allow(dead_code)]
    pub(crate) platform_public_key: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
struct FileConfig {
    #[serde(default)]
    baidu: BaiduSection,
}

/// The loaded configuration.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) baidu: BaiduSection,
    dir: PathBuf,
    /// The file it was read from (or would have been).
    path: PathBuf,
    /// The `BAIDUPAY_*` variables that set a value.
    from_env: HashSet<String>,
}

impl Config {
    /// Loads the file (when there is one) and applies the environment overrides.
    pub(crate) fn load(explicit: Option<&Path>) -> CliResult<Self> {
        let env_path = std::env::var_os("BAIDUPAY_CONFIG").map(PathBuf::from);
        let (path, required) = match (explicit, env_path) {
            (Some(p), _) => (p.to_path_buf(), true),
            (None, Some(p)) => (p, true),
            (None, None) => (PathBuf::from("baidupay.toml"), false),
        };
        let mut table = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str::<toml::Table>(&text).map_err(|e| {
                CliError::input(format!(
                    "config {}: {}",
                    path.display(),
                    e.to_string().lines().next().unwrap_or("invalid TOML")
                ))
            })?,
            Err(e) if required || e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CliError::input(format!(
                    "cannot read config {}: {e}",
                    path.display()
                )));
            }
            Err(_) => toml::Table::new(),
        };
        let mut from_env = HashSet::new();
        for (name, value) in std::env::vars() {
            let Some(rest) = name.strip_prefix("BAIDUPAY_") else {
                continue;
            };
            let Some((section, key)) = rest.split_once('_') else {
                continue;
            };
            let section = section.to_ascii_lowercase();
            if section == "config" {
                continue;
            }
            let entry = table
                .entry(section)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = entry {
                t.insert(key.to_ascii_lowercase(), toml::Value::String(value));
                from_env.insert(name);
            }
        }
        let secrets = secret_values(&table);
        let file: FileConfig =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    let mut msg = format!("config: {e}");
                    for s in &secrets {
                        msg = msg.replace(s.expose(), "[redacted]");
                    }
                    CliError::input(msg.replace('\n', " "))
                })?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(Self {
            baidu: file.baidu,
            dir,
            path,
            from_env,
        })
    }

    /// `[baidu] private_key`: a path (relative to the config file's directory) or the key
    /// itself, named in errors by where it was given.
    pub(crate) fn baidu_private_key(&self) -> Option<KeySource> {
        let value = self.baidu.private_key.as_ref()?;
        let env = "BAIDUPAY_BAIDU_PRIVATE_KEY";
        let origin = if self.from_env.contains(env) {
            env.to_owned()
        } else {
            format!("[baidu] private_key of {}", self.path.display())
        };
        Some(KeySource::detect(value.expose(), &origin).relative_to(&self.dir))
    }
}

/// Every string value under a secret key ([`SECRET_KEYS`]), in any section.
fn secret_values(table: &toml::Table) -> Vec<Secret> {
    let mut out = Vec::new();
    for section in table.values() {
        let toml::Value::Table(t) = section else {
            continue;
        };
        for (key, value) in t {
            if let toml::Value::String(s) = value
                && !s.is_empty()
                && SECRET_KEYS.iter().any(|k| key.contains(k))
            {
                out.push(Secret::new(s.as_str()));
            }
        }
    }
    out
}

/// `Some(value)` or a one-line error naming the key and its environment variable.
pub(crate) fn required<T>(value: Option<T>, section: &str, key: &str) -> CliResult<T> {
    value.ok_or_else(|| {
        CliError::input(format!(
            "config: [{section}] {key} is not set (or set BAIDUPAY_{}_{})",
            section.to_ascii_uppercase(),
            key.to_ascii_uppercase()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_an_inline_private_key() {
        let file: FileConfig = toml::from_str(
            "[baidu]\napp_key = \"MMMabc\"\nprivate_key = '''\n-----BEGIN PRIVATE KEY-----\nMIICdwIBADANBgkqhkiG9w0B\n-----END PRIVATE KEY-----\n'''\n",
        )
        .unwrap();
        let config = Config {
            baidu: file.baidu,
            dir: PathBuf::from("."),
            path: PathBuf::from("baidupay.toml"),
            from_env: HashSet::new(),
        };
        let dbg = format!("{config:?}");
        assert!(!dbg.contains("MIIC") && dbg.contains("MMMabc"), "{dbg}");
        let source = config.baidu_private_key().unwrap();
        assert!(
            matches!(source, KeySource::Inline { ref origin, .. } if origin == "[baidu] private_key of baidupay.toml")
        );
    }
}
