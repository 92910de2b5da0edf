//! The `baidupay` command contract: outputs and exit codes of keygen, sign, verify and notify.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};
use support::{http_exchange, serve_sandbox};

const TV1_SIGNATURE: &str = "TN0ZNPyQeTnPjCN5hUa7JwrXOhR8uDASXPazidVQHFSiGCH5aouBkVvJxtf8PeqzGYWAASwS2oOt2eJfunzC5dTFd/pWJeJToMgCSgRY7KtQUCCDnMrtpqiMAf+dLiXps3HpWhVB4CK6MXfHc64ejP5a2fu5bg8B0BTcHrqaGc0=";
const TV1_PARAMS: [&str; 8] = [
    "--param",
    "appKey=MMMabc",
    "--param",
    "dealId=470193086",
    "--param",
    "totalAmount=11300",
    "--param",
    "tpOrderId=3028903626",
];

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../vectors")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn baidupay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baidupay"))
        .args(args)
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn assert_one_line_reason(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "stderr must be one line: {err:?}"
    );
    assert!(
        err.contains(needle),
        "stderr {err:?} should mention {needle:?}"
    );
}

#[test]
fn sign_show_string_prints_the_canonical_string_on_stderr() {
    let key = fixture("baidu/tv1-doc2021-private-pkcs1.pem");
    let mut args = vec![
        "sign",
        "--key",
        &key,
        "--show-string",
        "--param",
        "rsaSign=ignored",
    ];
    args.extend(TV1_PARAMS);
    let o = baidupay(&args);
    assert_eq!(code(&o), 0);
    assert_eq!(
        stderr(&o),
        "appKey=MMMabc&dealId=470193086&totalAmount=11300&tpOrderId=3028903626\n"
    );
    assert_eq!(stdout(&o).trim(), TV1_SIGNATURE);
}

#[test]
fn sign_raw_signs_the_bytes_exactly() {
    let key = fixture("baidu/tv1-doc2021-private-pkcs8.pem");
    let msg = fixture("baidu/tv1-message.txt");
    let o = baidupay(&["sign", "--key", &key, "--raw", &msg]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o).trim(), TV1_SIGNATURE);
    // alipay rules default to rsa-sha256: a different signature
    let o = baidupay(&["sign", "--key", &key, "--raw", &msg, "--rules", "alipay"]);
    assert_eq!(code(&o), 0);
    assert_ne!(stdout(&o).trim(), TV1_SIGNATURE);
    let o2 = baidupay(&["sign", "--key", &key, "--raw", &msg, "--alg", "rsa-sha256"]);
    assert_eq!(stdout(&o), stdout(&o2));
}

#[test]
fn sign_form_signs_the_decoded_body() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.form");
    std::fs::write(
        &body,
        "tpOrderId=3028903626&totalAmount=11300&dealId=470193086&appKey=MMMabc&sign_type=x",
    )
    .unwrap();
    let key = fixture("baidu/tv1-doc2021-private-pkcs1.pem");
    let o = baidupay(&["sign", "--key", &key, "--form", body.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), TV1_SIGNATURE);
}

#[test]
fn verify_exit_codes() {
    let public = fixture("baidu/tv1-doc2021-public.pem");
    let msg = fixture("baidu/tv1-message.txt");
    // 0: verifies
    let mut args = vec!["verify", "--pubkey", &public, "--signature", TV1_SIGNATURE];
    args.extend(TV1_PARAMS);
    assert_eq!(code(&baidupay(&args)), 0);
    let o = baidupay(&[
        "verify",
        "--pubkey",
        &public,
        "--signature",
        TV1_SIGNATURE,
        "--raw",
        &msg,
    ]);
    assert_eq!(code(&o), 0);
    // 1: does not verify (changed amount)
    let mut args = vec!["verify", "--pubkey", &public, "--signature", TV1_SIGNATURE];
    args.extend(TV1_PARAMS);
    args[10] = "totalAmount=11301";
    let o = baidupay(&args);
    assert_eq!(code(&o), 1);
    assert_one_line_reason(&o, "does not verify");
    // 1: not even base64
    let o = baidupay(&[
        "verify",
        "--pubkey",
        &public,
        "--signature",
        "%%%",
        "--raw",
        &msg,
    ]);
    assert_eq!(code(&o), 1);
    assert_one_line_reason(&o, "base64");
    // 2: private key given as the public key
    let private = fixture("baidu/tv1-doc2021-private-pkcs1.pem");
    let o = baidupay(&[
        "verify",
        "--pubkey",
        &private,
        "--signature",
        TV1_SIGNATURE,
        "--raw",
        &msg,
    ]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "expected a public key");
    // 2: unreadable key file
    let o = baidupay(&[
        "verify",
        "--pubkey",
        "/nonexistent/key.pem",
        "--signature",
        TV1_SIGNATURE,
        "--raw",
        &msg,
    ]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "cannot read");
    // 2: no signature anywhere
    let o = baidupay(&["verify", "--pubkey", &public, "--raw", &msg]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "no signature");
}

