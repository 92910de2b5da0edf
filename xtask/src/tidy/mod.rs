//! `cargo xtask tidy`: the workspace's shape, checked from `cargo metadata`.
//!
//! * **layers**: internal dependencies point only downward along the layer table (`layers.rs`) (skipping layers is
//!   fine, same-layer and upward edges are not); published crates never depend on unpublished
//!   members (a dev-dependency on one of the test crates is allowed: `cargo publish` drops
//!   it).
//! * **publish**: every member outside `crates/` says `publish = false`.
//! * **unused dependencies**: each declared dependency's library name appears as a path or in a
//!   `use` in the sources that can use it (`src/` for `[dependencies]`, `build.rs` for
//!   `[build-dependencies]`, `src/`, `tests/`, `benches/`, `examples/` and doc comments for
//!   `[dev-dependencies]`). A dependency that exists only to turn on a feature is listed, with
//!   a comment giving the reason, in `[package.metadata.tidy] unused-ok = ["name"]`.
//!
//! Written here rather than with cargo-machete: it is a few dozen lines over the metadata we
//! already read, needs no tool installed in CI, and its rules are unit-tested on synthetic metadata.

mod layers;
mod unused;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::Result;
use crate::shell::{cargo, output};

/// `[dependencies]`, `[dev-dependencies]` or `[build-dependencies]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    Dev,
    Build,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Normal => "[dependencies]",
            Kind::Dev => "[dev-dependencies]",
            Kind::Build => "[build-dependencies]",
        }
    }
}

/// One declared dependency.
#[derive(Debug)]
struct Dep {
    /// The key in Cargo.toml (the rename, if any).
    key: String,
    /// The package it names.
    package: String,
    /// The name code uses for it (`md-5` is `md5`, a rename is snake-cased).
    lib: String,
    kind: Kind,
}

/// One workspace member.
#[derive(Debug)]
struct Member {
    name: String,
    /// The manifest's directory, relative to the workspace root (`crates/baidupay-cli`).
    dir: PathBuf,
    published: bool,
    deps: Vec<Dep>,
    unused_ok: Vec<String>,
}

/// Reads the workspace members from `cargo metadata` output (with or without `--no-deps`;
/// with the dependencies' packages present, library names come from their targets).
fn members(meta: &Value) -> Result<Vec<Member>> {
    let root = PathBuf::from(
        meta["workspace_root"]
            .as_str()
            .ok_or("cargo metadata: no workspace_root")?,
    );
    let ids: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .ok_or("cargo metadata: no workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages = meta["packages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let lib_names: BTreeMap<&str, &str> = packages
        .iter()
        .filter_map(|p| {
            let lib = p["targets"].as_array()?.iter().find(|t| {
                t["kind"].as_array().is_some_and(|k| {
                    k.iter()
                        .any(|k| matches!(k.as_str(), Some("lib" | "rlib" | "proc-macro")))
                })
            })?;
            Some((p["name"].as_str()?, lib["name"].as_str()?))
        })
        .collect();
    let mut out = Vec::new();
    for p in packages
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| ids.contains(id)))
    {
        let name = p["name"]
            .as_str()
            .ok_or("cargo metadata: a package without a name")?;
        let manifest = Path::new(p["manifest_path"].as_str().unwrap_or_default());
        let dir = manifest.parent().unwrap_or(manifest);
        let mut deps = Vec::new();
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let package = d["name"].as_str().unwrap_or_default().to_owned();
            let rename = d["rename"].as_str();
            let lib = match rename {
                Some(r) => r.replace('-', "_"),
                None => lib_names
                    .get(package.as_str())
                    .map_or_else(|| package.replace('-', "_"), |l| (*l).to_owned()),
            };
            let kind = match d["kind"].as_str() {
                Some("dev") => Kind::Dev,
                Some("build") => Kind::Build,
                _ => Kind::Normal,
            };
            deps.push(Dep {
                key: rename.unwrap_or(&package).to_owned(),
                package,
                lib,
                kind,
            });
        }
        out.push(Member {
            name: name.to_owned(),
            dir: dir.strip_prefix(&root).unwrap_or(dir).to_path_buf(),
            published: !p["publish"].as_array().is_some_and(Vec::is_empty),
            deps,
            unused_ok: p["metadata"]["tidy"]["unused-ok"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        });
    }
    Ok(out)
}

