//! `bench bill`: the SDK's Alipay bill parser next to Python's standard library doing the same
//! work on the same generated file, in the same run.
//!
//! `bench/src/bin/bill-gen.rs` writes an N-row bill ZIP once per size under
//! `target/bench-bill/` (again only when the generator is newer than the file);
//! `bench/src/bin/bill.rs` parses it with the SDK and `bench/bill.py` with `zipfile`, GBK
//! `io.TextIOWrapper`, `csv` and `Decimal`. Both print rows, totals in fen, wall and CPU seconds
//! and their own peak RSS; the totals must equal each other and the generator's, or the bench
//! fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::harness::ROUNDS;
use crate::Result;
use crate::shell::{cargo, output, run, workspace_root};

/// The generator's seed: the files are the same in every run.
const SEED: &str = "20240513";
/// The throughput the SDK must reach, as a multiple of Python's rows per second.
const RATIO_TARGET: f64 = 3.0;
/// How much more the SDK driver's peak RSS may be at the large size than at the small one, in
/// KiB. Streaming keeps one line, one row and the inflate window in memory whatever the row
/// count; what still moves between runs is allocator slack (glibc keeps freed chunks, the
/// heap top moves by whole pages) and page-granular accounting, measured at well under 1 MiB
/// here. 2 MiB absorbs that, while anything that keeps as little as 3 bytes per row (e.g. a
/// growing `Vec` of row numbers) exceeds it by 1M rows (900 000 more rows x 3 B = 2.6 MiB).
const RSS_SLACK_KIB: u64 = 2 * 1024;

/// The figures one parser printed.
#[derive(Debug, Clone)]
struct Parse {
    seconds: f64,
    cpu_seconds: f64,
    peak_rss_kib: u64,
}

/// The totals every side must agree on.
const TOTALS: [&str; 5] = ["rows", "payments", "refunds", "order_fen", "received_fen"];

fn file_for(dir: &Path, rows: u64, generator: &Path) -> Result<(PathBuf, Value)> {
    let zip = dir.join(format!("alipay-{rows}-rows-seed{SEED}.zip"));
    let facts = zip.with_extension("json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = match (modified(&zip), modified(&facts), modified(generator)) {
        (Some(z), Some(f), Some(g)) => z >= g && f >= g,
        _ => false,
    };
    if !fresh {
        eprintln!("\n==> generate {} ({rows} rows)", zip.display());
        let text = output(Command::new(generator).args([
            "--rows",
            &rows.to_string(),
            "--seed",
            SEED,
            "--out",
            &zip.to_string_lossy(),
        ]))?;
        std::fs::write(&facts, text.trim()).map_err(|e| format!("{}: {e}", facts.display()))?;
    }
    let text = std::fs::read_to_string(&facts).map_err(|e| format!("{}: {e}", facts.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", facts.display()))?;
    Ok((zip, v))
}

/// Runs one parser on `zip` and checks its totals against the generator's.
fn parse(label: &str, cmd: &mut Command, expected: &Value) -> Result<Parse> {
    let text = output(cmd)?;
    let v: Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("{label} printed {text:?}: {e}"))?;
    for key in TOTALS {
        if v[key] != expected[key] || !v[key].is_i64() {
            return Err(format!(
                "{label} disagrees on {key}: it found {}, the generator wrote {}",
                v[key], expected[key]
            ));
        }
    }
    let f = |key: &str| v[key].as_f64().unwrap_or(0.0);
    Ok(Parse {
        seconds: f("seconds"),
        cpu_seconds: f("cpu_seconds"),
        peak_rss_kib: v["peak_rss_kib"].as_u64().unwrap_or(0),
    })
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

/// Rows per second over `seconds` (0 when nothing was measured).
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)] // reporting only
fn per_s(rows: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        rows as f64 / seconds
    } else {
        0.0
    }
}

/// What one size measured over the rounds.
#[derive(Debug, Default)]
struct Size {
    rows: u64,
    zip_bytes: u64,
    csv_bytes: u64,
    rust: Vec<Parse>,
    python: Vec<Parse>,
}

