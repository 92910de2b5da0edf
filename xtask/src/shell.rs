//! Running commands: cargo in the workspace root, steps with their timings, captured output.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::Result;

/// The one reading of the system clock in xtask: it measures wall time of CI steps and
/// benchmark runs, and xtask must not depend on the SDK's `baidupay_transport::SystemClock`.
#[allow(clippy::disallowed_methods)] // measuring benchmark and CI-step wall time
pub(crate) fn now() -> Instant {
    Instant::now()
}

pub(crate) fn workspace_root() -> PathBuf {
    // xtask/ sits directly below the workspace root.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

pub(crate) fn run(step: &str, cmd: &mut Command) -> Result {
    eprintln!("\n==> {step}\n    $ {}", describe(cmd));
    let start = now();
    let status = cmd
        .status()
        .map_err(|e| format!("{step}: cannot start: {e}"))?;
    eprintln!("    ({step}: {:.1} s)", (now() - start).as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

pub(crate) fn output(cmd: &mut Command) -> Result<String> {
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