/// Members outside `crates/` (examples, tests, xtask, bench drivers) that could be published.
fn check_publish(members: &[Member]) -> Vec<String> {
    members
        .iter()
        .filter(|m| m.published && !m.dir.starts_with("crates"))
        .map(|m| {
            format!(
                "{} ({}) is not under crates/, so it is not meant for crates.io: add `publish = false` to its [package]",
                m.name,
                m.dir.display()
            )
        })
        .collect()
}

/// `cargo metadata` with the dependencies resolved for this machine (so that library names
/// such as `md-5`'s `md5` are known) without downloading other platforms' crates.
fn resolved_metadata() -> Result<Value> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let host = output(Command::new(rustc).arg("-vV"))?
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or("rustc -vV printed no host")?;
    let text = output(cargo().args([
        "metadata",
        "--format-version",
        "1",
        "--locked",
        "--filter-platform",
        &host,
    ]))?;
    serde_json::from_str(&text).map_err(|e| format!("cargo metadata: {e}"))
}

/// `cargo xtask tidy`.
pub(crate) fn tidy() -> Result {
    let meta = resolved_metadata()?;
    let root = PathBuf::from(meta["workspace_root"].as_str().unwrap_or("."));
    let members = members(&meta)?;
    let checks: [(&str, Vec<String>); 3] = [
        ("layers", layers::check_layers(&members)),
        ("publish", check_publish(&members)),
        (
            "unused dependencies",
            unused::check_unused(&members, &|m, k| unused::read_sources(&root, m, k)),
        ),
    ];
    let mut failed = 0;
    for (name, problems) in &checks {
        if problems.is_empty() {
            eprintln!("tidy: {name}: ok");
        } else {
            failed += problems.len();
            eprintln!("tidy: {name}: {} problem(s)", problems.len());
            for p in problems {
                eprintln!("  - {p}");
            }
        }
    }
    if failed == 0 {
        eprintln!(
            "tidy: {} members, {} declared dependencies: all checks pass",
            members.len(),
            members.iter().map(|m| m.deps.len()).sum::<usize>()
        );
        Ok(())
    } else {
        Err(format!("tidy found {failed} problem(s)"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// A package of a synthetic workspace at /ws: `deps` are `(name, kind)`, kind `null`,
    /// `"dev"` or `"build"`.
    pub(super) fn package(dir: &str, name: &str, publish: bool, deps: &[(&str, Value)]) -> Value {
        json!({
            "id": format!("path+file:///ws/{dir}#{name}@0.1.0"),
            "name": name,
            "manifest_path": format!("/ws/{dir}/Cargo.toml"),
            "publish": if publish { Value::Null } else { json!([]) },
            "dependencies": deps.iter().map(|(n, k)| json!({"name": n, "kind": k, "rename": null})).collect::<Vec<_>>(),
            "targets": [{"kind": ["lib"], "name": name.replace('-', "_")}],
            "metadata": null,
        })
    }

    pub(super) fn workspace(packages: Vec<Value>) -> Vec<Member> {
        let ids: Vec<Value> = packages.iter().map(|p| p["id"].clone()).collect();
        members(&json!({"workspace_root": "/ws", "workspace_members": ids, "packages": packages}))
            .unwrap()
    }

    pub(super) fn krate(name: &str, deps: &[(&str, Value)]) -> Value {
        package(&format!("crates/{name}"), name, true, deps)
    }

    #[test]
    fn members_outside_crates_need_publish_false() {
        let m = workspace(vec![
            krate("baidupay-model", &[]),
            package("examples/merchant", "baidupay-example-merchant", false, &[]),
            package("bench", "baidupay-bench", true, &[]),
        ]);
        // reported once, by the publish check, not again as a crate missing from the layers
        assert_eq!(layers::check_layers(&m), Vec::<String>::new());
        assert_eq!(
            check_publish(&m),
            [
                "baidupay-bench (bench) is not under crates/, so it is not meant for crates.io: add `publish = false` to its [package]"
            ]
        );
    }
}
