//! `cargo xtask tidy`: the workspace's shape, checked from `cargo metadata`.
//!
//! * **layers**: internal dependencies point only downward along [`LAYERS`] (skipping layers is
//!   fine, same-layer and upward edges are not); published crates never depend on unpublished
//!   members (a dev-dependency on one of the [`TEST_CRATES`] is allowed: `cargo publish` drops
//!   it).
//! * **publish**: every member outside `crates/` says `publish = false`.
//! * **unused dependencies**: each declared dependency's library name appears as a path or in a
//!   `use` in the sources that can use it (`src/` for `[dependencies]`, `build.rs` for
//!   `[build-dependencies]`, `src/`, `tests/`, `benches/`, `examples/` and doc comments for
//!   `[dev-dependencies]`). A dependency that exists only to turn on a feature is listed, with
//!   a comment giving the reason, in `[package.metadata.tidy] unused-ok = ["name"]`.
//!
//! Written here rather than with cargo-machete: it is a few dozen lines over the metadata we
//! already read, needs no tool installed in CI, and its rules are unit-tested below.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::Result;
use crate::shell::{cargo, output};

/// What a crate may depend on besides the layers below its own.
#[derive(Debug, Clone, Copy)]
enum May {
    /// Any crate in a lower layer.
    Below,
    /// Only these crates (each also in a lower layer).
    Only(&'static [&'static str]),
}

/// One row of the layering: a published crate, its layer (higher depends on lower, never the
/// other way, never sideways) and what it may use.
#[derive(Debug)]
struct Row {
    krate: &'static str,
    layer: u8,
    may: May,
}

/// The layering of the published crates, top to bottom (style.md, "Dependency direction").
const LAYERS: &[Row] = &[
    Row {
        krate: "baidupay-cli",
        layer: 5,
        may: May::Below,
    },
    Row {
        krate: "baidupay-sandbox",
        layer: 4,
        may: May::Below,
    },
    Row {
        krate: "baidupay-cashier",
        layer: 3,
        may: May::Below,
    },
    Row {
        krate: "baidupay-tp",
        layer: 3,
        may: May::Below,
    },
    Row {
        krate: "baidupay-alipay",
        layer: 3,
        may: May::Below,
    },
    // callback verification without an HTTP stack
    Row {
        krate: "baidupay-notify",
        layer: 3,
        may: May::Only(&["baidupay-crypto", "baidupay-model"]),
    },
    Row {
        krate: "baidupay-openapi",
        layer: 2,
        may: May::Below,
    },
    // the bottom layer: nothing internal
    Row {
        krate: "baidupay-transport",
        layer: 1,
        may: May::Below,
    },
    Row {
        krate: "baidupay-crypto",
        layer: 1,
        may: May::Below,
    },
    Row {
        krate: "baidupay-model",
        layer: 1,
        may: May::Below,
    },
];

/// Unpublished members that published crates may name in `[dev-dependencies]`.
const TEST_CRATES: &[&str] = &["baidupay-e2e"];

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

fn row(krate: &str) -> Option<&'static Row> {
    LAYERS.iter().find(|r| r.krate == krate)
}

