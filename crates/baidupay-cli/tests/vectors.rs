//! Runs the signing and callback vectors of `vectors/manifest.json` through the `baidupay`
//! binary: `sign` must print the published signature (from the raw sign string, and from the
//! fields when the vector has them), `verify --form` must exit 0 on a genuine callback, 1 on a
//! signature that does not verify and 2 on a malformed body.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../vectors/support.rs"]
mod vectors;

use std::process::{Command, Output};

use vectors::Vector;

fn baidupay(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baidupay"))
        .args(args)
        .output()
        .unwrap()
}

fn alg(v: &Vector) -> String {
    v.param_str("algorithm").unwrap().to_ascii_lowercase()
}

fn ran(what: &str, o: &Output, want_code: i32) -> Result<String, String> {
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    match o.status.code() {
        Some(code) if code == want_code => Ok(stdout),
        code => Err(format!(
            "{what}: exit {code:?}, want {want_code}: {}{stdout}",
            String::from_utf8_lossy(&o.stderr)
        )),
    }
}

fn sign(v: &Vector, dir: &std::path::Path) -> Result<(), String> {
    let key = vectors::path(v.file_path("private_key").unwrap());
    let want = v.expect_text("signature").unwrap();
    let message = dir.join(format!("{}.txt", v.id));
    std::fs::write(&message, v.expect_text("sign_string").unwrap()).unwrap();
    let args = ["sign", "--key", &key, "--alg", &alg(v), "--raw"].map(String::from);
    let mut raw = args.to_vec();
    raw.push(message.to_string_lossy().into_owned());
    let got = ran("sign --raw", &baidupay(&raw), 0)?;
    if got.trim() != want.trim() {
        return Err(format!("sign --raw printed {got}"));
    }
    if let Some(fields) = v.fields() {
        let mut args = ["sign", "--key", &key, "--alg", &alg(v), "--rules"]
            .map(String::from)
            .to_vec();
        args.push(v.param_str("rules").unwrap().to_owned());
        for (k, x) in fields {
            args.push("--param".into());
            args.push(format!("{k}={x}"));
        }
        let got = ran("sign --param", &baidupay(&args), 0)?;
        if got.trim() != want.trim() {
            return Err(format!("sign --param printed {got}"));
        }
    }
    Ok(())
}

fn notify(v: &Vector, dir: &std::path::Path) -> Result<(), String> {
    let body = dir.join(format!("{}.form", v.id));
    std::fs::write(&body, v.body()).unwrap();
    let args = [
        "verify",
        "--pubkey",
        &vectors::path(v.file_path("public_key").unwrap()),
        "--form",
        &body.to_string_lossy(),
        "--rules",
        v.param_str("rules").unwrap(),
        "--alg",
        &alg(v),
    ]
    .map(String::from);
    let want_code = match v.expected_error() {
        None => 0,
        Some("bad-signature") => 1,
        Some("duplicate-parameter") => 2,
        Some(other) => return Err(format!("no exit code for {other}")),
    };
    ran("verify --form", &baidupay(&args), want_code).map(|_| ())
}

#[test]
fn every_signing_and_callback_vector() {
    let dir = tempfile::tempdir().unwrap();
    let ran = vectors::run(&["sign", "notify"], |v| match v.kind.as_str() {
        "sign" => sign(v, dir.path()),
        "notify" => notify(v, dir.path()),
        other => Err(format!("no runner for {other}")),
    });
    assert!(ran["sign"] >= 12, "{ran:?}");
}
