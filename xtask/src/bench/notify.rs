//! `bench notify`: verify + parse of a Baidu notify next to a bare verify.

use std::path::Path;

use super::criterion_ops;
use crate::Result;
use crate::shell::{cargo, run};

#[allow(clippy::float_arithmetic)] // ratios of measured rates, reporting only
pub(super) fn bench_notify(quick: bool, target: &Path) -> Result {
    let mut cmd = cargo();
    cmd.args([
        "bench",
        "--locked",
        "-p",
        "baidupay-notify",
        "--bench",
        "notify",
    ]);
    if quick {
        cmd.args(["--", "--warm-up-time", "0.2", "--measurement-time", "1"]);
    }
    run("criterion: notify verify+parse vs bare verify", &mut cmd)?;
    let bare = criterion_ops(target, "notify", "bare-verify")?;
    let full = criterion_ops(target, "notify", "verify-parse")?;
    let ratio = bare / full;
    println!();
    println!("Baidu payment notify (TV-2, 1024-bit platform key), same run:");
    println!();
    println!("| case | ops/s | time | cost vs bare verify | target | verdict |");
    println!("|---|---:|---:|---:|---:|---|");
    println!(
        "| bare verify (canonical string given) | {bare:.0} | {:.2} us | 1.00x | | |",
        1e6 / bare
    );
    println!(
        "| verify + parse (raw body in, typed notify out) | {full:.0} | {:.2} us | {ratio:.2}x | < 1.30x | {} |",
        1e6 / full,
        if ratio < 1.3 { "meets" } else { "ABOVE" }
    );
    Ok(())
}