/// Internal edges that break the layering, one line each naming the edge and the rule.
fn check_layers(members: &[Member]) -> Vec<String> {
    let by_name: BTreeMap<&str, &Member> = members.iter().map(|m| (m.name.as_str(), m)).collect();
    let mut problems = Vec::new();
    for m in members.iter().filter(|m| m.published) {
        let Some(from) = row(&m.name) else {
            problems.push(format!(
                "{} is published but has no row in the layer table (LAYERS in xtask/src/tidy.rs): add it",
                m.name
            ));
            continue;
        };
        for d in &m.deps {
            let Some(target) = by_name.get(d.package.as_str()) else {
                continue; // not internal
            };
            let edge = format!("{} -> {} ({})", m.name, d.package, d.kind.table());
            if !target.published {
                if d.kind != Kind::Dev || !TEST_CRATES.contains(&d.package.as_str()) {
                    problems.push(format!(
                        "{edge}: a published crate must not depend on an unpublished member{}",
                        if d.kind == Kind::Dev {
                            format!(
                                " (dev-dependencies may name only the test crates {TEST_CRATES:?})"
                            )
                        } else {
                            String::new()
                        }
                    ));
                }
                continue;
            }
            let Some(to) = row(&d.package) else {
                continue; // reported as missing from the table on its own row
            };
            let rule = if to.layer == from.layer {
                Some(format!(
                    "same layer ({}): a crate depends only on crates in lower layers",
                    from.layer
                ))
            } else if to.layer > from.layer {
                Some(format!(
                    "upward (layer {} -> {}): dependencies point only downward",
                    from.layer, to.layer
                ))
            } else if let May::Only(allowed) = from.may
                && !allowed.contains(&d.package.as_str())
            {
                Some(format!(
                    "{} may depend only on {}",
                    m.name,
                    allowed.join(", ")
                ))
            } else {
                None
            };
            if let Some(rule) = rule {
                problems.push(format!("{edge}: {rule}"));
            }
        }
    }
    problems
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

/// Declared dependencies no source uses. `sources(member, kind)` returns the code that can
/// use a dependency of that kind, comments removed (doc comments kept for `Kind::Dev`).
fn check_unused(members: &[Member], sources: &dyn Fn(&Member, Kind) -> String) -> Vec<String> {
    let mut problems = Vec::new();
    for m in members {
        for ok in &m.unused_ok {
            if !m.deps.iter().any(|d| &d.key == ok) {
                problems.push(format!(
                    "{}: [package.metadata.tidy] unused-ok names {ok}, which it does not declare",
                    m.name
                ));
            }
        }
        let mut texts: BTreeMap<(bool, bool), String> = BTreeMap::new();
        let mut text = |kind: Kind| -> String {
            let key = (kind == Kind::Dev, kind == Kind::Build);
            texts.entry(key).or_insert_with(|| sources(m, kind)).clone()
        };
        for d in &m.deps {
            if m.unused_ok.contains(&d.key) || uses(&text(d.kind), &d.lib) {
                continue;
            }
            let hint = if d.kind == Kind::Normal && uses(&text(Kind::Dev), &d.lib) {
                "used only by tests, benches or examples: move it to [dev-dependencies]"
            } else {
                "remove it, or list it in [package.metadata.tidy] unused-ok with the reason"
            };
            problems.push(format!(
                "{}: {} declares {} (`{}`), which no source uses: {hint}",
                m.name,
                d.kind.table(),
                d.key,
                d.lib
            ));
        }
    }
    problems
}

/// Whether `code` uses the crate `lib`: `lib::…`, `use lib`, `extern crate lib`.
fn uses(code: &str, lib: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut rest = code;
    let mut before = "";
    while let Some(i) = rest.find(lib) {
        let start_ok = rest[..i].chars().next_back().is_none_or(|c| !is_ident(c))
            && (i > 0 || before.chars().next_back().is_none_or(|c| !is_ident(c)));
        let after = &rest[i + lib.len()..];
        let end_ok = after.chars().next().is_none_or(|c| !is_ident(c));
        if start_ok && end_ok {
            let prev_word = rest[..i]
                .trim_end()
                .rsplit(|c: char| !is_ident(c))
                .next()
                .unwrap_or_default();
            if after.trim_start().starts_with("::") || matches!(prev_word, "use" | "crate") {
                return true;
            }
        }
        let (seen, next) = rest.split_at(i + lib.len());
        before = seen;
        rest = next;
    }
    false
}

/// `src` with comments and the contents of string and char literals blanked out; with
/// `keep_docs`, the text of doc comments (`///`, `//!`: doc-tests) is kept as code.
fn code_only(src: &str, keep_docs: bool) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, s: &str| {
        out.extend(s.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
    };
    while i < b.len() {
        let rest = &src[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            let doc = rest.starts_with("///") || rest.starts_with("//!");
            if keep_docs && doc {
                blank(&mut out, &rest[..3]);
                out.push_str(&rest[3..end]);
            } else {
                blank(&mut out, &rest[..end]);
            }
            i += end;
        } else if rest.starts_with("/*") {
            // nested block comments
            let (mut depth, mut j) = (0usize, 0usize);
            while j < rest.len() {
                if rest[j..].starts_with("/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with("*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += rest[j..].chars().next().map_or(1, char::len_utf8);
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if let Some(len) = string_literal(rest, out.chars().next_back()) {
            blank(&mut out, &rest[..len]);
            i += len;
        } else if let Some(lit) = rest.strip_prefix('\'') {
            // a char literal ('x', '\n', '\'', '"') or a lifetime ('a)
            let len = if let Some(esc) = lit.strip_prefix('\\') {
                esc.get(1..).and_then(|e| e.find('\'')).map_or(1, |e| e + 4)
            } else {
                let c = lit.chars().next().map_or(0, char::len_utf8);
                if lit[c..].starts_with('\'') { c + 2 } else { 1 }
            };
            blank(&mut out, &rest[..len]);
            i += len;
        } else {
            let c = rest.chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..c]);
            i += c;
        }
    }
    out
}

/// The length of the string literal (`"…"`, `b"…"`, `r#"…"#`, `br"…"`) at the start of
/// `rest`, if one starts there; `prev` is the character before it.
fn string_literal(rest: &str, prev: Option<char>) -> Option<usize> {
    if prev.is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None; // inside an identifier (`bar"` cannot start a literal there)
    }
    let body = rest.strip_prefix('b').unwrap_or(rest);
    let prefix = rest.len() - body.len();
    if let Some(raw) = body.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let open = &raw[hashes..];
        if !open.starts_with('"') {
            return None;
        }
        let close = format!("\"{}", "#".repeat(hashes));
        let end = open[1..].find(&close)?;
        return Some(prefix + 1 + hashes + 1 + end + close.len());
    }
    if !body.starts_with('"') {
        return None;
    }
    let mut escaped = false;
    for (j, c) in body.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(prefix + j + 1),
            _ => {}
        }
    }
    Some(rest.len())
}

