//! `cargo deny --offline check advisories` against the offline RustSec snapshot that sits beside
//! the repository (`../shared/advisory-db`, or `BAIDUPAY_ADVISORY_DB`): CI cannot fetch the
//! advisory database, so the snapshot is made into the git repository cargo-deny expects, with
//! the snapshot's own commit date (so that staleness is judged honestly), and a copy of
//! `deny.toml` pointing at it is used for this one check.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;
use crate::shell::{output, run, workspace_root};

/// The folder cargo-deny 0.20 opens for `db-urls = [ADVISORY_URL]`.
const DB_FOLDER: &str = "advisory-db-3157b0e258782691";
const ADVISORY_URL: &str = "https://github.com/rustsec/advisory-db";

/// Where the snapshot is: `BAIDUPAY_ADVISORY_DB`, else `../shared/advisory-db`.
fn snapshot_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("BAIDUPAY_ADVISORY_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/advisory-db"));
    dir.join("SNAPSHOT.md").is_file().then_some(dir)
}

/// The snapshot's commit date, from `SNAPSHOT.md`: the `GIT_AUTHOR_DATE=` it documents, else
/// the `(YYYY-MM-DD)` after the commit hash, at midnight UTC.
pub(crate) fn snapshot_date(snapshot_md: &str) -> Option<String> {
    if let Some(i) = snapshot_md.find("GIT_AUTHOR_DATE=") {
        let rest = &snapshot_md[i + "GIT_AUTHOR_DATE=".len()..];
        let date: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        if date.len() >= 10 {
            return Some(date);
        }
    }
    let bytes = snapshot_md.as_bytes();
    (0..bytes.len().saturating_sub(11)).find_map(|i| {
        let w = snapshot_md.get(i..i + 12)?;
        let d = w.strip_prefix('(')?.strip_suffix(')')?;
        let ok = d.len() == 10
            && d.bytes().enumerate().all(|(j, b)| match j {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        ok.then(|| format!("{d}T00:00:00+00:00"))
    })
}

/// `deny.toml` with the `[advisories]` table pointed at `db_path`.
pub(crate) fn offline_config(deny_toml: &str, db_path: &Path) -> Result<String> {
    let header = "[advisories]\n";
    let at = deny_toml
        .find(header)
        .ok_or("deny.toml has no [advisories] table")?
        + header.len();
    let db = db_path
        .to_string_lossy()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    Ok(format!(
        "{}db-path = \"{db}\"\ndb-urls = [\"{ADVISORY_URL}\"]\nmaximum-db-staleness = \"P365D\"\n{}",
        &deny_toml[..at],
        &deny_toml[at..]
    ))
}

fn git(dir: &Path, date: &str) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args([
            "-c",
            "user.name=snapshot",
            "-c",
            "user.email=snapshot@localhost",
            "-c",
            "commit.gpgsign=false",
        ]);
    cmd
}

/// Builds (or reuses) the git repository cargo-deny reads, below `target/`.
fn prepare(snapshot: &Path) -> Result<PathBuf> {
    let md = std::fs::read_to_string(snapshot.join("SNAPSHOT.md"))
        .map_err(|e| format!("cannot read the advisory snapshot: {e}"))?;
    let date = snapshot_date(&md).ok_or("SNAPSHOT.md names no date")?;
    let db_path = workspace_root().join("target/advisory-db");
    let repo = db_path.join(DB_FOLDER);
    let stamp = repo.join(".snapshot-md");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == md) && repo.join(".git").is_dir() {
        return Ok(db_path);
    }
    if repo.exists() {
        std::fs::remove_dir_all(&repo).map_err(|e| format!("cannot clear {repo:?}: {e}"))?;
    }
    std::fs::create_dir_all(&repo).map_err(|e| format!("cannot create {repo:?}: {e}"))?;
    output(
        Command::new("cp")
            .arg("-r")
            .arg(snapshot.join("."))
            .arg(&repo),
    )?;
    output(git(&repo, &date).args(["init", "-q"]))?;
    output(git(&repo, &date).args(["add", "-A"]))?;
    output(git(&repo, &date).args(["commit", "-q", "-m", "snapshot"]))?;
    std::fs::write(&stamp, md).map_err(|e| format!("cannot write {stamp:?}: {e}"))?;
    Ok(db_path)
}

/// `cargo xtask deny`: `cargo deny check licenses bans sources`, then the advisories against
/// the offline snapshot. Skipped, saying so, when cargo-deny is not installed, except on CI
/// (`CI` set), where `.ci/run` installs it.
pub(crate) fn deny() -> Result {
    let has_deny = Command::new("cargo")
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_deny {
        if std::env::var_os("CI").is_some() {
            return Err("cargo-deny is not installed (.ci/run installs it)".into());
        }
        eprintln!("\n==> cargo deny: not installed, skipped (`cargo install --locked cargo-deny`)");
        return Ok(());
    }
    run(
        "cargo deny (licenses, bans, sources)",
        crate::shell::cargo().args(["deny", "--locked", "check", "licenses", "bans", "sources"]),
    )?;
    check()
}

/// Runs the advisory check; without a snapshot it fails on CI (`CI` set) and is skipped
/// elsewhere, saying so.
pub(crate) fn check() -> Result {
    let Some(snapshot) = snapshot_dir() else {
        if std::env::var_os("CI").is_some() {
            return Err(
                "cargo deny advisories: no advisory snapshot at ../shared/advisory-db \
                 (or BAIDUPAY_ADVISORY_DB)"
                    .into(),
            );
        }
        eprintln!("\n==> cargo deny advisories: no snapshot at ../shared/advisory-db, skipped");
        return Ok(());
    };
    let db_path = prepare(&snapshot)?;
    let deny = std::fs::read_to_string(workspace_root().join("deny.toml"))
        .map_err(|e| format!("cannot read deny.toml: {e}"))?;
    let config = workspace_root().join("target/deny-offline.toml");
    std::fs::write(&config, offline_config(&deny, &db_path)?)
        .map_err(|e| format!("cannot write {config:?}: {e}"))?;
    run(
        "cargo deny advisories (offline snapshot)",
        crate::shell::cargo()
            .args(["deny", "--offline", "--locked", "--config"])
            .arg(&config)
            .args(["check", "advisories"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_date_is_read_from_snapshot_md() {
        let md = "at commit bf5c0d2 (2026-08-21), copied\n  GIT_AUTHOR_DATE=2026-08-21T08:28:40+02:00 GIT_COMMITTER_DATE=x";
        assert_eq!(
            snapshot_date(md).as_deref(),
            Some("2026-08-21T08:28:40+02:00")
        );
        assert_eq!(
            snapshot_date("the files at commit abc (2026-08-21), copied").as_deref(),
            Some("2026-08-21T00:00:00+00:00")
        );
        assert_eq!(snapshot_date("no date here (soon)"), None);
    }

    #[test]
    fn the_offline_config_points_the_advisories_at_the_snapshot() {
        let c = offline_config(
            "[graph]\nall-features = true\n\n[advisories]\nversion = 2\n",
            Path::new("/w/target/advisory-db"),
        )
        .unwrap();
        assert_eq!(
            c,
            "[graph]\nall-features = true\n\n[advisories]\ndb-path = \"/w/target/advisory-db\"\n\
             db-urls = [\"https://github.com/rustsec/advisory-db\"]\nmaximum-db-staleness = \"P365D\"\n\
             version = 2\n"
        );
        assert!(offline_config("[graph]\n", Path::new("/x")).is_err());
    }
}
