//! `cargo xtask fuzz [--seconds N] [--runs N] [--sanitizer S] [TARGET...]`: builds the libFuzzer
//! targets of `fuzz/` (nightly + cargo-fuzz, installed when missing), runs each for N seconds
//! (default 60; `--runs` stops a target earlier at that many executions) one after another, and
//! prints executions, exec/s and crashes per target, with the artifact of any crash, under the
//! commit the fuzzed code is at (marked when the working tree has uncommitted changes: a count
//! describes one version of the code). Exits non-zero when a target crashed. Not part of
//! `cargo xtask ci`.
//!
//! The targets build with debug assertions and overflow checks, and without a sanitizer by
//! default (`--sanitizer none`): the workspace forbids `unsafe`, so what fuzzing finds here is a
//! panic, which libFuzzer catches by itself, and AddressSanitizer would cost 3 to 5 times the
//! executions; `--sanitizer address` turns it back on.
//!
//! Each run starts from `fuzz/corpus/<target>/` (the committed `seed-*` files plus whatever
//! earlier runs kept there), uses `fuzz/dict/<target>.dict` when it exists, and writes its full
//! libFuzzer output to `fuzz/target/xtask-fuzz/<target>.log`. Run it under `nice -n 19` on a
//! shared machine.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Result;
use crate::shell::{now, run, workspace_root};

const USAGE: &str =
    "usage: cargo xtask fuzz [--seconds N] [--runs N] [--sanitizer none|address|...] [TARGET...]";

/// What one libFuzzer run reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Stats {
    /// Inputs executed.
    executions: u64,
    /// Average executions per second, as libFuzzer computes it.
    exec_per_sec: u64,
    /// Crash, leak, timeout or out-of-memory inputs written.
    artifacts: Vec<String>,
    /// libFuzzer reported a failure (a deadly signal, a panic, a leak, a timeout).
    failed: bool,
}

/// Reads libFuzzer's output: the final stats (`stat::number_of_executed_units`,
/// `stat::average_exec_per_sec`, printed with `-print_final_stats=1`), else the closing
/// `Done N runs in S second(s)` line, else the last `#N ... exec/s: R` status line; and every
/// `Test unit written to PATH` artifact.
fn parse_stats(output: &str) -> Stats {
    let mut stats = Stats::default();
    let (mut final_runs, mut final_rate) = (None, None);
    let mut done = None;
    let mut status = None;
    for line in output.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
            final_runs = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
            final_rate = v.trim().parse().ok();
        } else if let Some(rest) = line.strip_prefix("Done ") {
            // Done 1234 runs in 61 second(s)
            let mut words = rest.split_whitespace();
            let runs = words.next().and_then(|w| w.parse::<u64>().ok());
            let secs = words.nth(2).and_then(|w| w.parse::<u64>().ok());
            if let Some(runs) = runs {
                done = Some((runs, secs));
            }
        } else if let Some(rest) = line.strip_prefix('#') {
            // #262144	pulse  cov: 1234 ft: 5678 corp: 90/12Kb exec/s: 4369 rss: 56Mb
            let runs = rest
                .split_whitespace()
                .next()
                .and_then(|w| w.parse::<u64>().ok());
            let rate = rest
                .split_once("exec/s:")
                .and_then(|(_, r)| r.split_whitespace().next())
                .and_then(|w| w.parse::<u64>().ok());
            if let Some(runs) = runs {
                status = Some((runs, rate));
            }
        } else if let Some((_, path)) = line.split_once("Test unit written to ") {
            stats.artifacts.push(path.trim().to_owned());
        }
        if line.contains("ERROR: libFuzzer:") || line.starts_with("SUMMARY: libFuzzer:") {
            stats.failed = true;
        }
    }
    let rate_of = |runs: u64, secs: Option<u64>| match secs {
        Some(s) if s > 0 => runs / s,
        _ => runs,
    };
    if let Some(runs) = final_runs {
        stats.executions = runs;
        stats.exec_per_sec = final_rate
            .or(done.map(|(r, s)| rate_of(r, s)))
            .unwrap_or_default();
    } else if let Some((runs, secs)) = done {
        stats.executions = runs;
        stats.exec_per_sec = rate_of(runs, secs);
    } else if let Some((runs, rate)) = status {
        stats.executions = runs;
        stats.exec_per_sec = rate.unwrap_or_default();
    }
    stats
}

