//! Shared helpers for the fixture tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use serde_json::Value;

/// Reads a fixture file below `tests/fixtures/`.
pub fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {full}: {e}"))
}

/// Reads a published vector file below the workspace's `vectors/`.
pub fn vector(path: &str) -> String {
    let full = format!("{}/../../vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {full}: {e}"))
}

/// Decodes `json` as `T`, re-encodes it, and asserts the result is equivalent to the input:
/// the same keys with the same values, where a number and a string of the same digits are
/// equal (the platforms mix them), and a key whose value is `null` counts as absent.
/// Returns the decoded value.
pub fn round_trip<T>(json: &str) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let original: Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("fixture is not JSON: {e}\n{json}"));
    let decoded: T = serde_json::from_value(original.clone()).unwrap_or_else(|e| {
        panic!(
            "cannot decode as {}: {e}\n{json}",
            std::any::type_name::<T>()
        )
    });
    let reencoded = serde_json::to_value(&decoded).expect("serialize");
    if let Err(path) = equivalent(&original, &reencoded, "$") {
        panic!(
            "re-encoded {} differs at {path}\n original: {original}\nreencoded: {reencoded}",
            std::any::type_name::<T>()
        );
    }
    decoded
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Compares two JSON documents under the equivalence described in [`round_trip`].
pub fn equivalent(a: &Value, b: &Value, path: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = format!("{path}.{k}");
                match y.get(k) {
                    Some(vb) => equivalent(va, vb, &p)?,
                    None if va.is_null() => {}
                    None => return Err(format!("{p} (missing after re-encoding)")),
                }
            }
            for (k, vb) in y {
                if !x.contains_key(k) && !vb.is_null() {
                    return Err(format!("{path}.{k} (added by re-encoding)"));
                }
            }
            Ok(())
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Err(format!("{path} (array length {} vs {})", x.len(), y.len()));
            }
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                equivalent(va, vb, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Null, Value::Array(y)) if y.is_empty() => Ok(()),
        _ if a == b => Ok(()),
        _ => match (scalar_text(a), scalar_text(b)) {
            (Some(x), Some(y)) if x == y => Ok(()),
            _ => Err(format!("{path} ({a} vs {b})")),
        },
    }
}

/// A minimal `application/x-www-form-urlencoded` decoder for the fixtures (the real one lives
/// in baidupay-crypto; the model crate does not depend on it).
pub fn form(body: &str) -> Vec<(String, String)> {
    fn dec(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    body.trim()
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (dec(k), dec(v))
        })
        .collect()
}
