//! Project automation, run as `cargo xtask <command>`:
//!
//! * `ci`: exactly what CI runs: tidy, fmt check, clippy (`-D warnings`, all targets, both crypto
//!   backends), tests (default backend, then again with `rustcrypto`; the CLI built alone with
//!   `rustcrypto` must link no OpenSSL and name its backend), docs with warnings
//!   denied, `cargo deny check licenses bans sources` when cargo-deny is installed, and
//!   `cargo deny --offline check advisories` against the offline RustSec snapshot.
//! * `tidy`: the workspace's shape from `cargo metadata`: dependencies point only downward
//!   along the layer table, members outside `crates/` say `publish = false`, and no crate
//!   declares a dependency its sources do not use (run first by `ci`).
//! * `bench [rsa|notify|load|sandbox] [--quick]`: the criterion RSA benches for both backends next to
//!   `openssl speed`; verify+parse of a Baidu notify next to a bare verify; and a loopback load
//!   test of the example callback endpoint next to a hello-world hyper endpoint (with a
//!   correctness check under concurrent duplicates). Ratios are measured in the same run.
//! * `bench sandbox`: the sandbox's end-to-end order throughput (cashier/pay + notify delivered
//!   and acknowledged; memory and SQLite) next to a hello-world endpoint, and the demo's wall time.
//! * `bench bill [--rows N]`: a generated N-row (default 1M) and a 100k-row Alipay bill ZIP
//!   parsed by the SDK and by Python's standard library in the same run: rows/s, ratio, peak RSS.
//! * `release --dry-run`: checks a release could be cut and prints the plan; changes nothing.
//! * `fuzz [--seconds N] [--runs N] [--sanitizer S] [TARGET...]`: the libFuzzer targets of
//!   `fuzz/`, one after another, with executions, exec/s and crashes per target and the commit
//!   fuzzed (see `fuzz.rs`; not part of `ci`).

mod advisories;
mod bench;
mod ci;
mod fuzz;
mod meta;
mod release;
mod shell;
mod tidy;

use std::process::ExitCode;

/// Every command's error: one line (or a short list) for the terminal.
type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::ci(),
        Some("tidy") => tidy::tidy(),
        Some("deny") => advisories::deny(),
        Some("bench") => bench::bench(&args[1..]),
        Some("release") => release::release(&args[1..]),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci | tidy | deny | bench [rsa|notify|load|sandbox|bill] [--quick] [--rows N] | release --dry-run | fuzz [--seconds N] [--runs N] [--sanitizer S] [TARGET...]>\n\
                 \n  ci                 tidy, fmt, clippy, tests (both backends), docs, cargo-deny\
                 \n  tidy               dependency layering, publish = false, unused dependencies\
                 \n  deny               cargo deny: licenses, bans, sources; advisories (offline snapshot)\
                 \n  bench [rsa|notify|load|sandbox|bill] [--quick] [--rows N]  RSA vs `openssl speed`; notify parse cost; loopback load; sandbox throughput; Alipay bill parsing vs Python\
                 \n  release --dry-run  check a release could be cut; print the plan\
                 \n  fuzz [--seconds N] [--runs N] [--sanitizer S] [TARGET...]  run the libFuzzer targets (nightly), one after another"
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