struct Options {
    seconds: u64,
    runs: Option<u64>,
    sanitizer: String,
    targets: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut options = Options {
        seconds: 60,
        runs: None,
        sanitizer: "none".to_owned(),
        targets: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64> {
            args.next()
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{name} needs a positive number\n{USAGE}"))
        };
        match arg.as_str() {
            "--seconds" => options.seconds = number("--seconds")?,
            "--runs" => options.runs = Some(number("--runs")?),
            "--sanitizer" => {
                options.sanitizer = args
                    .next()
                    .filter(|s| !s.starts_with('-'))
                    .ok_or_else(|| format!("--sanitizer needs a name\n{USAGE}"))?
                    .clone();
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            target => options.targets.push(target.to_owned()),
        }
    }
    Ok(options)
}

/// `cargo +nightly ARGS` run in `fuzz/`.
fn nightly(fuzz_dir: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly").current_dir(fuzz_dir);
    cmd
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn check_tools(fuzz_dir: &Path) -> Result {
    if !succeeds(nightly(fuzz_dir).arg("--version")) {
        return Err(
            "the nightly toolchain is missing (libFuzzer needs it): rustup toolchain install nightly"
                .to_owned(),
        );
    }
    if !succeeds(nightly(fuzz_dir).args(["fuzz", "--version"])) {
        eprintln!("cargo-fuzz is not installed: installing it");
        run(
            "install cargo-fuzz",
            Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]),
        )
        .map_err(|e| format!("{e}; install it by hand: cargo install cargo-fuzz --locked"))?;
    }
    Ok(())
}

fn list_targets(fuzz_dir: &Path) -> Result<Vec<String>> {
    let out = crate::shell::output(nightly(fuzz_dir).args(["fuzz", "list"]))?;
    Ok(out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

fn run_target(fuzz_dir: &Path, log_dir: &Path, target: &str, options: &Options) -> Result<Stats> {
    let log_path = log_dir.join(format!("{target}.log"));
    let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let err_log = log
        .try_clone()
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    let corpus = fuzz_dir.join("corpus").join(target);
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let mut cmd = nightly(fuzz_dir);
    cmd.args(["fuzz", "run", "--sanitizer", &options.sanitizer, target])
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={}", options.seconds))
        .arg("-print_final_stats=1");
    if let Some(runs) = options.runs {
        cmd.arg(format!("-runs={runs}"));
    }
    let dict = fuzz_dir.join("dict").join(format!("{target}.dict"));
    if dict.is_file() {
        cmd.arg(format!("-dict={}", dict.display()));
    }
    eprintln!(
        "==> fuzz {target} for {} s{} (log: {})",
        options.seconds,
        options
            .runs
            .map(|r| format!(" or {r} runs"))
            .unwrap_or_default(),
        log_path.display()
    );
    let start = now();
    let status = cmd
        .stdout(log)
        .stderr(err_log)
        .status()
        .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let mut stats = parse_stats(&output);
    stats.failed |= !status.success();
    eprintln!(
        "    {} executions, {} exec/s, {:.0} s{}",
        stats.executions,
        stats.exec_per_sec,
        (now() - start).as_secs_f64(),
        if stats.failed { ", FAILED" } else { "" }
    );
    Ok(stats)
}

/// The commit the working tree is at, `+ uncommitted changes` when it differs from it (the
/// targets build from the working tree; what a run adds to `fuzz/corpus` is ignored by git).
fn source_revision(root: &Path) -> String {
    let git =
        |args: &[&str]| crate::shell::output(Command::new("git").current_dir(root).args(args)).ok();
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(rev) => {
            let dirty = git(&["status", "--porcelain"]).is_none_or(|s| !s.trim().is_empty());
            describe_revision(rev.trim(), dirty)
        }
        None => "an unknown commit (not a git checkout)".to_owned(),
    }
}

fn describe_revision(rev: &str, dirty: bool) -> String {
    if dirty {
        format!("{rev} + uncommitted changes")
    } else {
        rev.to_owned()
    }
}

fn print_table(results: &[(String, Stats)]) {
    let width = results
        .iter()
        .map(|(t, _)| t.len())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "\n{:<width$}  {:>12}  {:>8}  {:>7}  artifact",
        "target", "executions", "exec/s", "crashes"
    );
    for (target, s) in results {
        let crashes = if s.failed {
            s.artifacts.len().max(1)
        } else {
            0
        };
        let artifact = s.artifacts.join(" ");
        let artifact = if s.failed && artifact.is_empty() {
            "(none written; see the log)".to_owned()
        } else {
            artifact
        };
        println!(
            "{target:<width$}  {:>12}  {:>8}  {crashes:>7}  {artifact}",
            s.executions, s.exec_per_sec
        );
    }
}

