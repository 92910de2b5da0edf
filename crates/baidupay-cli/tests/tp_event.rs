//! `baidupay notify --kind tp-event|tp-audit` and `baidupay tp-seal` against an independent
//! implementation of the envelope (Python hashlib + `cryptography`): every mutated field is
//! refused with exit 1, a body that is not an envelope with exit 2.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../baidupay-notify/tests/support/reference.rs"]
mod support;

use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use support::{assert_reference_opens, reference, run_with_stdin};

const TOKEN: &str = "cli-token";
const AES_KEY: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFZ";
const TP_ID: &str = "7777";
const AUDIT: &str = r#"{"appId":16102234,"tpAppId":7777,"eventTime":"2019-01-14 12:45:10","event":"APP_PAYMENT_CREATE_ACCOUNT_PASS"}"#;

/// Runs `baidupay` with no TP secret in the environment and an empty standard input.
fn run_without_env(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baidupay"))
        .args(args)
        .args(["--body", "-"])
        .env_remove("BAIDUPAY_TP_TOKEN")
        .env_remove("BAIDUPAY_TP_AES_KEY")
        .env_remove("BAIDUPAY_TP_ID")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs `baidupay` with the TP secrets in the environment and `body` on standard input.
fn run(args: &[&str], body: &str) -> Output {
    run_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_baidupay"))
            .args(args)
            .args(["--body", "-"])
            .env("BAIDUPAY_TP_TOKEN", TOKEN)
            .env("BAIDUPAY_TP_AES_KEY", AES_KEY)
            .env("BAIDUPAY_TP_ID", TP_ID),
        body.as_bytes(),
    )
    .unwrap()
}

fn tp_event(body: &str) -> Output {
    run(&["notify", "--kind", "tp-event"], body)
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn reference_seal(message: &str, tamper: Value) -> Value {
    let mut req = json!({
        "op": "seal", "token": TOKEN, "aes_key": AES_KEY, "tp_id": TP_ID,
        "message_b64": STANDARD.encode(message), "nonce": "4464221", "timestamp": 1_535_551_395,
        "random_hex": "000102030405060708090a0b0c0d0e0f",
    });
    req.as_object_mut()
        .unwrap()
        .extend(tamper.as_object().unwrap().clone());
    reference(&req)
}

#[test]
fn a_reference_envelope_prints_the_documented_json() {
    let o = tp_event(&reference_seal(AUDIT, json!({})).to_string());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v,
        json!({
            "kind": "tp-event",
            "event": "APP_PAYMENT_CREATE_ACCOUNT_PASS",
            "notification": serde_json::from_str::<Value>(AUDIT).unwrap(),
            "ack": "success",
        })
    );
    // tp-audit opens the same envelope and types it
    let o = run(
        &["notify", "--kind", "tp-audit"],
        &reference_seal(AUDIT, json!({})).to_string(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["notification"]["event"],
        "APP_PAYMENT_CREATE_ACCOUNT_PASS"
    );
}

#[test]
fn tp_seal_output_opens_in_the_reference_and_in_notify() {
    let message = r#"{"Ticket":"t-42","FromUserName":"SmartAPP","CreateTime":"1413192605","MsgType":"ticket","Event":"push"}"#;
    let o = run(&["tp-seal"], message);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let envelope = String::from_utf8(o.stdout).unwrap();
    let fields: Value = serde_json::from_str(&envelope).unwrap();
    let now: i64 = fields["TimeStamp"].as_str().unwrap().parse().unwrap();
    assert!(now > 1_700_000_000, "{now}");
    assert!(!fields["Nonce"].as_str().unwrap().is_empty());
    assert_reference_opens([TOKEN, AES_KEY, TP_ID], envelope.trim(), message.as_bytes());
    let o = tp_event(&envelope);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["event"].as_str(), v["notification"]["Ticket"].as_str()),
        (Some("ticket"), Some("t-42"))
    );
}

