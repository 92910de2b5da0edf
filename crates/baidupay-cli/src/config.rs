//! `baidupay.toml`: path from `--config`, else `BAIDUPAY_CONFIG`, else `./baidupay.toml`; every
//! value can be overridden by `BAIDUPAY_<SECTION>_<KEY>` (e.g. `BAIDUPAY_BAIDU_APP_KEY`).
//! Relative key paths are resolved against the config file's directory.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{CliError, CliResult};

/// The `[baidu]` section.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct BaiduSection {
    pub(crate) app_key: Option<String>,
    #[serde(default, deserialize_with = "baidupay_model::de::opt_string_or_number")]
    pub(crate) deal_id: Option<String>,
    #[serde(default, deserialize_with = "baidupay_model::de::opt_u64_or_string")]
    #[allow(dead_code)] // read by the 1.0 API commands to come
    pub(crate) app_id: Option<u64>,
    pub(crate) private_key: Option<PathBuf>,
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
            }
        }
        let file: FileConfig = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| CliError::input(format!("config: {e}")))?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(Self {
            baidu: file.baidu,
            dir,
        })
    }

    /// A path from the config, relative to the config file's directory.
    pub(crate) fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
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