pub(crate) fn fuzz(args: &[String]) -> Result {
    let options = parse_args(args)?;
    let fuzz_dir: PathBuf = workspace_root().join("fuzz");
    check_tools(&fuzz_dir)?;
    let all = list_targets(&fuzz_dir)?;
    let targets = if options.targets.is_empty() {
        all
    } else {
        for t in &options.targets {
            if !all.contains(t) {
                return Err(format!(
                    "no fuzz target {t}; the targets are: {}",
                    all.join(", ")
                ));
            }
        }
        options.targets.clone()
    };
    let mut build = nightly(&fuzz_dir);
    build.args(["fuzz", "build", "--sanitizer", &options.sanitizer]);
    // `cargo fuzz build` takes one target or none (then it builds them all)
    if let [one] = targets.as_slice() {
        build.arg(one);
    }
    let source = source_revision(&workspace_root());
    eprintln!("==> fuzzing the code at {source}");
    run("build the fuzz targets", &mut build)?;
    let log_dir = fuzz_dir.join("target").join("xtask-fuzz");
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    let mut results = Vec::new();
    for target in &targets {
        let stats = run_target(&fuzz_dir, &log_dir, target, &options)?;
        results.push((target.clone(), stats));
    }
    print_table(&results);
    println!("source: {source}");
    let crashed: Vec<&str> = results
        .iter()
        .filter(|(_, s)| s.failed)
        .map(|(t, _)| t.as_str())
        .collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!("fuzz targets crashed: {}", crashed.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_marks_uncommitted_changes() {
        assert_eq!(describe_revision("630e850abcde", false), "630e850abcde");
        assert_eq!(
            describe_revision("630e850abcde", true),
            "630e850abcde + uncommitted changes"
        );
        // this checkout: a short hash, and never the unknown-commit text
        let here = source_revision(&workspace_root());
        assert!(
            here.split(' ')
                .next()
                .is_some_and(|h| h.len() == 12 && h.bytes().all(|b| b.is_ascii_hexdigit())),
            "{here}"
        );
    }

    #[test]
    fn final_stats_win() {
        let out = "\
#1048576\tpulse  cov: 1234 ft: 5678 corp: 90/12Kb lim: 4096 exec/s: 17476 rss: 56Mb
#1100000\tDONE   cov: 1234 ft: 5678 corp: 91/12Kb lim: 4096 exec/s: 18032 rss: 57Mb
Done 1100000 runs in 61 second(s)
stat::number_of_executed_units: 1100000
stat::average_exec_per_sec:     18032
stat::new_units_added:          44
stat::slowest_unit_time_sec:    0
stat::peak_rss_mb:              57
";
        let s = parse_stats(out);
        assert_eq!(s.executions, 1_100_000);
        assert_eq!(s.exec_per_sec, 18_032);
        assert!(s.artifacts.is_empty());
        assert!(!s.failed);
    }

    #[test]
    fn done_line_without_final_stats() {
        let s = parse_stats(
            "#600\tDONE   cov: 1 ft: 1 corp: 1/1b exec/s: 10 rss: 30Mb\nDone 600 runs in 60 second(s)\n",
        );
        assert_eq!((s.executions, s.exec_per_sec), (600, 10));
    }

    #[test]
    fn status_line_when_nothing_else() {
        let s = parse_stats("#4096\tpulse  cov: 10 ft: 12 corp: 3/30b exec/s: 2048 rss: 40Mb\n");
        assert_eq!((s.executions, s.exec_per_sec), (4096, 2048));
        assert_eq!(parse_stats("no libFuzzer here"), Stats::default());
    }

    #[test]
    fn crash_and_artifact() {
        let out = "\
#2000\tNEW    cov: 10 ft: 12 corp: 3/30b exec/s: 1000 rss: 40Mb
thread '<unnamed>' panicked at fuzz_targets/x.rs:3:5:
==4242== ERROR: libFuzzer: deadly signal
MS: 1 ChangeByte-; base unit: 0000000000000000000000000000000000000000
artifact_prefix='/w/fuzz/artifacts/x/'; Test unit written to /w/fuzz/artifacts/x/crash-da39a3ee5e6b4b0d3255bfef95601890afd80709
stat::number_of_executed_units: 2001
stat::average_exec_per_sec:     1000
";
        let s = parse_stats(out);
        assert!(s.failed);
        assert_eq!(s.executions, 2001);
        assert_eq!(s.exec_per_sec, 1000);
        assert_eq!(
            s.artifacts,
            ["/w/fuzz/artifacts/x/crash-da39a3ee5e6b4b0d3255bfef95601890afd80709"]
        );
    }

    #[test]
    fn arguments() {
        let o = parse_args(&["--seconds".into(), "5".into(), "a".into(), "b".into()]).unwrap();
        assert_eq!((o.seconds, o.runs, o.targets.len()), (5, None, 2));
        assert_eq!(o.sanitizer, "none");
        let o = parse_args(&["--sanitizer".into(), "address".into()]).unwrap();
        assert_eq!(o.sanitizer, "address");
        assert!(parse_args(&["--sanitizer".into()]).is_err());
        let o = parse_args(&["--runs".into(), "10000000".into()]).unwrap();
        assert_eq!((o.seconds, o.runs), (60, Some(10_000_000)));
        assert!(parse_args(&["--seconds".into()]).is_err());
        assert!(parse_args(&["--seconds".into(), "0".into()]).is_err());
        assert!(parse_args(&["--fast".into()]).is_err());
    }
}