#[test]
fn verify_form_uses_the_embedded_signature() {
    let platform = fixture("baidu/tv2-demo-platform-public.pem");
    let body = fixture("baidu/tv2-payment-notify-body.form");
    let o = baidupay(&[
        "verify",
        "--pubkey",
        &platform,
        "--form",
        &body,
        "--show-string",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("promoDetail=&promoMoney=0&returnData=&status=2"));

    let alipay = fixture("alipay/n1-alipay-public-key.txt");
    let n1 = fixture("alipay/n1-trade-notify-body.form");
    let o = baidupay(&[
        "verify",
        "--pubkey",
        &alipay,
        "--form",
        &n1,
        "--rules",
        "alipay-notify",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // V2 rules keep sign_type: this notification does not verify under them
    let o = baidupay(&[
        "verify", "--pubkey", &alipay, "--form", &n1, "--rules", "alipay",
    ]);
    assert_eq!(code(&o), 1);
    // an explicit --signature wins over the embedded one
    let o = baidupay(&[
        "verify",
        "--pubkey",
        &platform,
        "--form",
        &body,
        "--signature",
        TV1_SIGNATURE,
    ]);
    assert_eq!(code(&o), 1);
}

#[test]
fn malformed_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let key = fixture("baidu/tv1-doc2021-private-pkcs1.pem");
    // malformed form body
    let bad = dir.path().join("bad.form");
    std::fs::write(&bad, "a=%ZZ").unwrap();
    let o = baidupay(&["sign", "--key", &key, "--form", bad.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "malformed form body");
    // duplicate parameter
    let dup = dir.path().join("dup.form");
    std::fs::write(&dup, "a=1&a=2").unwrap();
    let o = baidupay(&["sign", "--key", &key, "--form", dup.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "duplicate parameter `a`");
    // --param without '='
    let o = baidupay(&["sign", "--key", &key, "--param", "novalue"]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "not K=V");
    // two inputs at once, unknown rules, missing input: usage errors
    let o = baidupay(&["sign", "--key", &key, "--param", "a=1", "--raw", &key]);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
    let o = baidupay(&["sign", "--key", &key, "--param", "a=1", "--rules", "wechat"]);
    assert_eq!(code(&o), 2);
    let o = baidupay(&["sign", "--key", &key]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "--param");
    // a certificate is not a private key
    let o = baidupay(&[
        "sign",
        "--key",
        &fixture("alipay/java_prodcert_app.crt"),
        "--param",
        "a=1",
    ]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "expected a private key");
}

#[test]
fn keygen_writes_three_files_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keys");
    let out_s = out.to_str().unwrap();
    let o = baidupay(&["keygen", "--bits", "1024", "--out", out_s]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let private = std::fs::read_to_string(out.join("private_key.pem")).unwrap();
    let public = std::fs::read_to_string(out.join("public_key.pem")).unwrap();
    let txt = std::fs::read_to_string(out.join("public_key.txt")).unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(txt.trim_end().lines().count(), 1);
    assert!(
        txt.starts_with("MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ"),
        "1024-bit SPKI: {txt}"
    );
    assert_eq!(stdout(&o), txt);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(out.join("private_key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // the pair works end to end through sign and verify, with either public file
    let key = out.join("private_key.pem");
    let s = baidupay(&["sign", "--key", key.to_str().unwrap(), "--param", "a=1"]);
    let sig = stdout(&s);
    for public in ["public_key.pem", "public_key.txt"] {
        let p = out.join(public);
        let v = baidupay(&[
            "verify",
            "--pubkey",
            p.to_str().unwrap(),
            "--signature",
            sig.trim(),
            "--param",
            "a=1",
        ]);
        assert_eq!(code(&v), 0, "{public}: {}", stderr(&v));
    }
    // refuses to overwrite
    let again = baidupay(&["keygen", "--bits", "1024", "--out", out_s]);
    assert_eq!(code(&again), 2);
    assert_one_line_reason(&again, "refusing to overwrite");
    assert_eq!(
        std::fs::read_to_string(out.join("private_key.pem")).unwrap(),
        private
    );
    // unsupported size
    let o = baidupay(&[
        "keygen",
        "--bits",
        "512",
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn help_and_version_exit_0() {
    let o = baidupay(&["--help"]);
    assert_eq!(code(&o), 0);
    for cmd in ["keygen", "sign", "verify"] {
        assert!(stdout(&o).contains(cmd), "help lists {cmd}");
    }
    let o = baidupay(&["--version"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with("baidupay "));
    assert_eq!(code(&baidupay(&[])), 2);
}

#[test]
fn notify_verifies_tv2_and_prints_notification_and_ack() {
    let args = |body: &str| {
        vec![
            "notify".to_owned(),
            "--kind".into(),
            "baidu-payment".into(),
            "--pubkey".into(),
            fixture("baidu/tv2-demo-platform-public.pem"),
            "--body".into(),
            body.to_owned(),
        ]
    };
    let body = fixture("baidu/tv2-payment-notify-body.form");
    let o = baidupay(&args(&body).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["kind"], "baidu-payment");
    assert_eq!(v["notification"]["orderId"], 2_645_985_458u64);
    assert_eq!(v["notification"]["tpOrderId"], "18607895241");
    assert_eq!(v["notification"]["totalMoney"], 1);
    assert_eq!(
        v["ack"],
        r#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#
    );

    // 1: one field changed after signing
    let dir = tempfile::tempdir().unwrap();
    let tampered = dir.path().join("tampered.form");
    let text = std::fs::read_to_string(&body).unwrap();
    std::fs::write(&tampered, text.replace("totalMoney=1", "totalMoney=100")).unwrap();
    let o = baidupay(
        &args(tampered.to_str().unwrap())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(code(&o), 1);
    assert_one_line_reason(&o, "does not verify");

    // 2: malformed body
    let bad = dir.path().join("bad.form");
    std::fs::write(&bad, "orderId=%zz").unwrap();
    let o = baidupay(
        &args(bad.to_str().unwrap())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "malformed");

    // 2: a signed kind without --pubkey
    let o = baidupay(&["notify", "--kind", "baidu-refund", "--body", &body]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "--pubkey");
}

#[test]
fn notify_tp_audit_push() {
    let o = baidupay(&[
        "notify",
        "--kind",
        "tp-audit",
        "--allow-plaintext",
        "--body",
        &fixture("tp/audit_push_fail.json"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["notification"]["event"],
        "APP_PAYMENT_CREATE_ACCOUNT_FAIL"
    );
    assert_eq!(v["notification"]["reason"], "失败原因");
    assert_eq!(v["ack"], "success");
    let o = baidupay(&[
        "notify",
        "--kind",
        "tp-audit",
        "--body",
        &fixture("baidu/tv1-message.txt"),
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn notify_alipay_trade_n1() {
    let args = [
        "notify",
        "--kind",
        "alipay-trade",
        "--pubkey",
        &fixture("alipay/n1-alipay-public-key.txt"),
        "--body",
        &fixture("alipay/n1-trade-notify-body.form"),
    ];
    let o = baidupay(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["kind"], "alipay-trade");
    assert_eq!(
        v["notification"]["out_trade_no"],
        "20190815155618536-564-57"
    );
    assert_eq!(v["notification"]["trade_status"], "TRADE_SUCCESS");
    assert_eq!(v["notification"]["total_amount"], "0.10");
    assert_eq!(v["ack"], "success");
    // the Baidu key cannot verify it
    let o = baidupay(&[
        "notify",
        "--kind",
        "alipay-trade",
        "--pubkey",
        &fixture("baidu/tv2-demo-platform-public.pem"),
        "--body",
        &fixture("alipay/n1-trade-notify-body.form"),
    ]);
    assert_eq!(code(&o), 1);
}

#[test]
fn check_order_passes_on_good_output_and_names_broken_items() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    let sig = TV1_SIGNATURE;
    let biz = r#"{\"tpData\":{\"appKey\":\"MMMabc\",\"dealId\":\"470193086\",\"tpOrderId\":\"3028903626\",\"rsaSign\":\"\",\"totalAmount\":\"11300\"}}"#;
    let body = |amount: &str, range: &str| {
        format!(
            r#"{{"appKey":"MMMabc","dealId":"470193086","totalAmount":"{amount}","tpOrderId":"3028903626","dealTitle":"x","signFieldsRange":"{range}","rsaSign":"{sig}","bizInfo":"{biz}"}}"#
        )
    };
    std::fs::write(&good, body("11300", "1")).unwrap();
    let public = fixture("baidu/tv1-doc2021-public.pem");
    let o = baidupay(&[
        "check-order",
        "--pubkey",
        &public,
        "--order-info",
        good.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o).lines().filter(|l| l.starts_with("ok ")).count(),
        7,
        "{}",
        stdout(&o)
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, body("11400", "0")).unwrap();
    let o = baidupay(&[
        "check-order",
        "--pubkey",
        &public,
        "--order-info",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.contains("FAIL  signFieldsRange is 1"), "{out}");
    assert!(out.contains("FAIL  rsaSign verifies"), "{out}");
    assert!(out.contains("FAIL  bizInfo.tpData agrees"), "{out}");
    assert_one_line_reason(&o, "3 of 7 checks failed");

    let not_json = dir.path().join("x.json");
    std::fs::write(&not_json, "orderInfo=1").unwrap();
    let o = baidupay(&[
        "check-order",
        "--pubkey",
        &public,
        "--order-info",
        not_json.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "not JSON");
}

#[test]
fn order_prints_signed_order_info_from_config_and_env() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("baidu/tv1-doc2021-private-pkcs1.pem"),
        dir.path().join("merchant.pem"),
    )
    .unwrap();
    let config = dir.path().join("baidupay.toml");
    std::fs::write(
        &config,
        "[baidu]\napp_key = \"MMMabc\"\ndeal_id = 470193086\nprivate_key = \"merchant.pem\"\n",
    )
    .unwrap();
    let args = [
        "order",
        "--config",
        config.to_str().unwrap(),
        "--tp-order-id",
        "3028903626",
        "--amount",
        "11300",
        "--title",
        "爱鲜蜂",
        "--return-data",
        r#"{"k":"v"}"#,
    ];
    let o = baidupay(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["rsaSign"], TV1_SIGNATURE);
    assert_eq!(v["signFieldsRange"], "1");
    assert_eq!(v["totalAmount"], "11300");
    let biz: serde_json::Value = serde_json::from_str(v["bizInfo"].as_str().unwrap()).unwrap();
    assert_eq!(biz["tpData"]["returnData"]["k"], "v");
    // the printed orderInfo passes check-order
    let printed = dir.path().join("order.json");
    std::fs::write(&printed, stdout(&o)).unwrap();
    let c = baidupay(&[
        "check-order",
        "--pubkey",
        &fixture("baidu/tv1-doc2021-public.pem"),
        "--order-info",
        printed.to_str().unwrap(),
    ]);
    assert_eq!(code(&c), 0, "{}", stdout(&c));
    // an environment variable overrides the file
    let o = Command::new(env!("CARGO_BIN_EXE_baidupay"))
        .args(args)
        .env("BAIDUPAY_BAIDU_APP_KEY", "MMMxyz")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains(r#""appKey":"MMMxyz""#),
        "{}",
        stdout(&o)
    );
    // usage errors: missing key setting, bad amount
    std::fs::write(
        &config,
        "[baidu]\napp_key = \"MMMabc\"\ndeal_id = \"470193086\"\n",
    )
    .unwrap();
    let o = baidupay(&args);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "BAIDUPAY_BAIDU_PRIVATE_KEY");
    let o = baidupay(&[
        "order",
        "--config",
        "/nonexistent/baidupay.toml",
        "--tp-order-id",
        "1",
        "--amount",
        "1",
        "--title",
        "t",
    ]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "cannot read config");
}

#[test]
fn demo_runs_every_step_against_the_sandbox() {
    let o = baidupay(&["demo"]);
    let out = stdout(&o);
    assert_eq!(code(&o), 0, "{out}\n{}", stderr(&o));
    assert!(out.contains("all 43 steps passed"), "{out}");
    // the bills reconciled: clean, then exactly the difference introduced
    assert!(
        out.contains("reconcile the Baidu bills with the ledger")
            && out.contains("both: matched 3, no difference"),
        "{out}"
    );
    assert!(
        out.contains(
            "      matched 2, differences 1, bill totals ok\n      missing_in_ledger refund DEMO-1 "
        ) && out.contains(" refund_id=DEMO-RB-2 ledger_fen=- bill_fen=2000\n"),
        "{out}"
    );
    assert!(
        out.contains("      matched 1, differences 1, bill totals ok\n      amount_differs payment DEMO-ALI-1 ")
            && out.contains(" refund_id=- ledger_fen=8880 bill_fen=8888\n"),
        "{out}"
    );
    for step in [
        "payment notify verified and acknowledged",
        "duplicate notify acknowledged, not applied twice",
        "refund notify verified and acknowledged",
        "refund (20.00) without the audit (isSkipAudit 1)",
        "a notify failed 4 times locks the order",
        "1.0 queryorderdetail (signed)",
        "close an unpaid order (cancelOrder)",
        "Alipay notify verified, applied, answered success",
        "alipay.trade.refund (partial, replayed)",
        "TP: ticket push opened, handed to the chain",
        "TP: admin consents, AUTHORIZED event opened",
        "TP: token expired: one refresh, call retried",
        "TP: payment service, audited, pushed, bound",
        "merchant ledger export (ledger CSV)",
        "Baidu bills of the day (orderBill, capitaBill)",
        "Alipay bill, the day after (ZIP of GBK CSVs)",
        "reconcile the Alipay bill with the ledger",
    ] {
        assert!(
            out.lines().any(|l| l.contains(step) && l.contains(" ok ")),
            "{step}: {out}"
        );
    }
}

#[test]
fn sandbox_db_keeps_merchants_across_a_kill_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.sqlite");
    let keys = dir.path().join("keys");
    let (db, keys) = (db.to_str().unwrap(), keys.to_str().unwrap());
    let public = std::fs::read_to_string(fixture("baidu/tv1-doc2021-public.pem")).unwrap();
    let merchant = serde_json::json!({
        "app_key": "MMMcli", "deal_id": 1, "app_id": 2, "client_id": "c", "client_secret": "s",
        "merchant_public_key": public,
        "notify_url": "http://127.0.0.1:9/pay",
        "refund_audit_url": "http://127.0.0.1:9/audit",
        "refund_notify_url": "http://127.0.0.1:9/refund",
    })
    .to_string();
    let merchant = merchant.as_str();
    {
        let s = serve_sandbox(None, &["--db", db, "--keys", keys]);
        let (status, body) = http_exchange(&s.addr, "POST", "/sandbox/merchants", merchant);
        assert_eq!(status, 201, "{body}");
        let (status, _) = http_exchange(&s.addr, "GET", "/sandbox/merchants/MMMcli", "");
        assert_eq!(status, 200);
    } // killed: SIGKILL, no graceful shutdown
    let s = serve_sandbox(None, &["--db", db, "--keys", keys]);
    let (status, body) = http_exchange(&s.addr, "GET", "/sandbox/merchants/MMMcli", "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"deal_id\":1"), "{body}");
    // registering it again is a conflict: the registration was really kept
    let (status, _) = http_exchange(&s.addr, "POST", "/sandbox/merchants", merchant);
    assert_eq!(status, 409);
    drop(s);
    // without --db, a fresh sandbox does not know it
    let s = serve_sandbox(None, &["--keys", keys]);
    let (status, _) = http_exchange(&s.addr, "GET", "/sandbox/merchants/MMMcli", "");
    assert_eq!(status, 404);
}

#[test]
fn sandbox_refuses_a_db_made_with_another_platform_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.sqlite");
    let db = db.to_str().unwrap();
    let a = dir.path().join("a");
    drop(serve_sandbox(
        None,
        &["--db", db, "--keys", a.to_str().unwrap()],
    ));
    let b = dir.path().join("b");
    let o = baidupay(&[
        "sandbox",
        "--listen",
        "127.0.0.1:0",
        "--db",
        db,
        "--keys",
        b.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert_one_line_reason(&o, "another platform key");
}
