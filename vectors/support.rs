//! Reads `vectors/manifest.json` for the per-crate runners and for tests that only need a key or
//! a body. Included with `#[path = "../../../vectors/support.rs"] mod vectors;` from a crate's
//! `tests/`, so each crate keeps its own dependencies (std and serde_json).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;

/// The `vectors/` folder at the workspace root.
pub(crate) const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../vectors");

/// The full path of a file below `vectors/`, as a string (for command lines).
pub(crate) fn path(rel: &str) -> String {
    format!("{ROOT}/{rel}")
}

/// The bytes of a file below `vectors/`.
pub(crate) fn read(rel: &str) -> Vec<u8> {
    let full = path(rel);
    std::fs::read(&full).unwrap_or_else(|e| panic!("vector file {full}: {e}"))
}

/// The text of a file below `vectors/`.
pub(crate) fn text(rel: &str) -> String {
    String::from_utf8(read(rel)).unwrap_or_else(|e| panic!("vector file {rel}: {e}"))
}

/// One entry of the manifest.
#[derive(Debug, Clone)]
pub(crate) struct Vector {
    pub(crate) id: String,
    pub(crate) kind: String,
    raw: Value,
}

impl Vector {
    fn section(&self, name: &str, key: &str) -> Option<&Value> {
        self.raw.get(name).and_then(|s| s.get(key))
    }

    /// The path (below `vectors/`) of the file playing `role`, if any.
    pub(crate) fn file_path(&self, role: &str) -> Option<&str> {
        self.section("files", role).and_then(Value::as_str)
    }

    /// The bytes of the file playing `role`; panics when the vector has none.
    pub(crate) fn file(&self, role: &str) -> Vec<u8> {
        read(
            self.file_path(role)
                .unwrap_or_else(|| panic!("no `{role}` file")),
        )
    }

    /// The text of the file playing `role`.
    pub(crate) fn file_text(&self, role: &str) -> String {
        String::from_utf8(self.file(role)).unwrap()
    }

    pub(crate) fn param(&self, key: &str) -> Option<&Value> {
        self.section("params", key)
    }

    pub(crate) fn param_str(&self, key: &str) -> Option<&str> {
        self.param(key).and_then(Value::as_str)
    }

    pub(crate) fn expect(&self, key: &str) -> Option<&Value> {
        self.section("expect", key)
    }

    /// The whole `expect` object.
    pub(crate) fn raw_expect(&self) -> Value {
        self.raw.get("expect").cloned().unwrap_or_default()
    }

    pub(crate) fn expect_str(&self, key: &str) -> Option<&str> {
        self.expect(key).and_then(Value::as_str)
    }

    /// The expected failure (`bad-signature`, `expected-private-key`, ...), if the vector is a
    /// negative one.
    pub(crate) fn expected_error(&self) -> Option<&str> {
        self.expect_str("error")
    }

    /// A literal expectation, or the text of the file its `<key>_file` entry names.
    pub(crate) fn expect_text(&self, key: &str) -> Option<String> {
        if let Some(s) = self.expect_str(key) {
            return Some(s.to_owned());
        }
        let role = self.expect_str(&format!("{key}_file"))?;
        Some(self.file_text(role))
    }

    /// The `[name, value]` pairs of `params.fields`.
    pub(crate) fn fields(&self) -> Option<Vec<(String, String)>> {
        let list = self.param("fields")?.as_array()?;
        Some(
            list.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_owned(),
                        p[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
        )
    }

    /// `expect.fields` as name -> expected scalar text.
    pub(crate) fn expected_fields(&self) -> BTreeMap<String, String> {
        self.expect("fields")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Applies `params.body_replace` (each `[from, to]` must occur) to `text`.
    pub(crate) fn tamper(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for pair in self
            .param("body_replace")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (from, to) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
            assert!(out.contains(from), "body_replace: `{from}` not found");
            out = out.replace(from, to);
        }
        out
    }

    /// The `body` file with `params.body_replace` applied.
    pub(crate) fn body(&self) -> String {
        self.tamper(&self.file_text("body"))
    }
}

/// Every vector of the manifest.
pub(crate) fn manifest() -> Vec<Vector> {
    let doc: Value = serde_json::from_slice(&read("manifest.json")).expect("manifest.json is JSON");
    doc["vectors"]
        .as_array()
        .expect("manifest.json has a `vectors` list")
        .iter()
        .map(|v| Vector {
            id: v["id"].as_str().expect("id").to_owned(),
            kind: v["kind"].as_str().expect("kind").to_owned(),
            raw: v.clone(),
        })
        .collect()
}

/// The text of a JSON scalar as the platforms mix them (a number and a string of the same digits
/// compare equal; `null` reads as absent).
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Checks that `got` (a serialized value) holds every field of `expect.fields`.
pub(crate) fn check_fields(v: &Vector, got: &Value) -> Result<(), String> {
    for (name, want) in v.expected_fields() {
        let found = got.get(&name).and_then(scalar_text);
        if found.as_deref() != Some(want.as_str()) {
            return Err(format!("field `{name}`: want {want:?}, got {found:?}"));
        }
    }
    Ok(())
}

/// Runs `check` on every vector of `kinds`, then fails naming each vector that failed (an `Err`
/// or a panic). Fails too when the manifest holds no vector of one of `kinds`, so a wrong path
/// or a renamed kind cannot make the runner pass vacuously. Returns how many ran per kind.
pub(crate) fn run(
    kinds: &[&str],
    mut check: impl FnMut(&Vector) -> Result<(), String>,
) -> BTreeMap<String, usize> {
    let all = manifest();
    let mut ran = BTreeMap::new();
    let mut failures = Vec::new();
    for kind in kinds {
        let of_kind: Vec<&Vector> = all.iter().filter(|v| v.kind == *kind).collect();
        assert!(!of_kind.is_empty(), "the manifest holds no `{kind}` vector");
        for v in of_kind {
            match catch_unwind(AssertUnwindSafe(|| check(v))) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failures.push(format!("{}: {e}", v.id)),
                Err(p) => {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    failures.push(format!("{}: panicked: {msg}", v.id));
                }
            }
            *ran.entry((*kind).to_owned()).or_insert(0) += 1;
        }
    }
    let total: usize = ran.values().sum();
    println!("ran {total} vectors: {ran:?}");
    assert!(
        failures.is_empty(),
        "{} of {total} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    ran
}

/// Compares an outcome with the vector's expectation: success, or the named failure kind.
/// `kind_of` names the failure kind of an error (`None`: a kind the runner does not know).
pub(crate) fn outcome<T, E: std::fmt::Debug>(
    v: &Vector,
    result: Result<T, E>,
    kind_of: impl Fn(&E) -> Option<&'static str>,
) -> Result<Option<T>, String> {
    match (result, v.expected_error()) {
        (Ok(t), None) => Ok(Some(t)),
        (Ok(_), Some(want)) => Err(format!("expected failure `{want}`, got success")),
        (Err(e), None) => Err(format!("expected success, got {e:?}")),
        (Err(e), Some(want)) => match kind_of(&e) {
            Some(got) if got == want => Ok(None),
            got => Err(format!("expected failure `{want}`, got {got:?}: {e:?}")),
        },
    }
}
