//! `cargo metadata`, read with serde_json.

use serde_json::Value;

use crate::Result;
use crate::shell::{cargo, output};

pub(crate) fn metadata() -> Result<Value> {
    let text =
        output(cargo().args(["metadata", "--format-version", "1", "--no-deps", "--locked"]))?;
    serde_json::from_str(&text).map_err(|e| format!("cargo metadata: {e}"))
}

pub(crate) fn packages(meta: &Value) -> Vec<&Value> {
    meta["packages"]
        .as_array()
        .map(|v| v.iter().collect())
        .unwrap_or_default()
}

/// Workspace packages that offer a `rustcrypto` feature (the crypto crate and its dependents).
pub(crate) fn rustcrypto_packages(meta: &Value) -> Vec<String> {
    packages_with_feature(meta, "rustcrypto")
}

pub(crate) fn packages_with_feature(meta: &Value, feature: &str) -> Vec<String> {
    packages(meta)
        .into_iter()
        .filter(|p| p["features"].get(feature).is_some())
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}
