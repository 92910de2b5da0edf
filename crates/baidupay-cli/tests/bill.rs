//! The `baidupay bill` and `baidupay reconcile` contract: outputs and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

/// The Baidu bill of `crates/baidupay-cashier/tests/bill.rs` (one file for both tests).
const BAIDU_DAY: &str = include_str!("../../baidupay-cashier/tests/fixtures/baidu-bill-day.csv");

const HEADER: &str = "kind,merchant_order_id,platform_id,refund_id,amount_fen\n";

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

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

fn alipay_zip(variant: &str) -> Vec<u8> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../baidupay-alipay/tests/fixtures/make_alipay_bill.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg(variant)
        .output()
        .expect("python3 is needed for the bill fixtures");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn reconcile(platform: &str, bill: &str, ledger: &str, format: &str) -> Output {
    baidupay(&[
        "reconcile",
        "--platform",
        platform,
        "--bill",
        bill,
        "--ledger",
        ledger,
        "--format",
        format,
    ])
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap()
}

fn types(v: &serde_json::Value) -> Vec<String> {
    v["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["type"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn baidu_bill_prints_normalized_rows() {
    let dir = tempfile::tempdir().unwrap();
    let bill = write(dir.path(), "bill.csv", BAIDU_DAY.as_bytes());
    let o = baidupay(&["bill", "--platform", "baidu", "--file", &bill]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].contains("订单金额(分)"), "{out}");
    assert!(lines[0].contains("备注"), "every column kept: {out}");
    assert!(out.contains("2645985458,T1"), "{out}");
    assert!(!out.contains('`'), "padding removed: {out}");
    assert!(out.contains(",11300,"), "{out}");
    assert!(out.contains("\"某公司, 北京\""), "{out}");

    let o = baidupay(&[
        "bill",
        "--platform",
        "baidu",
        "--file",
        &bill,
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["业务订单号"], "T1");
    assert_eq!(rows[0]["订单金额(分)"], 11300);
    assert_eq!(rows[4]["退款金额(分)"], 20);
    assert_eq!(rows[4]["百度退款单号"], "9001");
}

#[test]
fn baidu_reconcile_clean_and_every_difference() {
    let dir = tempfile::tempdir().unwrap();
    let bill = write(dir.path(), "bill.csv", BAIDU_DAY.as_bytes());
    let clean = write(
        dir.path(),
        "clean.csv",
        format!("{HEADER}payment,T1,2645985458,,11300\npayment,T2,,,50\nrefund,T2,,R2,20\n")
            .as_bytes(),
    );
    for format in ["text", "json"] {
        let o = reconcile("baidu", &bill, &clean, format);
        assert_eq!(code(&o), 0, "{format}: {}{}", stdout(&o), stderr(&o));
    }
    let v = json(&reconcile("baidu", &bill, &clean, "json"));
    assert_eq!(v["matched"], 3);
    assert_eq!(v["bill_totals_ok"], true);
    assert!(v["differences"].as_array().unwrap().is_empty());

    // T1 amount differs, T2 missing in ledger, T3 missing in bill, T3 twice (duplicate).
    let dirty = write(
        dir.path(),
        "dirty.csv",
        format!(
            "{HEADER}payment,T1,,,11200\npayment,T3,,,100\npayment,T3,,,100\nrefund,T2,,R2,20\n"
        )
        .as_bytes(),
    );
    let o = reconcile("baidu", &bill, &dirty, "json");
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1);
    let v = json(&o);
    let mut t = types(&v);
    t.sort();
    assert_eq!(
        t,
        [
            "amount_differs",
            "duplicate",
            "missing_in_bill",
            "missing_in_ledger"
        ]
    );
    let d = v["differences"].as_array().unwrap();
    let ad = d.iter().find(|d| d["type"] == "amount_differs").unwrap();
    assert_eq!(ad["merchant_order_id"], "T1");
    assert_eq!(ad["ledger_fen"], 11200);
    assert_eq!(ad["bill_fen"], 11300);
    assert_eq!(ad["kind"], "payment");
    assert_eq!(v["matched"], 1);

    let o = reconcile("baidu", &bill, &dirty, "text");
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.lines().next().unwrap().contains("matched 1"), "{out}");
    assert_eq!(out.lines().count(), 5, "{out}");
    for ty in [
        "amount_differs",
        "duplicate",
        "missing_in_bill",
        "missing_in_ledger",
    ] {
        assert!(out.contains(ty), "{ty}: {out}");
    }
    assert!(out.contains("amount_differs payment T1"), "{out}");
}

