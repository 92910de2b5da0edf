//! An Alipay bill that cannot be read (not a ZIP, a truncated ZIP, an archive without the
//! detail entry) exits 2 from `baidupay bill` and `baidupay reconcile`, with one line on
//! stderr saying why.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output};

fn baidupay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baidupay"))
        .args(args)
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

/// A well-formed bill archive (the fixture script of the alipay crate).
fn happy_zip() -> Vec<u8> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../baidupay-alipay/tests/fixtures/make_alipay_bill.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg("happy")
        .output()
        .expect("python3 is needed for the bill fixtures");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A ZIP holding only the summary entry (`…业务明细(汇总).csv`, GBK name), no detail entry.
fn zip_without_detail() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // 20880000000000000156_20240513_业务明细(汇总).csv in GBK
    let mut name = b"20880000000000000156_20240513_".to_vec();
    name.extend_from_slice(b"\xd2\xb5\xce\xf1\xc3\xf7\xcf\xb8(\xbb\xe3\xd7\xdc).csv");
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .name(&name);
    zip.start_file_with_options(options).unwrap();
    zip.write_all(b"#summary\r\n").unwrap();
    zip.finish().unwrap().into_inner()
}

/// Runs `bill` and `reconcile` on `bill`: both exit 2 with one stderr line holding `reason`.
fn exits_2(dir: &Path, bill: &str, reason: &str) {
    let ledger = write(
        dir,
        "ledger.csv",
        b"kind,merchant_order_id,platform_id,refund_id,amount_fen\npayment,20240513000001,,,8888\n",
    );
    for o in [
        baidupay(&["bill", "--platform", "alipay", "--file", bill]),
        baidupay(&[
            "reconcile",
            "--platform",
            "alipay",
            "--bill",
            bill,
            "--ledger",
            &ledger,
        ]),
    ] {
        let err = String::from_utf8(o.stderr.clone()).unwrap();
        assert_eq!(o.status.code(), Some(2), "{reason}: {err}");
        assert!(o.stdout.is_empty(), "{reason}: nothing on stdout");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("not a readable bill") && err.contains(reason),
            "{reason}: {err}"
        );
    }
}

#[test]
fn a_file_that_is_not_a_zip_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "bill.csv",
        "支付宝交易号,商户订单号\n2024,1\n".as_bytes(),
    );
    exits_2(dir.path(), &csv, "not a ZIP");
}

#[test]
fn a_truncated_zip_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let zip = happy_zip();
    // the happy archive itself is readable
    let whole = write(dir.path(), "whole.zip", &zip);
    let o = baidupay(&["bill", "--platform", "alipay", "--file", &whole]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for cut in [zip.len() / 2, zip.len() - 10, 30] {
        let truncated = write(dir.path(), "truncated.zip", &zip[..cut]);
        exits_2(dir.path(), &truncated, "truncated");
    }
}

#[test]
fn an_archive_without_the_detail_entry_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let zip = write(dir.path(), "summary-only.zip", &zip_without_detail());
    exits_2(dir.path(), &zip, "no entry ending in 业务明细.csv");
}
