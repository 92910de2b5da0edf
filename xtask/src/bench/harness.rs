//! The loopback load harness: start a server, drive it, measure its CPU time, report rounds.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::Result;
use crate::shell::output;

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

pub(super) fn http_get(addr: &str, path: &str) -> Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    Ok(out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

pub(super) fn load(bin: &Path, url: &str, body: Option<&Path>, seconds: u64) -> Result<Value> {
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
pub(super) struct Run<T> {
    /// Requests per second, as the load generator reports them.
    pub(super) rps: f64,
    /// The server's own CPU time per request served, in µs (`None` off Linux).
    pub(super) cpu_us: Option<f64>,
    /// Whatever else `drive` found out.
    pub(super) extra: T,
}

/// Starts `bin`, lets `drive` load it (given its address; it returns requests/s, requests
/// served and anything else), measures the server's CPU time over the run, and stops it.
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)] // reporting only
pub(super) fn under_load<T>(
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
pub(super) struct Rounds {
    pub(super) hello: Vec<(f64, Option<f64>)>,
    pub(super) notify: Vec<(f64, Option<f64>)>,
}

impl Rounds {
    #[allow(clippy::float_arithmetic)] // ratios of measured rates, reporting only
    pub(super) fn print(&self, title: &str, notify_label: &str) {
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

pub(super) const ROUNDS: usize = 3;