#[test]
fn unreadable_ledger_or_bill_exits_2_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let bill = write(dir.path(), "bill.csv", BAIDU_DAY.as_bytes());
    let bad = write(
        dir.path(),
        "bad.csv",
        format!("{HEADER}payment,T1,,,11300\npayment,T2,,,abc\n").as_bytes(),
    );
    let o = reconcile("baidu", &bill, &bad, "text");
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("line 3"), "{err}");

    let bad_bill = write(
        dir.path(),
        "badbill.csv",
        "业务订单号,订单金额(元)\nT1,1.001\n".as_bytes(),
    );
    let o = baidupay(&["bill", "--platform", "baidu", "--file", &bad_bill]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));

    let zip = write(dir.path(), "bill.zip", &alipay_zip("happy"));
    let o = reconcile("alipay", &zip, &bad, "json");
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("line 3"), "{}", stderr(&o));
}

#[test]
fn alipay_bill_prints_normalized_rows() {
    let dir = tempfile::tempdir().unwrap();
    let zip = write(dir.path(), "bill.zip", &alipay_zip("happy"));
    let o = baidupay(&["bill", "--platform", "alipay", "--file", &zip]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with("支付宝交易号,商户订单号,业务类型"),
        "{out}"
    );
    assert!(lines[0].contains("订单金额（分）"), "{out}");
    assert!(lines[0].contains("备注"), "{out}");
    assert!(
        lines[1].starts_with("2024051322001400001000000001,20240513000001,交易,"),
        "{out}"
    );
    assert!(lines[1].contains(",8888,8888,"), "{out}");
    assert!(lines[3].contains(",-1000,-1000,"), "{out}");
    assert!(lines[3].contains("20240513000001R1"), "{out}");
    assert!(!out.contains('`') && !out.contains('\t'), "{out}");

    let o = baidupay(&[
        "bill",
        "--platform",
        "alipay",
        "--file",
        &zip,
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["商户订单号"], "20240513000002");
    assert_eq!(rows[1]["商品名称"], "商品,带逗号");
    assert_eq!(rows[1]["订单金额（分）"], 10000);
    assert_eq!(rows[2]["退款批次号/请求号"], "20240513000001R1");
}

#[test]
fn alipay_reconcile_clean_and_every_difference() {
    let dir = tempfile::tempdir().unwrap();
    let zip = write(dir.path(), "bill.zip", &alipay_zip("happy"));
    let clean = write(
        dir.path(),
        "clean.csv",
        format!(
            "{HEADER}payment,20240513000001,2024051322001400001000000001,,8888\n\
             payment,20240513000002,,,10000\nrefund,20240513000001,,20240513000001R1,1000\n"
        )
        .as_bytes(),
    );
    for format in ["text", "json"] {
        let o = reconcile("alipay", &zip, &clean, format);
        assert_eq!(code(&o), 0, "{format}: {}{}", stdout(&o), stderr(&o));
    }
    let v = json(&reconcile("alipay", &zip, &clean, "json"));
    assert_eq!(v["matched"], 3);
    assert_eq!(v["bill_totals_ok"], true);

    let dirty = write(
        dir.path(),
        "dirty.csv",
        format!(
            "{HEADER}payment,20240513000001,,,8800\npayment,X9,,,1\n\
             refund,20240513000001,,20240513000001R1,1000\nrefund,20240513000001,,20240513000001R1,1000\n"
        )
        .as_bytes(),
    );
    let o = reconcile("alipay", &zip, &dirty, "json");
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    let mut t = types(&v);
    t.sort();
    assert_eq!(
        t,
        [
            "amount_differs",
            "duplicate",
            "missing_in_bill",
            "missing_in_ledger"
        ]
    );
    let o = reconcile("alipay", &zip, &dirty, "text");
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.contains(
            "amount_differs payment 20240513000001 platform_id=2024051322001400001000000001"
        ),
        "{out}"
    );
    assert!(
        out.contains("missing_in_ledger payment 20240513000002"),
        "{out}"
    );
    assert!(out.contains("missing_in_bill payment X9"), "{out}");
    assert!(out.contains("duplicate refund 20240513000001"), "{out}");
}

#[test]
fn alipay_totals_that_do_not_add_up_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let zip = write(dir.path(), "bill.zip", &alipay_zip("bad_total"));
    let ledger = write(
        dir.path(),
        "ledger.csv",
        format!(
            "{HEADER}payment,20240513000001,,,8888\npayment,20240513000002,,,10000\n\
             refund,20240513000001,,20240513000001R1,1000\n"
        )
        .as_bytes(),
    );
    let o = reconcile("alipay", &zip, &ledger, "json");
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["bill_totals_ok"], false);
    assert_eq!(v["matched"], 3);
}
