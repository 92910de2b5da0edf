//! `bench rsa`: the criterion RSA benches for both backends next to `openssl speed`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use super::criterion_ops;
use crate::Result;
use crate::shell::{cargo, output, run};

const CASES: [(&str, u32); 3] = [
    ("sha1-1024", 1024),
    ("sha1-2048", 2048),
    ("sha256-2048", 2048),
];

/// `openssl speed` results: bits -> (sign/s, verify/s).
fn openssl_speed(seconds: u32) -> Result<BTreeMap<u32, (f64, f64)>> {
    let text = output(Command::new("openssl").args([
        "speed",
        "-seconds",
        &seconds.to_string(),
        "rsa1024",
        "rsa2048",
    ]))?;
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let ["rsa", bits, "bits", _, _, sign, verify] = words.as_slice() {
            let bits: u32 = bits
                .parse()
                .map_err(|_| format!("openssl speed: bad line {line}"))?;
            let sign: f64 = sign
                .parse()
                .map_err(|_| format!("openssl speed: bad line {line}"))?;
            let verify: f64 = verify
                .parse()
                .map_err(|_| format!("openssl speed: bad line {line}"))?;
            out.insert(bits, (sign, verify));
        }
    }
    if out.len() != 2 {
        return Err(format!("could not read `openssl speed` output:\n{text}"));
    }
    Ok(out)
}

#[allow(clippy::float_arithmetic)] // ratios of measured rates, reporting only
pub(super) fn bench_rsa(quick: bool, target: &Path) -> Result {
    let seconds = if quick { 1 } else { 3 };

    eprintln!("==> openssl speed (before)");
    let before = openssl_speed(seconds)?;
    let backends = ["openssl", "rustcrypto"];
    for backend in backends {
        let mut cmd = cargo();
        cmd.args([
            "bench",
            "--locked",
            "-p",
            "baidupay-crypto",
            "--bench",
            "rsa",
        ]);
        if backend == "rustcrypto" {
            cmd.args(["--no-default-features", "--features", "rustcrypto"]);
        }
        if quick {
            cmd.args(["--", "--warm-up-time", "0.2", "--measurement-time", "1"]);
        }
        run(&format!("criterion benches ({backend} backend)"), &mut cmd)?;
    }
    eprintln!("==> openssl speed (after)");
    let after = openssl_speed(seconds)?;

    let version = output(Command::new("openssl").arg("version")).unwrap_or_default();
    println!();
    println!(
        "RSA throughput, keys parsed once, 70-byte message; reference: `openssl speed` ({}),",
        version.trim()
    );
    println!(
        "mean of the runs before and after the benches (drift shown). Targets apply to the default backend."
    );
    println!();
    println!("| case | op | backend | ops/s | openssl speed ops/s | ratio | target | verdict |");
    println!("|---|---|---|---:|---:|---:|---:|---|");
    let mut below = Vec::new();
    let mut drift_notes = Vec::new();
    for (case, bits) in CASES {
        let (sb, vb) = before.get(&bits).copied().unwrap_or_default();
        let (sa, va) = after.get(&bits).copied().unwrap_or_default();
        for (op, reference, drift) in [
            ("sign", (sb + sa) / 2.0, (sa - sb) / sb),
            ("verify", (vb + va) / 2.0, (va - vb) / vb),
        ] {
            if case.starts_with("sha1") {
                drift_notes.push(format!("rsa{bits} {op}: {:+.1} %", drift * 100.0));
            }
            for backend in backends {
                let ops = criterion_ops(target, &format!("{op}-{backend}"), case)?;
                let ratio = ops / reference;
                let goal = match (op, bits) {
                    ("sign", _) => 0.95,
                    ("verify", 1024) => 0.85,
                    _ => 0.90,
                };
                let (target_s, verdict) = if backend == "openssl" {
                    let v = if ratio >= goal { "meets" } else { "BELOW" };
                    if ratio < goal {
                        below.push(format!("{case} {op}: {ratio:.2}x < {goal:.2}x"));
                    }
                    (format!("{goal:.2}x"), v)
                } else {
                    ("-".to_owned(), "(opt-in backend)")
                };
                println!(
                    "| {case} | {op} | {backend} | {ops:.0} | {reference:.0} | {ratio:.2}x | {target_s} | {verdict} |"
                );
            }
        }
    }
    drift_notes.dedup();
    println!(
        "\nopenssl speed drift between the two reference runs: {}",
        drift_notes.join(", ")
    );
    if below.is_empty() {
        println!("default backend meets every target");
    } else {
        println!("default backend below target: {}", below.join("; "));
        println!(
            "(benchmarks are reported, not asserted: re-run on an idle machine before concluding)"
        );
    }
    Ok(())
}
