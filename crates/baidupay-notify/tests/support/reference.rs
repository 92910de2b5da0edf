//! Runs `tp_event_ref.py`, an independent implementation of the TP envelope (Python hashlib and
//! `cryptography`), for the interop tests. Missing Python or `cryptography` fails the test loudly.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

const SCRIPT: &str = include_str!("tp_event_ref.py");
const NEEDS: &str = "the TP interop tests need python3 with the `cryptography` package \
                     (pip install cryptography)";

/// Runs `command` with `input` on its standard input and collects its output.
pub(crate) fn run_with_stdin(command: &mut Command, input: &[u8]) -> std::io::Result<Output> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().unwrap().write_all(input)?;
    child.wait_with_output()
}

/// Sends one request to the reference implementation and returns its JSON answer.
pub(crate) fn reference(request: &Value) -> Value {
    let out = run_with_stdin(
        Command::new("python3").args(["-c", SCRIPT]),
        request.to_string().as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{NEEDS}: cannot run python3: {e}"));
    assert!(
        out.status.success(),
        "{NEEDS}; the reference implementation failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Asserts that the reference implementation opens `body` with these secrets to `message`.
pub(crate) fn assert_reference_opens(secrets: [&str; 3], body: &str, message: &[u8]) {
    let [token, aes_key, tp_id] = secrets;
    let opened = reference(&json!({
        "op": "open", "token": token, "aes_key": aes_key, "tp_id": tp_id, "body": body,
    }));
    assert_eq!(opened["ok"], true, "{opened}");
    let decrypted = STANDARD
        .decode(opened["message_b64"].as_str().unwrap())
        .unwrap();
    assert_eq!(decrypted, message);
}
