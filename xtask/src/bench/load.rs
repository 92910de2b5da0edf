//! `bench load`: a loopback load test of the example callback endpoint next to a hello-world
//! hyper endpoint, with a correctness check under concurrent duplicates; then the notify
//! endpoint with distinct notifies on each ledger (memory, SQLite, PostgreSQL when a server is
//! given), with requests/s, p99 latency and the ratios to the in-memory ledger.

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
            "--bin",
            "notifies",
            "--bin",
            "pgdb",
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
        "--database-url",
        "memory://",
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
        "example merchant, in-memory ledger: verify + parse + idempotent record + exact ack (TV-2 notify, every request a duplicate after the first)",
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
    bench_ledgers(&bin, target, quick, seconds)
}

/// One engine's runs: `(requests/s, p99 µs, server CPU µs per request)` per round.
#[derive(Default)]
struct LedgerRuns {
    runs: Vec<(f64, u64, Option<f64>)>,
}

/// The notify endpoint with distinct notifies (each request a new payment of its own order:
/// one transaction that writes) on each ledger, in rounds, each run on a fresh ledger.
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)] // reporting only
fn bench_ledgers(
    bin: &dyn Fn(&str) -> PathBuf,
    target: &Path,
    quick: bool,
    seconds: u64,
) -> Result {
    let count: usize = if quick { 60_000 } else { 150_000 };
    let dir = target.join("bench-ledger");
    run(
        "sign distinct payment notifies (and their orders) for the ledger runs",
        Command::new(bin("notifies"))
            .args(["--count", &count.to_string(), "--out"])
            .arg(&dir),
    )?;
    let key = dir
        .join("platform_public.pem")
        .to_string_lossy()
        .into_owned();
    let bodies = dir.join("bodies.form");
    let orders = dir.join("orders.txt").to_string_lossy().into_owned();
    let postgres = std::env::var("BAIDUPAY_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("BAIDUPAY_TEST_POSTGRES_URL"))
        .ok()
        .filter(|u| !u.is_empty());
    let mut engines = vec!["memory", "sqlite", "sqlite-normal"];
    if postgres.is_some() {
        engines.push("postgres");
    }
    eprintln!(
        "\n==> ledgers: distinct notifies, 32 connections, {seconds} s per run, {} alternating {ROUNDS} times",
        engines.join(" / ")
    );
    let mut results: Vec<LedgerRuns> = engines.iter().map(|_| LedgerRuns::default()).collect();
    let mut problems = Vec::new();
    for round in 0..ROUNDS {
        for (engine, result) in engines.iter().zip(results.iter_mut()) {
            let sqlite_file = dir.join(format!("ledger-{round}.db"));
            let (url, pg_name) = match *engine {
                "memory" => ("memory://".to_owned(), None),
                "sqlite" | "sqlite-normal" => {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_file.display()));
                    }
                    let query = if *engine == "sqlite" {
                        ""
                    } else {
                        "?synchronous=normal"
                    };
                    (format!("sqlite://{}{query}", sqlite_file.display()), None)
                }
                _ => {
                    let admin = postgres.as_deref().unwrap_or_default();
                    let url = output(Command::new(bin("pgdb")).args(["create", admin]))?
                        .trim()
                        .to_owned();
                    let name = url
                        .rsplit('/')
                        .next()
                        .and_then(|n| n.split('?').next())
                        .unwrap_or_default()
                        .to_owned();
                    (url, Some((admin.to_owned(), name)))
                }
            };
            let args = [
                "--listen",
                "127.0.0.1:0",
                "--baidu-key",
                &key,
                "--alipay-key",
                &key,
                "--database-url",
                &url,
                "--orders",
                &orders,
            ];
            let m = under_load(&bin("merchant"), &args, |addr| {
                let text = output(
                    Command::new(bin("load"))
                        .args(["--url", &format!("http://{addr}/notify/baidu/pay")])
                        .args(["--connections", "32", "--seconds", &seconds.to_string()])
                        .arg("--bodies")
                        .arg(&bodies)
                        .args(["--expect", CONSUMED]),
                )?;
                let r: Value = serde_json::from_str(text.trim())
                    .map_err(|e| format!("load printed {text:?}: {e}"))?;
                let stats: Value =
                    serde_json::from_str(&http_get(addr, "/stats")?).map_err(|e| e.to_string())?;
                let rps = r["rps"].as_u64().unwrap_or(0) as f64;
                let n = r["requests"].as_u64().unwrap_or(0);
                Ok((rps, n, (r, stats)))
            });
            if let Some((admin, name)) = pg_name {
                let _ = output(Command::new(bin("pgdb")).args(["drop", &admin, &name]));
            }
            let m = m?;
            let (r, stats) = &m.extra;
            let get = |v: &Value, k: &str| v[k].as_u64().unwrap_or(0);
            let bad = get(r, "non_2xx") + get(r, "errors") + get(r, "unexpected");
            let (requests, wrapped) = (get(r, "requests"), get(r, "wrapped"));
            let (effects, duplicates) = (get(stats, "effects"), get(stats, "duplicates"));
            if bad > 0 || effects + duplicates != requests || (wrapped == 0 && duplicates > 0) {
                problems.push(format!(
                    "{engine} round {}: {bad} answers not the ack, {requests} acknowledged, effects {effects}, duplicates {duplicates}, wrapped {wrapped}",
                    round + 1
                ));
            }
            if wrapped > 0 {
                println!(
                    "(note: {engine} round {} sent all {count} distinct notifies and started over: {wrapped} repeats)",
                    round + 1
                );
            }
            result.runs.push((m.rps, get(r, "p99_us"), m.cpu_us));
        }
    }
    let median_f = |mut v: Vec<f64>| -> f64 {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let memory = &results[0];
    println!();
    println!(
        "Notify endpoint by ledger, distinct notifies (each a new payment: one transaction per request), 32 connections, {ROUNDS} rounds of {seconds} s:"
    );
    println!();
    println!(
        "| ledger | requests/s (median) | p99 latency (median) | server CPU per request (median) | ratio to memory (median of the rounds) | target |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    for (engine, res) in engines.iter().zip(&results) {
        let ratios: Vec<f64> = res
            .runs
            .iter()
            .zip(&memory.runs)
            .map(|(r, m)| r.0 / m.0.max(1.0))
            .collect();
        let cpu: Vec<f64> = res.runs.iter().filter_map(|r| r.2).collect();
        let target = match *engine {
            "sqlite" | "sqlite-normal" => {
                if median_f(ratios.clone()) >= 0.5 {
                    ">= 0.50x: meets"
                } else {
                    ">= 0.50x: BELOW"
                }
            }
            _ => "",
        };
        println!(
            "| {engine} | {:.0} | {:.1} ms | {} | {:.2}x ({}) | {target} |",
            median_f(res.runs.iter().map(|r| r.0).collect()),
            median_f(res.runs.iter().map(|r| r.1 as f64).collect()) / 1000.0,
            if cpu.is_empty() {
                "n/a".to_owned()
            } else {
                format!("{:.1} µs", median_f(cpu))
            },
            median_f(ratios.clone()),
            ratios
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    println!();
    println!(
        "sqlite: synchronous=FULL (the default: each group commit fsynced before its answers); sqlite-normal: `?synchronous=normal` (not fsynced per commit: survives kill -9, not a power loss)"
    );
    if postgres.is_none() {
        println!();
        println!(
            "(no PostgreSQL run: set BAIDUPAY_BENCH_POSTGRES_URL or BAIDUPAY_TEST_POSTGRES_URL to a server the bench may create databases on)"
        );
    } else {
        println!();
        println!(
            "(PostgreSQL's own CPU is not in the server CPU column: it runs in its own processes)"
        );
    }
    println!();
    if problems.is_empty() {
        println!(
            "correctness: every distinct notify acknowledged with the exact ack and applied once, on every ledger"
        );
        Ok(())
    } else {
        for p in &problems {
            println!("WRONG: {p}");
        }
        Err("a ledger run misbehaved under load".into())
    }
}

/// The exact acknowledgement of a consumed Baidu payment.
const CONSUMED: &str = r#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#;

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
