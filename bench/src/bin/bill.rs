//! `bill`: parses an Alipay bill ZIP with the SDK, for `cargo xtask bench bill`.
//!
//! `bill --file PATH` opens the archive, streams every detail row through
//! [`BillArchive::detail_rows`], sums the order and received amounts exactly (fen, checked),
//! reads the summary entry and checks its `合计` row against the rows, and prints
//! `{"rows":N,"payments":P,"refunds":R,"order_fen":O,"received_fen":F,"seconds":S,"cpu_seconds":C,"peak_rss_kib":K}`
//! where `seconds` (wall) and `cpu_seconds` (this single-threaded process's CPU time, from
//! `/proc/self/schedstat`; 0 off Linux) cover opening the file to the end of the summary check,
//! and `peak_rss_kib` is the process's own peak resident set (`VmHWM` in `/proc/self/status`;
//! 0 off Linux).

use anyhow::{Context, bail};
use baidupay_alipay::bill::{BillArchive, RowKind};
use baidupay_transport::{Clock, SystemClock};

/// `VmHWM` (peak resident set) of this process in KiB, 0 where `/proc` is not available.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The CPU time of this (single-threaded) process so far in ns, from `/proc/self/schedstat`;
/// 0 where that is not available.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().with_context(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--file" => file = Some(v),
            other => bail!("unknown argument {other}"),
        }
    }
    let path = file.context("--file is required")?;
    let (start, cpu_start) = (SystemClock.now(), cpu_ns());
    let f = std::fs::File::open(&path).with_context(|| path.clone())?;
    let mut archive = BillArchive::new(f).context("open the bill archive")?;
    let (mut rows, mut payments, mut refunds) = (0u64, 0u64, 0u64);
    let (mut order, mut received) = (0i64, 0i64);
    let totals = {
        let mut detail = archive.detail_rows().context("open the detail entry")?;
        for row in &mut detail {
            let row = row.context("read a detail row")?;
            rows += 1;
            match row.kind {
                RowKind::Payment => payments += 1,
                RowKind::Refund => refunds += 1,
                _ => {}
            }
            order = order
                .checked_add(row.order_amount.fen())
                .context("order total overflows")?;
            received = received
                .checked_add(row.received_amount.fen())
                .context("received total overflows")?;
        }
        detail.totals().clone()
    };
    let summary = archive
        .summary()
        .context("read the summary entry")?
        .context("the archive has no summary entry")?;
    summary
        .check(&totals)
        .context("check the summary against the rows")?;
    if summary.total.is_none() {
        bail!("the summary entry has no 合计 row to check");
    }
    let seconds = SystemClock.now().duration_since(start).as_secs_f64();
    let cpu_seconds =
        std::time::Duration::from_nanos(cpu_ns().saturating_sub(cpu_start)).as_secs_f64();
    println!(
        "{{\"rows\":{rows},\"payments\":{payments},\"refunds\":{refunds},\"order_fen\":{order},\"received_fen\":{received},\"seconds\":{seconds:.6},\"cpu_seconds\":{cpu_seconds:.6},\"peak_rss_kib\":{}}}",
        peak_rss_kib()
    );
    Ok(())
}
