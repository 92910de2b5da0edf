//! Declared dependencies that no source uses, found by reading the sources as tokens.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Kind, Member};

/// Declared dependencies no source uses. `sources(member, kind)` returns the code that can
/// use a dependency of that kind, comments removed (doc comments kept for `Kind::Dev`).
pub(super) fn check_unused(
    members: &[Member],
    sources: &dyn Fn(&Member, Kind) -> String,
) -> Vec<String> {
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
pub(super) fn read_sources(root: &Path, member: &Member, kind: Kind) -> String {
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::tidy::members;
    use crate::tidy::tests::{package, workspace};

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
