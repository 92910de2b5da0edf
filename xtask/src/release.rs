//! `cargo xtask release --dry-run`: checks a release could be cut and prints the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use crate::Result;
use crate::meta::{metadata, packages};
use crate::shell::{cargo, output, run, workspace_root};

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.trim_start_matches('v').split(['-', '+']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

pub(crate) fn release(args: &[String]) -> Result {
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
