//! `bench sandbox`: the sandbox's end-to-end order throughput and the demo's wall time.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::Result;
use crate::shell::{cargo, now, output, run};

/// Sandbox throughput (cashier/pay + the payment notify delivered, verified and acknowledged,
/// end to end; in memory and with `--db`), next to a hello-world endpoint driven by the same
/// client in the same run; and the wall time of `baidupay demo`.
#[allow(clippy::float_arithmetic)] // reporting only
pub(super) fn bench_sandbox(quick: bool, target: &Path) -> Result {
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
        let start = now();
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
        times.push((now() - start).as_secs_f64());
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
