//! `bench load`: a loopback load test of the example callback endpoint next to a hello-world
//! hyper endpoint, with a correctness check under concurrent duplicates.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::harness::{ROUNDS, Rounds, http_get, load, under_load};
use crate::Result;
use crate::shell::{cargo, output, run, workspace_root};

#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)] // reporting only
pub(super) fn bench_load(quick: bool, target: &Path) -> Result {
    run(
        "build the example endpoint, hello-world reference and load generator (release)",
        cargo().args([
            "build",
            "--release",
            "--locked",
            "-p",
            "baidupay-example-merchant",
            "--bin",
            "merchant",
            "-p",
            "baidupay-bench",
            "--bin",
            "hello",
            "--bin",
            "load",
        ]),
    )?;
    let bin = |name: &str| target.join("release").join(name);
    let fixtures = workspace_root().join("vectors/baidu");
    let key = fixtures.join("tv2-demo-platform-public.pem");
    let body = fixtures.join("tv2-payment-notify-body.form");
    let key_s = key.to_string_lossy().into_owned();
    let merchant_args = [
        "--listen",
        "127.0.0.1:0",
        "--baidu-key",
        &key_s,
        "--alipay-key",
        &key_s,
        "--order",
        "18607895241=1",
    ];
    let seconds = if quick { 2 } else { 5 };
    let mut rounds = Rounds::default();
    let mut bad = 0u64;
    let mut effects = Vec::new();
    eprintln!(
        "\n==> loopback load: 32 keep-alive connections, {seconds} s per run, hello / notify alternating {ROUNDS} times"
    );
    let bundled = |url: String| -> Result<Value> { load(&bin("load"), &url, Some(&body), seconds) };
    let counted = |r: &Value| {
        (
            r["rps"].as_u64().unwrap_or(0) as f64,
            r["requests"].as_u64().unwrap_or(0),
        )
    };
    for _round in 0..ROUNDS {
        // the reference gets the same POST body as the notify endpoint (as in perf.md's Go
        // anchors), so that the ratio isolates what the notify handler adds
        let h = under_load(&bin("hello"), &["--listen", "127.0.0.1:0"], |addr| {
            let r = bundled(format!("http://{addr}/"))?;
            let (rps, n) = counted(&r);
            Ok((rps, n, ()))
        })?;
        rounds.hello.push((h.rps, h.cpu_us));
        let m = under_load(&bin("merchant"), &merchant_args, |addr| {
            let r = bundled(format!("http://{addr}/notify/baidu/pay"))?;
            let stats = http_get(addr, "/stats")?;
            let (rps, n) = counted(&r);
            Ok((rps, n, (r, stats)))
        })?;
        rounds.notify.push((m.rps, m.cpu_us));
        let (r, stats) = m.extra;
        bad += r["non_2xx"].as_u64().unwrap_or(0) + r["errors"].as_u64().unwrap_or(0);
        let stats: Value = serde_json::from_str(&stats).map_err(|e| e.to_string())?;
        effects.push((
            stats["effects"].as_u64().unwrap_or(0),
            stats["duplicates"].as_u64().unwrap_or(0),
        ));
    }
    rounds.print(
        &format!(
            "Loopback load, bundled generator (same machine, 32 connections, {ROUNDS} rounds of {seconds} s each):"
        ),
        "example merchant: verify + parse + idempotent record + exact ack (TV-2 notify, every request a duplicate after the first)",
    );
    println!();
    let correct = bad == 0 && effects.iter().all(|(e, _)| *e == 1);
    println!(
        "correctness under concurrent duplicates: non-2xx or errors {bad}; (effects, duplicates) per run {effects:?} -> {}",
        if correct {
            "applied exactly once per run"
        } else {
            "WRONG"
        }
    );
    if !correct {
        return Err("the example endpoint misbehaved under load".into());
    }
    if Command::new("wrk").arg("--version").output().is_ok() {
        bench_load_wrk(&bin, &merchant_args, &body, target, seconds)?;
    } else {
        println!(
            "(wrk not installed: `apt-get install wrk` adds the same comparison driven by wrk)"
        );
    }
    Ok(())
}

/// The same comparison driven by wrk (`-t2 -c32`), which spends less CPU than the bundled
/// generator, so the servers' own costs weigh more in the ratio.
#[allow(
    clippy::float_arithmetic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)] // reporting only
fn bench_load_wrk(
    bin: &dyn Fn(&str) -> PathBuf,
    merchant_args: &[&str],
    body: &Path,
    target: &Path,
    seconds: u64,
) -> Result {
    let script = target.join("wrk-post.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
             local f = io.open(\"{}\", \"rb\"); wrk.body = f:read(\"*a\"); f:close()\n",
            body.display()
        ),
    )
    .map_err(|e| format!("{}: {e}", script.display()))?;
    // requests/s and requests served, as wrk prints them
    let wrk = |url: &str| -> Result<(f64, u64, ())> {
        let text = output(Command::new("wrk").args([
            "-t2",
            "-c32",
            &format!("-d{seconds}s"),
            "-s",
            &script.to_string_lossy(),
            url,
        ]))?;
        if text.contains("Non-2xx") {
            return Err(format!("wrk saw non-2xx answers:\n{text}"));
        }
        let rps: f64 = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| format!("wrk printed no Requests/sec:\n{text}"))?;
        // "  123456 requests in 5.00s, ..."
        let served = text
            .lines()
            .find_map(|l| l.trim().split_once(" requests in "))
            .and_then(|(n, _)| n.trim().parse().ok())
            .unwrap_or((rps * seconds as f64) as u64);
        Ok((rps, served, ()))
    };
    let mut rounds = Rounds::default();
    for _round in 0..ROUNDS {
        let h = under_load(&bin("hello"), &["--listen", "127.0.0.1:0"], |addr| {
            wrk(&format!("http://{addr}/")) // same POST body as the notify runs
        })?;
        rounds.hello.push((h.rps, h.cpu_us));
        let m = under_load(&bin("merchant"), merchant_args, |addr| {
            wrk(&format!("http://{addr}/notify/baidu/pay"))
        })?;
        rounds.notify.push((m.rps, m.cpu_us));
    }
    rounds.print(
        &format!("The same with wrk -t2 -c32 ({ROUNDS} rounds of {seconds} s each):"),
        "example merchant notify",
    );
    Ok(())
}
