//! Runs `tp_event_ref.py`, an independent implementation of the TP envelope (Python hashlib and
//! `cryptography`), for the interop tests. Missing Python or `cryptography` fails the test loudly.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

const SCRIPT: &str = include_str!("tp_event_ref.py");

/// Sends one request to the reference implementation and returns its JSON answer.
pub(crate) fn reference(request: &Value) -> Value {
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "the TP interop tests need python3 with the `cryptography` package \
                 (pip install cryptography): cannot run python3: {e}"
            )
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the TP interop tests need python3 with the `cryptography` package \
         (pip install cryptography); the reference implementation failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
