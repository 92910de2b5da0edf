//! Project automation, run as `cargo xtask <command>`:
//!
//! * `ci`: exactly what CI runs: fmt check, clippy (`-D warnings`, all targets, both crypto
//!   backends), tests (default backend, then again with `rustcrypto`), docs with warnings
//!   denied, and `cargo deny check licenses bans sources` when cargo-deny is installed.
//! * `bench [rsa|notify|load|sandbox] [--quick]`: the criterion RSA benches for both backends next to
//!   `openssl speed`; verify+parse of a Baidu notify next to a bare verify; and a loopback load
//!   test of the example callback endpoint next to a hello-world hyper endpoint (with a
//!   correctness check under concurrent duplicates). Ratios are measured in the same run.
//! * `bench sandbox`: the sandbox's end-to-end order throughput (cashier/pay + notify delivered
//!   and acknowledged; memory and SQLite) next to a hello-world endpoint, and the demo's wall time.
//! * `release --dry-run`: checks a release could be cut and prints the plan; changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use serde_json::Value;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench") => bench(&args[1..]),
        Some("release") => release(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci | bench [rsa|notify|load|sandbox] [--quick] | release --dry-run>\n\
                 \n  ci                 fmt, clippy, tests (both backends), docs, cargo-deny\
                 \n  bench [rsa|notify|load|sandbox] [--quick]  RSA vs `openssl speed`; notify parse cost; loopback load; sandbox throughput\
                 \n  release --dry-run  check a release could be cut; print the plan"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    // xtask/ sits directly below the workspace root.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

fn run(step: &str, cmd: &mut Command) -> Result {
    eprintln!("\n==> {step}\n    $ {}", describe(cmd));
    let start = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("{step}: cannot start: {e}"))?;
    eprintln!("    ({step}: {:.1} s)", start.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", describe(cmd)))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            describe(cmd),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{}: output not UTF-8: {e}", describe(cmd)))
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn metadata() -> Result<Value> {
    let text =
        output(cargo().args(["metadata", "--format-version", "1", "--no-deps", "--locked"]))?;
    serde_json::from_str(&text).map_err(|e| format!("cargo metadata: {e}"))
}

fn packages(meta: &Value) -> Vec<&Value> {
    meta["packages"]
        .as_array()
        .map(|v| v.iter().collect())
        .unwrap_or_default()
}

/// Workspace packages that offer a `rustcrypto` feature (the crypto crate and its dependents).
fn rustcrypto_packages(meta: &Value) -> Vec<String> {
    packages_with_feature(meta, "rustcrypto")
}

fn packages_with_feature(meta: &Value, feature: &str) -> Vec<String> {
    packages(meta)
        .into_iter()
        .filter(|p| p["features"].get(feature).is_some())
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}

// -------------------------------------------------------------------------------------------
// ci