#[test]
fn every_mutated_field_is_refused_with_exit_1() {
    let good = reference_seal(AUDIT, json!({}));
    let mut bodies: Vec<(String, Value)> = Vec::new();
    for field in ["MsgSignature", "Nonce", "TimeStamp"] {
        let mut v = good.clone();
        let s = v[field].as_str().unwrap().to_owned();
        let last = if s.ends_with('1') { '2' } else { '1' };
        v[field] = Value::from(format!("{}{last}", &s[..s.len() - 1]));
        bodies.push((field.to_owned(), v));
    }
    let ciphertext = STANDARD.decode(good["Encrypt"].as_str().unwrap()).unwrap();
    for i in [0, 17, ciphertext.len() / 2, ciphertext.len() - 1] {
        let mut c = ciphertext.clone();
        c[i] ^= 0x01;
        let mut v = good.clone();
        v["Encrypt"] = Value::from(STANDARD.encode(&c));
        bodies.push((format!("ciphertext byte {i}"), v));
    }
    // tampered plaintexts under a correct signature: only the key holder can make these
    let fill = |pad: &str| {
        let n = 32 - (20 + AUDIT.len() + TP_ID.len() + pad.len() / 2) % 32;
        format!("{}{pad}", "41".repeat(n))
    };
    for (what, tamper) in [
        ("padding byte 0", json!({"pad_hex": fill("00")})),
        (
            "padding byte 33",
            json!({"pad_hex": fill(&"21".repeat(33))}),
        ),
        ("unequal padding bytes", json!({"pad_hex": fill("0103")})),
        (
            "length prefix too long",
            json!({"length": AUDIT.len() + TP_ID.len() + 1}),
        ),
        ("length prefix 2^32-1", json!({"length": u32::MAX})),
        ("another TP id", json!({"id": "7778"})),
        ("no TP id", json!({"id": ""})),
    ] {
        bodies.push((what.to_owned(), reference_seal(AUDIT, tamper)));
    }
    // another valid key: same token, so the signature verifies and decryption fails
    let other = baidupay_notify::TpEventKeys::new(TOKEN, &"Q".repeat(43), TP_ID).unwrap();
    bodies.push((
        "another AES key".to_owned(),
        serde_json::from_str(
            &other
                .seal(AUDIT.as_bytes(), "1", 2, [3; 16])
                .unwrap()
                .to_json(),
        )
        .unwrap(),
    ));
    for (what, body) in bodies {
        let o = tp_event(&body.to_string());
        assert_eq!(code(&o), 1, "{what}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{what}");
        let err = stderr(&o);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("TP event refused"), "{what}: {err}");
        assert!(!err.contains(TOKEN) && !err.contains(AES_KEY), "{err}");
    }
}

#[test]
fn bodies_that_are_not_envelopes_exit_2() {
    let keys = baidupay_notify::TpEventKeys::new(TOKEN, AES_KEY, TP_ID).unwrap();
    let not_base64 = json!({"Nonce":"1","TimeStamp":"2","Encrypt":"%%%",
        "MsgSignature": keys.msg_signature("2", "1", "%%%")});
    let not_object = keys.seal(b"[1]", "1", 2, [0; 16]).unwrap().to_json();
    for body in [
        AUDIT.to_owned(),
        "garbage".to_owned(),
        "{}".to_owned(),
        not_base64.to_string(),
        not_object,
    ] {
        let o = tp_event(&body);
        assert_eq!(code(&o), 2, "{body}: {}", stderr(&o));
    }
}

#[test]
fn tp_audit_refuses_a_plain_push_unless_allowed() {
    let o = run_without_env(&["notify", "--kind", "tp-audit"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unauthenticated"), "{}", stderr(&o));
    // with the keys, a plain push is still refused, and the reason says why
    let o = run(&["notify", "--kind", "tp-audit"], AUDIT);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--allow-plaintext"), "{}", stderr(&o));
    let o = run(
        &["notify", "--kind", "tp-audit", "--allow-plaintext"],
        AUDIT,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // an authentic event that is not an audit push
    let o = run(
        &["notify", "--kind", "tp-audit"],
        &reference_seal(r#"{"event":"UNAUTHORIZED","appId":1}"#, json!({})).to_string(),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("UNAUTHORIZED"), "{}", stderr(&o));
}

#[test]
fn missing_or_invalid_secrets_exit_2_naming_the_flag() {
    let o = run_without_env(&[
        "notify",
        "--kind",
        "tp-event",
        "--tp-token",
        "t",
        "--tp-id",
        "1",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--aes-key"), "{}", stderr(&o));
    let o = run(
        &["notify", "--kind", "tp-event", "--aes-key", "tooshort"],
        "{}",
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("EncodingAESKey"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("tooshort"), "{}", stderr(&o));
}
