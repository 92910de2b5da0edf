//! `baidupay notify --kind alipay-trade` on an Alipay notify in GBK (the fixture of
//! baidupay-notify, made by its `tests/fixtures/make_gbk_notify.py`): verified over the GBK
//! bytes, the values printed as UTF-8 JSON; a UTF-8 signature, bytes that are not GBK and an
//! unknown charset are refused with the contract's exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../baidupay-notify/tests/fixtures")
        .join(name)
}

fn notify(body: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baidupay"))
        .args(["notify", "--kind", "alipay-trade", "--pubkey"])
        .arg(fixture("gbk-test-public.pem"))
        .arg("--body")
        .arg(body)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The fixture body with `from` replaced by `to`, written to a temporary file.
fn edited(dir: &tempfile::TempDir, from: &str, to: &str) -> PathBuf {
    let body = std::fs::read_to_string(fixture("gbk-notify.form")).unwrap();
    assert!(body.contains(from), "{from}");
    let path = dir.path().join("edited.form");
    std::fs::write(&path, body.replace(from, to)).unwrap();
    path
}

#[test]
fn a_gbk_notify_verifies_and_prints_utf8() {
    let o = notify(&fixture("gbk-notify.form"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // stdout is UTF-8 JSON with the Chinese text as such
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(out.contains("测试商品：中文标题"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "alipay-trade");
    let n = &v["notification"];
    assert_eq!(n["subject"], "测试商品：中文标题");
    assert_eq!(n["body"], "陶喆同款 朱镕基 签名用GBK编码");
    assert_eq!(n["charset"], "GBK");
    assert_eq!(n["out_trade_no"], "20261205000001");
    assert_eq!(n["total_amount"], "88.88");
    assert_eq!(v["ack"], "success");
}

#[test]
fn a_utf8_signature_exits_1_and_bad_bytes_or_charsets_exit_2() {
    let o = notify(&fixture("gbk-notify-utf8-signed.form"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("signature"), "{}", stderr(&o));

    let dir = tempfile::tempdir().unwrap();
    let o = notify(&edited(&dir, "subject=%B2%E2", "subject=%FF%E2"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("callback field subject is not valid GBK text"),
        "{}",
        stderr(&o)
    );

    let o = notify(&edited(&dir, "charset=GBK", "charset=big5"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("unsupported charset \"big5\""),
        "{}",
        stderr(&o)
    );
}