impl Size {
    /// Median rows/s of one side, by wall or CPU time.
    fn rate(&self, side: &[Parse], cpu: bool) -> f64 {
        median(
            side.iter()
                .map(|p| per_s(self.rows, if cpu { p.cpu_seconds } else { p.seconds }))
                .collect(),
        )
    }

    /// The SDK's rows/s over Python's, each round on its own, then the median.
    #[allow(clippy::float_arithmetic)] // reporting only
    fn ratios(&self, cpu: bool) -> Vec<f64> {
        self.rust
            .iter()
            .zip(&self.python)
            .map(|(r, p)| {
                let (r, p) = if cpu {
                    (r.cpu_seconds, p.cpu_seconds)
                } else {
                    (r.seconds, p.seconds)
                };
                if r > 0.0 { p / r } else { 0.0 }
            })
            .collect()
    }

    fn peak(side: &[Parse]) -> u64 {
        side.iter().map(|p| p.peak_rss_kib).max().unwrap_or(0)
    }
}

fn mib(kib: u64) -> String {
    format!("{}.{} MiB", kib / 1024, kib % 1024 * 10 / 1024)
}

#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)] // reporting only
pub(super) fn bench_bill(quick: bool, rows: u64, target: &Path) -> Result {
    if rows < 10 {
        return Err(format!("--rows {rows}: at least 10 rows"));
    }
    run(
        "build the bill generator and the SDK bill driver (release)",
        cargo().args([
            "build",
            "--release",
            "--locked",
            "-p",
            "baidupay-bench",
            "--bin",
            "bill-gen",
            "--bin",
            "bill",
        ]),
    )?;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let version = output(Command::new(&python).arg("--version"))
        .map_err(|e| format!("{e} (Python 3 is the reference: install it or set PYTHON)"))?;
    let bin = |name: &str| target.join("release").join(name);
    let script = workspace_root().join("bench/bill.py");
    let dir = target.join("bench-bill");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let small = if rows > 100_000 { 100_000 } else { rows / 10 };
    let mut sizes = Vec::new();
    for n in [small, rows] {
        let (zip, facts) = file_for(&dir, n, &bin("bill-gen"))?;
        sizes.push((
            zip,
            facts.clone(),
            Size {
                rows: n,
                zip_bytes: facts["bytes"].as_u64().unwrap_or(0),
                csv_bytes: facts["csv_bytes"].as_u64().unwrap_or(0),
                ..Size::default()
            },
        ));
    }
    let rounds = if quick { 1 } else { ROUNDS };
    for round in 1..=rounds {
        for (zip, facts, size) in &mut sizes {
            eprintln!(
                "==> round {round}/{rounds}: {} rows, SDK then Python",
                size.rows
            );
            size.rust.push(parse(
                "the SDK driver",
                Command::new(bin("bill")).arg("--file").arg(&*zip),
                facts,
            )?);
            size.python.push(parse(
                "bench/bill.py",
                Command::new(&python).arg(&script).arg(&*zip),
                facts,
            )?);
        }
    }
    println!();
    println!(
        "Alipay bill parsing: generated detail ZIP (GBK entry names and text, 25 columns), every row parsed"
    );
    println!(
        "to exact amounts and totalled, summary checked; SDK (`bench/src/bin/bill.rs`, release) against"
    );
    println!(
        "{} with the standard library (`bench/bill.py`), same files, same run, {rounds} round(s) alternating.",
        version.trim()
    );
    println!(
        "Rows/s from each process's own CPU time (the machine is shared) and from wall time; medians."
    );
    println!();
    println!(
        "| rows | ZIP / CSV | parser | rows/s (CPU) | rows/s (wall) | ratio (CPU) | ratio (wall) | peak RSS |"
    );
    println!("|---:|---:|---|---:|---:|---:|---:|---:|");
    for (_, _, s) in &sizes {
        let cpu = median(s.ratios(true));
        let wall = median(s.ratios(false));
        println!(
            "| {} | {} / {} | SDK | {:.0} | {:.0} | {cpu:.2}x | {wall:.2}x | {} |",
            s.rows,
            mib(s.zip_bytes / 1024),
            mib(s.csv_bytes / 1024),
            s.rate(&s.rust, true),
            s.rate(&s.rust, false),
            mib(Size::peak(&s.rust)),
        );
        println!(
            "| | | Python | {:.0} | {:.0} | 1.00x | 1.00x | {} |",
            s.rate(&s.python, true),
            s.rate(&s.python, false),
            mib(Size::peak(&s.python)),
        );
    }
    let (Some((_, _, lo)), Some((_, _, hi))) = (sizes.first(), sizes.last()) else {
        return Err("no sizes measured".into());
    };
    let each: Vec<String> = hi.ratios(true).iter().map(|r| format!("{r:.2}x")).collect();
    println!();
    println!(
        "ratio (CPU) at {} rows in each round: {}",
        hi.rows,
        each.join(", ")
    );
    let ratio = median(hi.ratios(true));
    let (rss_lo, rss_hi) = (Size::peak(&lo.rust), Size::peak(&hi.rust));
    println!();
    println!(
        "throughput at {} rows: SDK {ratio:.2}x Python's rows/s (CPU), target >= {RATIO_TARGET:.0}x: {}",
        hi.rows,
        if ratio >= RATIO_TARGET {
            "PASS"
        } else {
            "FAIL"
        }
    );
    println!(
        "memory: SDK peak RSS {rss_lo} KiB at {} rows, {rss_hi} KiB at {} rows, allowed <= {rss_lo} + {RSS_SLACK_KIB} KiB: {}",
        lo.rows,
        hi.rows,
        if rss_hi <= rss_lo + RSS_SLACK_KIB && rss_lo > 0 {
            "PASS"
        } else {
            "FAIL"
        }
    );
    println!(
        "(all totals, rows, payments, refunds, order and received fen, agreed between the generator, the SDK and Python)"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(json: &str) -> Command {
        let mut cmd = Command::new("printf");
        cmd.arg("%s\\n").arg(json);
        cmd
    }

    const FACTS: &str = r#"{"rows":3,"payments":2,"refunds":1,"order_fen":1000,"received_fen":-5,"bytes":1,"csv_bytes":2}"#;

    #[test]
    fn a_parser_that_agrees_with_the_generator_is_measured() {
        let facts: Value = serde_json::from_str(FACTS).unwrap();
        let p = parse(
            "x",
            &mut printed(
                r#"{"rows":3,"payments":2,"refunds":1,"order_fen":1000,"received_fen":-5,"seconds":0.5,"cpu_seconds":0.25,"peak_rss_kib":2048}"#,
            ),
            &facts,
        )
        .unwrap();
        assert_eq!(p.peak_rss_kib, 2048);
        assert_eq!(per_s(3, p.cpu_seconds), 12.0);
    }

    #[test]
    fn a_parser_that_disagrees_fails_the_bench() {
        let facts: Value = serde_json::from_str(FACTS).unwrap();
        let err = parse(
            "bench/bill.py",
            &mut printed(
                r#"{"rows":3,"payments":2,"refunds":1,"order_fen":1001,"received_fen":-5,"seconds":0.5,"cpu_seconds":0.25,"peak_rss_kib":1}"#,
            ),
            &facts,
        )
        .unwrap_err();
        assert!(
            err.contains("bench/bill.py disagrees on order_fen: it found 1001"),
            "{err}"
        );
        // a missing total is a disagreement too, not a match of two nulls
        let err = parse("x", &mut printed(r#"{"seconds":1}"#), &facts).unwrap_err();
        assert!(err.contains("disagrees on rows"), "{err}");
        assert!(parse("x", &mut printed("not json"), &facts).is_err());
    }

    #[test]
    fn medians_and_sizes() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0]), 2.5);
        assert_eq!(per_s(10, 0.0), 0.0);
        assert_eq!(mib(2848), "2.7 MiB");
    }
}