fn ci() -> Result {
    let start = Instant::now();
    let meta = metadata()?;
    run("format", cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(
        "clippy (default features)",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    let rc = rustcrypto_packages(&meta);
    let mut rc_args: Vec<String> = Vec::new();
    for p in &rc {
        rc_args.push("-p".into());
        rc_args.push(p.clone());
    }
    if !rc.is_empty() {
        run(
            "clippy (rustcrypto backend)",
            cargo()
                .arg("clippy")
                .args(&rc_args)
                .args([
                    "--all-targets",
                    "--locked",
                    "--no-default-features",
                    "--features",
                    "rustcrypto",
                ])
                .args(["--", "-D", "warnings"]),
        )?;
    }
    run(
        "tests (default backend: openssl)",
        cargo().args(["test", "--workspace", "--locked"]),
    )?;
    if !rc.is_empty() {
        run(
            "tests (rustcrypto backend)",
            cargo().arg("test").args(&rc_args).args([
                "--locked",
                "--no-default-features",
                "--features",
                "rustcrypto",
            ]),
        )?;
    }
    // Feature combinations the default run does not build: the test doubles behind `mock`,
    // and the core without the default HTTP stack (`--no-default-features`).
    for p in packages_with_feature(&meta, "mock") {
        run(
            &format!("tests ({p}, all features)"),
            cargo().args(["test", "-p", &p, "--locked", "--all-features"]),
        )?;
    }
    let needs_backend = packages_with_feature(&meta, "openssl");
    for p in packages_with_feature(&meta, "hyper") {
        // without the HTTP stack; a crate that also signs keeps its (default) crypto backend
        let mut cmd = cargo();
        cmd.args([
            "clippy",
            "-p",
            &p,
            "--all-targets",
            "--locked",
            "--no-default-features",
        ]);
        if needs_backend.contains(&p) {
            cmd.args(["--features", "openssl"]);
        }
        run(
            &format!("clippy ({p}, without the hyper transport)"),
            cmd.args(["--", "-D", "warnings"]),
        )?;
    }
    run(
        "docs",
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--locked"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    let has_deny = Command::new("cargo")
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_deny {
        run(
            "cargo deny (licenses, bans, sources)",
            cargo().args(["deny", "--locked", "check", "licenses", "bans", "sources"]),
        )?;
    } else {
        eprintln!("\n==> cargo deny: not installed, skipped (`cargo install --locked cargo-deny`)");
    }
    eprintln!(
        "\nci: all steps passed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

// -------------------------------------------------------------------------------------------
// bench

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

fn bench(args: &[String]) -> Result {
    let quick = args.iter().any(|a| a == "--quick");
    let mut parts: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if parts.is_empty() {
        parts = vec!["rsa", "notify", "load", "sandbox"];
    }
    if let Some(bad) = parts
        .iter()
        .find(|p| !["rsa", "notify", "load", "sandbox"].contains(p))
    {
        return Err(format!(
            "unknown bench {bad}: choose rsa, notify, load or sandbox"
        ));
    }
    let meta = metadata()?;
    let target = PathBuf::from(
        meta["target_directory"]
            .as_str()
            .ok_or("cargo metadata: no target_directory")?,
    );
    if parts.contains(&"rsa") {
        bench_rsa(quick, &target)?;
    }
    if parts.contains(&"notify") {
        bench_notify(quick, &target)?;
    }
    if parts.contains(&"load") {
        bench_load(quick, &target)?;
    }
    if parts.contains(&"sandbox") {
        bench_sandbox(quick, &target)?;
    }
    Ok(())
}

/// Sandbox throughput (cashier/pay + the payment notify delivered, verified and acknowledged,
/// end to end; in memory and with `--db`), next to a hello-world endpoint driven by the same
/// client in the same run; and the wall time of `baidupay demo`.
#[allow(clippy::float_arithmetic)] // reporting only
fn bench_sandbox(quick: bool, target: &Path) -> Result {
    run(
        "build the sandbox load driver (release)",
        cargo().args([
            "build",
            "--release",
            "--locked",
            "-p",
            "baidupay-e2e",
            "--bin",
            "sandbox-load",
        ]),
    )?;
    run(
        "build the CLI (release)",
        cargo().args(["build", "--release", "--locked", "-p", "baidupay-cli"]),
    )?;
    let orders = if quick { "1000" } else { "3000" };
    let mut rows = Vec::new();
    for db in ["0", "1", "0", "1"] {
        let text = output(Command::new(target.join("release/sandbox-load")).args([
            "--orders",
            orders,
            "--connections",
            "32",
            "--db",
            db,
        ]))?;
        let v: Value = serde_json::from_str(text.trim())
            .map_err(|e| format!("sandbox-load printed {text:?}: {e}"))?;
        if v["acknowledged"] != v["orders"] || v["effects"] != v["orders"] {
            return Err(format!(
                "not every payment notify was acknowledged and applied once: {v}"
            ));
        }
        rows.push(v);
    }
    println!();
    println!(
        "Sandbox throughput: {orders} orders, 32 connections, signed before the clock starts; one process (sandbox, example merchant, client):"
    );
    println!();
    println!(
        "| state | cashier/pay answers/s | paid + notified + acknowledged orders/s | hello-world POST/s (same client, same run) | ratio |"
    );
    println!("|---|---:|---:|---:|---:|");
    for v in &rows {
        println!(
            "| {} | {} | {} | {} | {:.3}x |",
            if v["db"] == true {
                "SQLite (--db)"
            } else {
                "memory"
            },
            v["pay_per_s"],
            v["e2e_orders_per_s"],
            v["hello_per_s"],
            v["ratio"].as_f64().unwrap_or(0.0)
        );
    }
    let mut times = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let out = Command::new(target.join("release/baidupay"))
            .arg("demo")
            .output()
            .map_err(|e| format!("baidupay demo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "baidupay demo failed:\n{}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        times.push(start.elapsed().as_secs_f64());
    }
    println!();
    println!(
        "`baidupay demo` wall time (release build, 3 runs): {}",
        times
            .iter()
            .map(|t| format!("{t:.2} s"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

#[allow(clippy::float_arithmetic)] // ratios of measured rates, reporting only
fn bench_notify(quick: bool, target: &Path) -> Result {
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

/// Starts `bin args...`, waits for its `listening on http://ADDR` line, returns it and ADDR.
fn start_server(bin: &Path, args: &[&str]) -> Result<(std::process::Child, String)> {
    use std::io::BufRead;
    let mut child = Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .ok_or_else(|| format!("{} printed {line:?}", bin.display()))?
        .to_owned();
    Ok((child, addr))
}

fn http_get(addr: &str, path: &str) -> Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    Ok(out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

fn load(bin: &Path, url: &str, body: Option<&Path>, seconds: u64) -> Result<Value> {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--url",
        url,
        "--connections",
        "32",
        "--seconds",
        &seconds.to_string(),
    ]);
    if let Some(b) = body {
        cmd.arg("--body").arg(b);
    }
    let text = output(&mut cmd)?;
    serde_json::from_str(text.trim()).map_err(|e| format!("load printed {text:?}: {e}"))
}

/// The CPU time (user + system) a running process has used so far, in µs, from
/// `/proc/<pid>/stat`; `None` where that is not available (not Linux).
fn cpu_micros(pid: u32) -> Option<u64> {
    static TICKS_PER_S: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let hz = *TICKS_PER_S.get_or_init(|| {
        output(Command::new("getconf").arg("CLK_TCK"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the fields after the command name: state is the first, utime the 12th, stime the 13th
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 1_000_000 / hz)
}

/// One load run against one server.
struct Run<T> {
    /// Requests per second, as the load generator reports them.
    rps: f64,
    /// The server's own CPU time per request served, in µs (`None` off Linux).
    cpu_us: Option<f64>,
    /// Whatever else `drive` found out.
    extra: T,
}

/// Starts `bin`, lets `drive` load it (given its address; it returns requests/s, requests
/// served and anything else), measures the server's CPU time over the run, and stops it.
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)] // reporting only
fn under_load<T>(
    bin: &Path,
    args: &[&str],
    drive: impl FnOnce(&str) -> Result<(f64, u64, T)>,
) -> Result<Run<T>> {
    let (mut child, addr) = start_server(bin, args)?;
    let before = cpu_micros(child.id());
    let result = drive(&addr);
    let after = cpu_micros(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let (rps, requests, extra) = result?;
    let cpu_us = before
        .zip(after)
        .filter(|_| requests > 0)
        .map(|(b, a)| a.saturating_sub(b) as f64 / requests as f64);
    Ok(Run { rps, cpu_us, extra })
}

/// The median of a few measurements.
#[allow(clippy::float_arithmetic)] // reporting only
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Rounds of hello / notify runs, each pair back to back, and what they measured.
#[derive(Default)]
struct Rounds {
    hello: Vec<(f64, Option<f64>)>,
    notify: Vec<(f64, Option<f64>)>,
}

impl Rounds {
    #[allow(clippy::float_arithmetic)] // ratios of measured rates, reporting only
    fn print(&self, title: &str, notify_label: &str) {
        let ratios: Vec<f64> = self
            .hello
            .iter()
            .zip(&self.notify)
            .map(|((h, _), (n, _))| n / h.max(1.0))
            .collect();
        let ratio = median(ratios.clone());
        let rps = |v: &[(f64, Option<f64>)]| median(v.iter().map(|r| r.0).collect());
        let cpu = |v: &[(f64, Option<f64>)]| {
            let c: Vec<f64> = v.iter().filter_map(|r| r.1).collect();
            if c.is_empty() {
                "n/a".to_owned()
            } else {
                format!("{:.1} µs", median(c))
            }
        };
        println!();
        println!("{title}");
        println!();
        println!(
            "| endpoint | requests/s (median) | server CPU per request (median) | ratio (median of the rounds) | target | verdict |"
        );
        println!("|---|---:|---:|---:|---:|---|");
        println!(
            "| hello-world hyper | {:.0} | {} | 1.00x | | |",
            rps(&self.hello),
            cpu(&self.hello)
        );
        println!(
            "| {notify_label} | {:.0} | {} | {ratio:.2}x | >= 0.50x | {} |",
            rps(&self.notify),
            cpu(&self.notify),
            if ratio >= 0.5 { "meets" } else { "BELOW" }
        );
        let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}x")).collect();
        println!();
        println!("ratio in each round: {}", each.join(", "));
    }
}

const ROUNDS: usize = 3;

#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)] // reporting only
fn bench_load(quick: bool, target: &Path) -> Result {
    run(
        "build the example endpoint, hello-world reference and load generator (release)",
        cargo().args([
            "build",
            "--release",
            "--locked",
            "-p",
            "baidupay-example-merchant",
            "--bins",
        ]),
    )?;
    let bin = |name: &str| target.join("release").join(name);
    let fixtures = workspace_root().join("crates/baidupay-notify/tests/fixtures/baidu");
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

#[allow(clippy::float_arithmetic)] // ratios of measured rates, reporting only
fn bench_rsa(quick: bool, target: &Path) -> Result {
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

// -------------------------------------------------------------------------------------------
// release --dry-run

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.trim_start_matches('v').split(['-', '+']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

fn release(args: &[String]) -> Result {
    if !args.iter().any(|a| a == "--dry-run") {
        return Err(
            "only `cargo xtask release --dry-run` exists: publishing is done by hand from its plan"
                .into(),
        );
    }
    let mut problems: Vec<String> = Vec::new();
    let root = workspace_root();

    // 1. clean tree
    let status = output(
        Command::new("git")
            .current_dir(&root)
            .args(["status", "--porcelain"]),
    )?;
    if status.trim().is_empty() {
        println!("ok    working tree is clean");
    } else {
        problems.push(format!("working tree is not clean:\n{status}"));
        println!("FAIL  working tree is not clean");
    }

    // 2. one shared version, above the last tag
    let meta = metadata()?;
    let members: BTreeSet<String> = meta["workspace_members"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let publishable: Vec<&Value> = packages(&meta)
        .into_iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
        .filter(|p| !p["publish"].as_array().is_some_and(Vec::is_empty))
        .collect();
    let versions: BTreeSet<&str> = publishable
        .iter()
        .filter_map(|p| p["version"].as_str())
        .collect();
    let version = match versions.iter().next() {
        Some(v) if versions.len() == 1 => {
            println!(
                "ok    one shared version {v} across {} publishable crates",
                publishable.len()
            );
            (*v).to_owned()
        }
        _ => {
            problems.push(format!("crates do not share one version: {versions:?}"));
            println!("FAIL  versions differ: {versions:?}");
            versions
                .iter()
                .next()
                .map(|v| (*v).to_owned())
                .unwrap_or_default()
        }
    };
    let tags = output(
        Command::new("git")
            .current_dir(&root)
            .args(["tag", "--list", "v*"]),
    )?;
    let last_tag = tags
        .lines()
        .filter_map(|t| parse_version(t).map(|v| (v, t.to_owned())))
        .max();
    match (&last_tag, parse_version(&version)) {
        (None, Some(_)) => println!("ok    no earlier release tag; {version} will be the first"),
        (Some((tv, tag)), Some(v)) if v > *tv => {
            println!("ok    {version} is above the last tag {tag}")
        }
        (Some((_, tag)), _) => {
            problems.push(format!("version {version} is not above the last tag {tag}"));
            println!("FAIL  {version} is not above {tag}");
        }
        (None, None) => problems.push(format!("version {version} is not semver")),
    }

    // 3. changelog
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).unwrap_or_default();
    let has_section = changelog
        .lines()
        .any(|l| l.starts_with("## [Unreleased]") || l.starts_with(&format!("## [{version}]")));
    if has_section {
        println!("ok    CHANGELOG.md has a section for this release");
    } else {
        problems.push("CHANGELOG.md has no `## [Unreleased]` or version section".into());
        println!("FAIL  CHANGELOG.md has no section for {version}");
    }

    // 4. publish order from the dependency graph
    let names: BTreeSet<&str> = publishable
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    let mut deps: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in &publishable {
        let name = p["name"].as_str().unwrap_or_default();
        let entry = deps.entry(name).or_default();
        for d in p["dependencies"].as_array().into_iter().flatten() {
            if let Some(dn) = d["name"].as_str()
                && names.contains(dn)
                && dn != name
            {
                entry.insert(dn);
            }
        }
    }
    let mut order: Vec<&str> = Vec::new();
    let mut remaining = deps.clone();
    while !remaining.is_empty() {
        let ready: Vec<&str> = remaining
            .iter()
            .filter(|(_, ds)| ds.iter().all(|d| order.contains(d)))
            .map(|(n, _)| *n)
            .collect();
        if ready.is_empty() {
            problems.push(format!(
                "dependency cycle among {:?}",
                remaining.keys().collect::<Vec<_>>()
            ));
            break;
        }
        for n in ready {
            order.push(n);
            remaining.remove(n);
        }
    }
    println!("\nplan: publish {version} in this order:");
    for (i, n) in order.iter().enumerate() {
        let d: Vec<&str> = deps
            .get(n)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        println!(
            "  {}. {n}{}",
            i + 1,
            if d.is_empty() {
                String::new()
            } else {
                format!("  (after {})", d.join(", "))
            }
        );
    }
    println!("  then: git tag v{version} && git push --tags\n");

    // 5. cargo publish --workspace --dry-run
    if let Err(e) = run(
        "cargo publish --workspace --dry-run",
        cargo().args([
            "publish",
            "--workspace",
            "--dry-run",
            "--locked",
            "--allow-dirty",
        ]),
    ) {
        problems.push(e);
    }

    if problems.is_empty() {
        println!("release dry run: ready (nothing was changed)");
        Ok(())
    } else {
        Err(format!(
            "release dry run found problems (nothing was changed):\n- {}",
            problems.join("\n- ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(parse_version("v0.1.0"), Some((0, 1, 0)));
        assert_eq!(parse_version("1.2.3-rc.1"), Some((1, 2, 3)));
        assert_eq!(parse_version("x"), None);
        assert!(parse_version("0.2.0") > parse_version("v0.1.9"));
    }
}