/// The `.rs` files below `dir`, recursively, in a stable order.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of `member` that can use a dependency of `kind`, read from disk below `root`.
fn read_sources(root: &Path, member: &Member, kind: Kind) -> String {
    let dir = root.join(&member.dir);
    let mut files = Vec::new();
    match kind {
        Kind::Build => files.push(dir.join("build.rs")),
        Kind::Normal => rust_files(&dir.join("src"), &mut files),
        Kind::Dev => {
            for sub in ["src", "tests", "benches", "examples"] {
                rust_files(&dir.join(sub), &mut files);
            }
        }
    }
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|s| code_only(&s, kind == Kind::Dev))
        .collect::<Vec<_>>()
        .join("\n")
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
        ("layers", check_layers(&members)),
        ("publish", check_publish(&members)),
        (
            "unused dependencies",
            check_unused(&members, &|m, k| read_sources(&root, m, k)),
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
    fn package(dir: &str, name: &str, publish: bool, deps: &[(&str, Value)]) -> Value {
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

    fn workspace(packages: Vec<Value>) -> Vec<Member> {
        let ids: Vec<Value> = packages.iter().map(|p| p["id"].clone()).collect();
        members(&json!({"workspace_root": "/ws", "workspace_members": ids, "packages": packages}))
            .unwrap()
    }

    fn krate(name: &str, deps: &[(&str, Value)]) -> Value {
        package(&format!("crates/{name}"), name, true, deps)
    }

    /// The layered crates as they should be, plus `extra` packages.
    fn layered(extra: Vec<Value>) -> Vec<Member> {
        let mut p = vec![
            krate("baidupay-model", &[("serde", Value::Null)]),
            krate("baidupay-crypto", &[]),
            krate("baidupay-transport", &[]),
            krate(
                "baidupay-openapi",
                &[
                    ("baidupay-transport", Value::Null),
                    ("baidupay-crypto", Value::Null),
                ],
            ),
            krate(
                "baidupay-notify",
                &[
                    ("baidupay-crypto", Value::Null),
                    ("baidupay-model", Value::Null),
                ],
            ),
            krate(
                "baidupay-cashier",
                &[
                    ("baidupay-openapi", Value::Null),
                    ("baidupay-transport", Value::Null),
                ],
            ),
            krate(
                "baidupay-sandbox",
                &[
                    ("baidupay-cashier", Value::Null),
                    ("baidupay-notify", Value::Null),
                ],
            ),
            krate(
                "baidupay-cli",
                &[
                    ("baidupay-sandbox", Value::Null),
                    ("baidupay-model", Value::Null),
                ],
            ),
            package(
                "tests",
                "baidupay-e2e",
                false,
                &[("baidupay-sandbox", Value::Null)],
            ),
            package(
                "examples/merchant",
                "baidupay-example-merchant",
                false,
                &[("baidupay-notify", Value::Null)],
            ),
        ];
        p.extend(extra);
        workspace(p)
    }

    #[test]
    fn the_intended_layering_passes() {
        let m = layered(vec![]);
        assert_eq!(check_layers(&m), Vec::<String>::new());
        assert_eq!(check_publish(&m), Vec::<String>::new());
    }

    #[test]
    fn an_upward_edge_is_named_with_its_rule() {
        let m = layered(vec![krate("baidupay-alipay", &[]), {
            let mut c = krate("baidupay-tp", &[]);
            c["dependencies"] = json!([{"name": "baidupay-sandbox", "kind": null, "rename": null}]);
            c
        }]);
        assert_eq!(
            check_layers(&m),
            [
                "baidupay-tp -> baidupay-sandbox ([dependencies]): upward (layer 3 -> 4): dependencies point only downward"
            ]
        );
    }

    #[test]
    fn same_layer_edges_are_refused() {
        let m = layered(vec![
            krate("baidupay-tp", &[("baidupay-cashier", Value::Null)]),
            krate("baidupay-alipay", &[("baidupay-notify", Value::Null)]),
        ]);
        assert_eq!(
            check_layers(&m),
            [
                "baidupay-tp -> baidupay-cashier ([dependencies]): same layer (3): a crate depends only on crates in lower layers",
                "baidupay-alipay -> baidupay-notify ([dependencies]): same layer (3): a crate depends only on crates in lower layers",
            ]
        );
    }

    #[test]
    fn notify_may_use_only_crypto_and_model_and_the_bottom_nothing() {
        let m = workspace(vec![
            krate("baidupay-transport", &[("baidupay-model", Value::Null)]),
            krate("baidupay-model", &[]),
            krate("baidupay-notify", &[("baidupay-transport", json!("build"))]),
        ]);
        assert_eq!(
            check_layers(&m),
            [
                "baidupay-transport -> baidupay-model ([dependencies]): same layer (1): a crate depends only on crates in lower layers",
                "baidupay-notify -> baidupay-transport ([build-dependencies]): baidupay-notify may depend only on baidupay-crypto, baidupay-model",
            ]
        );
    }

    #[test]
    fn dev_dependencies_point_downward_too_except_on_test_crates() {
        let m = layered(vec![krate(
            "baidupay-tp",
            &[
                ("baidupay-sandbox", json!("dev")),
                ("baidupay-e2e", json!("dev")),
                ("baidupay-example-merchant", json!("dev")),
            ],
        )]);
        assert_eq!(
            check_layers(&m),
            [
                "baidupay-tp -> baidupay-sandbox ([dev-dependencies]): upward (layer 3 -> 4): dependencies point only downward",
                "baidupay-tp -> baidupay-example-merchant ([dev-dependencies]): a published crate must not depend on an unpublished member (dev-dependencies may name only the test crates [\"baidupay-e2e\"])",
            ]
        );
    }

    #[test]
    fn published_crates_must_not_use_unpublished_members_and_must_be_in_the_table() {
        let mut m = layered(vec![krate("baidupay-extra", &[])]);
        m.retain(|m| m.name != "baidupay-cli");
        m.extend(workspace(vec![krate(
            "baidupay-cli",
            &[("baidupay-example-merchant", Value::Null)],
        )]));
        assert_eq!(
            check_layers(&m),
            [
                "baidupay-extra is published but has no row in the layer table (LAYERS in xtask/src/tidy.rs): add it",
                "baidupay-cli -> baidupay-example-merchant ([dependencies]): a published crate must not depend on an unpublished member",
            ]
        );
    }

    #[test]
    fn members_outside_crates_need_publish_false() {
        let m = layered(vec![package("bench", "baidupay-bench", true, &[])]);
        assert_eq!(
            check_publish(&m),
            [
                "baidupay-bench (bench) is not under crates/, so it is not meant for crates.io: add `publish = false` to its [package]"
            ]
        );
    }

    fn sources(normal: &'static str, dev: &'static str) -> impl Fn(&Member, Kind) -> String {
        move |_, kind| match kind {
            Kind::Normal => code_only(normal, false),
            Kind::Dev => code_only(&format!("{normal}\n{dev}"), true),
            Kind::Build => String::new(),
        }
    }

    #[test]
    fn unused_dependencies_are_found_per_kind() {
        let p = package(
            "crates/c",
            "c",
            true,
            &[
                ("serde", Value::Null),
                ("thiserror", Value::Null),
                ("md-5", Value::Null),
                ("tempfile", Value::Null),
                ("proptest", json!("dev")),
                ("cc", json!("build")),
            ],
        );
        let md5 = json!({"id": "registry#md-5@0.10.6", "name": "md-5", "targets": [{"kind": ["lib"], "name": "md5"}]});
        let ids = json!([p["id"].clone()]);
        let m = members(
            &json!({"workspace_root": "/ws", "workspace_members": ids, "packages": [p, md5]}),
        )
        .unwrap();
        let src = "use serde::Serialize;\n// thiserror::Error is mentioned in a comment only\nfn f() { md5::compute(b\"x\"); }";
        let tests = "#[test] fn t() { tempfile::tempdir(); }";
        assert_eq!(
            check_unused(&m, &sources(src, tests)),
            [
                "c: [dependencies] declares thiserror (`thiserror`), which no source uses: remove it, or list it in [package.metadata.tidy] unused-ok with the reason",
                "c: [dependencies] declares tempfile (`tempfile`), which no source uses: used only by tests, benches or examples: move it to [dev-dependencies]",
                "c: [dev-dependencies] declares proptest (`proptest`), which no source uses: remove it, or list it in [package.metadata.tidy] unused-ok with the reason",
                "c: [build-dependencies] declares cc (`cc`), which no source uses: remove it, or list it in [package.metadata.tidy] unused-ok with the reason",
            ]
        );
    }

    #[test]
    fn unused_ok_excuses_a_dependency_and_must_name_a_declared_one() {
        let mut p = package("crates/c", "c", true, &[("tokio", Value::Null)]);
        p["metadata"] = json!({"tidy": {"unused-ok": ["tokio", "ghost"]}});
        let m = workspace(vec![p]);
        assert_eq!(
            check_unused(&m, &sources("", "")),
            ["c: [package.metadata.tidy] unused-ok names ghost, which it does not declare"]
        );
    }

    #[test]
    fn a_use_is_a_path_or_a_use_item_not_a_word() {
        assert!(uses("use serde;", "serde"));
        assert!(uses("extern crate serde;", "serde"));
        assert!(uses("#[derive(serde :: Serialize)]", "serde"));
        assert!(uses("x(async_trait::async_trait)", "async_trait"));
        assert!(!uses("#[serde(rename = \"a\")] struct S;", "serde"));
        assert!(!uses("serde_json::to_string(&s)", "serde"));
        assert!(!uses("my_serde::x()", "serde"));
        assert!(!uses("", "serde"));
    }

    #[test]
    fn comments_and_literals_are_not_code_but_doc_tests_are_for_dev() {
        let src = "/// ```\n/// tempfile::tempdir();\n/// ```\nfn f<'a>(x: &'a str) -> char { let _ = '\\''; let _ = \"serde::x\"; let _ = r#\"hex::y\"#; /* bytes::z /* nested */ */ '\"' }\nfn g() { http::Method::GET; }";
        let code = code_only(src, false);
        assert!(!uses(&code, "tempfile") && !uses(&code, "serde") && !uses(&code, "bytes"));
        assert!(!uses(&code, "hex"));
        assert!(uses(&code, "http"), "{code}");
        assert!(code.contains("fn g()"));
        assert!(uses(&code_only(src, true), "tempfile"));
        assert_eq!(code.len(), src.len());
    }
}
