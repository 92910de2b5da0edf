//! `cargo xtask bench [rsa|notify|load|sandbox|bill] [--quick] [--rows N]`: each bench in its
//! own module, every ratio measured in the same run as its reference.

mod bill;
mod harness;
mod load;
mod notify;
mod rsa;
mod sandbox;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Result;
use crate::meta::metadata;

fn criterion_ops(target: &Path, group: &str, case: &str) -> Result<f64> {
    let path = target
        .join("criterion")
        .join(group)
        .join(case)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let ns = v["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no median", path.display()))?;
    if ns <= 0.0 {
        return Err(format!("{}: non-positive time", path.display()));
    }
    #[allow(clippy::float_arithmetic)]
    Ok(1e9 / ns)
}

pub(crate) fn bench(args: &[String]) -> Result {
    let quick = args.iter().any(|a| a == "--quick");
    // `--rows N`: the large bill size (bench bill)
    let mut bill_rows = 1_000_000u64;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--rows" {
            let v = it.next().ok_or("--rows needs a number")?;
            bill_rows = v.parse().map_err(|_| format!("--rows {v}: not a number"))?;
        } else {
            rest.push(a.as_str());
        }
    }
    let all = ["rsa", "notify", "load", "sandbox", "bill"];
    let mut parts: Vec<&str> = rest.into_iter().filter(|a| !a.starts_with("--")).collect();
    if parts.is_empty() {
        parts = all.to_vec();
    }
    if let Some(bad) = parts.iter().find(|p| !all.contains(p)) {
        return Err(format!(
            "unknown bench {bad}: choose rsa, notify, load, sandbox or bill"
        ));
    }
    let meta = metadata()?;
    let target = PathBuf::from(
        meta["target_directory"]
            .as_str()
            .ok_or("cargo metadata: no target_directory")?,
    );
    if parts.contains(&"rsa") {
        rsa::bench_rsa(quick, &target)?;
    }
    if parts.contains(&"notify") {
        notify::bench_notify(quick, &target)?;
    }
    if parts.contains(&"load") {
        load::bench_load(quick, &target)?;
    }
    if parts.contains(&"sandbox") {
        sandbox::bench_sandbox(quick, &target)?;
    }
    if parts.contains(&"bill") {
        bill::bench_bill(quick, bill_rows, &target)?;
    }
    Ok(())
}
