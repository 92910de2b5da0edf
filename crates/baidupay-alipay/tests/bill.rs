//! Bill files as Alipay serves them: ZIPs of GBK CSVs with GBK entry names, made independently
//! of the SDK by `tests/fixtures/make_alipay_bill.py` (Python's `csv` and `zipfile`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::process::Command;

use baidupay_alipay::bill::{Bill, BillArchive, BillError, BillSummary, DetailRows, RowKind};

/// Runs the fixture script: `variant` (and `csv` or `summary` for one file only).
fn fixture(args: &[&str]) -> Vec<u8> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/make_alipay_bill.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 is needed for the bill fixtures");
    assert!(
        out.status.success(),
        "fixture script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn read(variant: &str) -> Result<Bill, BillError> {
    BillArchive::new(Cursor::new(fixture(&[variant])))?.read_all()
}

fn check_happy_rows(bill: &Bill) {
    assert_eq!(bill.rows.len(), 3);
    let r = &bill.rows[0];
    assert_eq!(r.line, 6);
    assert_eq!(r.trade_no, "2024051322001400001000000001");
    assert_eq!(r.out_trade_no, "20240513000001");
    assert_eq!(r.kind, RowKind::Payment);
    assert_eq!(r.order_amount.fen(), 8888);
    assert_eq!(r.received_amount.fen(), 8888);
    assert_eq!(r.refund_request_no, None);
    assert_eq!(r.created, "2024-05-13 17:49:20");
    assert_eq!(r.completed, "2024-05-13 17:49:31");
    assert_eq!(r.get("服务费（元）"), Some("-0.53"));
    assert_eq!(r.get("服务费(元)"), Some("-0.53"));
    assert_eq!(r.get("对方账户"), Some("abc***@163.com"));
    let r = &bill.rows[1];
    assert_eq!(
        r.trade_no, "2024051322001400001000000002",
        "backquote stripped"
    );
    assert_eq!(r.out_trade_no, "20240513000002", "spaces trimmed");
    assert_eq!(r.get("商品名称"), Some("商品,带逗号"));
    let r = &bill.rows[2];
    assert_eq!(r.kind, RowKind::Refund);
    assert_eq!(r.order_amount.fen(), -1000);
    assert_eq!(r.received_amount.fen(), -1000);
    assert_eq!(r.refund_request_no.as_deref(), Some("20240513000001R1"));
    assert_eq!(bill.totals.payments, 2);
    assert_eq!(bill.totals.refunds, 1);
    assert_eq!(bill.totals.amount("商家实收（元）").unwrap().fen(), 17888);
    assert_eq!(bill.totals.amount("服务费（元）").unwrap().fen(), -107);
}

#[test]
fn happy_path() {
    let bill = read("happy").unwrap();
    assert_eq!(
        bill.detail_name,
        "20880000000000000156_20240513_业务明细.csv"
    );
    check_happy_rows(&bill);
    let summary = bill.summary.as_ref().unwrap();
    assert_eq!(summary.total_cell("商家实收（元）"), Some("178.88"));
    assert_eq!(summary.rows.len(), 1);
}

#[test]
fn entry_names_are_decoded_from_gbk() {
    let archive = BillArchive::new(Cursor::new(fixture(&["happy"]))).unwrap();
    assert_eq!(
        archive.summary_name(),
        Some("20880000000000000156_20240513_业务明细(汇总).csv")
    );
}

#[test]
fn columns_reordered_give_the_same_rows() {
    let bill = read("reordered").unwrap();
    check_happy_rows(&bill);
}

#[test]
fn an_unknown_column_is_kept_by_name() {
    let bill = read("unknown").unwrap();
    check_happy_rows(&bill);
    assert!(bill.rows.iter().all(|r| r.get("新字段") == Some("新值")));
}

#[test]
fn an_empty_day_is_an_empty_bill() {
    let bill = read("empty").unwrap();
    assert!(bill.rows.is_empty());
    assert_eq!(bill.totals.payments, 0);
    assert_eq!(bill.totals.amount("订单金额（元）").unwrap().fen(), 0);
}

#[test]
fn without_a_summary_entry_the_rows_still_read() {
    let bill = read("no_summary").unwrap();
    check_happy_rows(&bill);
    assert!(bill.summary.is_none());
}

#[test]
fn the_detail_entry_streams_row_by_row() {
    let mut archive = BillArchive::new(Cursor::new(fixture(&["happy"]))).unwrap();
    let mut rows = archive.detail_rows().unwrap();
    assert_eq!(rows.columns().len(), 25);
    assert!(rows.comments()[1].starts_with("#账号"));
    let first = rows.next().unwrap().unwrap();
    assert_eq!(first.out_trade_no, "20240513000001");
    assert_eq!(rows.totals().payments, 1);
    assert_eq!(rows.by_ref().count(), 2);
    assert_eq!(rows.totals().refunds, 1);
}

#[test]
fn a_plain_csv_reads_from_any_reader() {
    let rows: Vec<_> = DetailRows::new(Cursor::new(fixture(&["happy", "csv"])))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3);
    let summary = BillSummary::read(Cursor::new(fixture(&["happy", "summary"]))).unwrap();
    assert_eq!(summary.total_cell("交易订单总笔数"), Some("2"));
}

#[test]
fn a_truncated_zip_is_a_clear_error() {
    let zip = fixture(&["happy"]);
    for cut in [zip.len() - 10, zip.len() / 2, 30, 0] {
        let err = BillArchive::new(Cursor::new(zip[..cut].to_vec()))
            .and_then(|mut a| a.read_all())
            .unwrap_err();
        assert!(
            matches!(err, BillError::Archive(_)),
            "cut at {cut}: {err:?}"
        );
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}

#[test]
fn a_corrupt_entry_is_an_error_not_rows() {
    // Flip bytes inside the first (detail) entry's compressed data.
    let mut zip = fixture(&["happy"]);
    for b in &mut zip[120..160] {
        *b ^= 0x5A;
    }
    let res = BillArchive::new(Cursor::new(zip)).and_then(|mut a| a.read_all());
    assert!(res.is_err(), "{res:?}");
}

#[test]
fn utf8_text_where_gbk_is_expected_is_detected() {
    let err = read("utf8").unwrap_err();
    assert!(matches!(err, BillError::Utf8InsteadOfGbk { .. }), "{err:?}");
    assert!(err.to_string().contains("UTF-8"), "{err}");
}

#[test]
fn a_total_that_does_not_add_up_is_named() {
    let err = read("bad_total").unwrap_err();
    match &err {
        BillError::TotalMismatch {
            total,
            stated,
            computed,
        } => {
            assert_eq!(total, "汇总 商家实收（元）");
            assert_eq!(stated, "178.89");
            assert_eq!(computed, "178.88");
        }
        other => panic!("{other:?}"),
    }
    let err = read("bad_count").unwrap_err();
    assert!(
        matches!(&err, BillError::TotalMismatch { total, .. } if total == "交易合计"),
        "{err:?}"
    );
    assert!(err.to_string().contains("交易合计"), "{err}");
}

#[test]
fn a_bad_amount_or_short_row_names_the_line_and_column() {
    let err = read("bad_amount").unwrap_err();
    match &err {
        BillError::BadAmount { line, column, .. } => {
            assert_eq!((*line, column.as_str()), (7, "商家实收（元）"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("line 7"), "{err}");
    let err = read("short_row").unwrap_err();
    assert!(
        matches!(
            err,
            BillError::CellCount {
                line: 7,
                expected: 25,
                found: 22
            }
        ),
        "{err:?}"
    );
}

#[test]
fn hand_written_files() {
    // A header without 商户订单号 (GBK bytes written by hand: "支付宝交易号,业务类型").
    let gbk_header = b"#c\r\n\xd6\xa7\xb8\xb6\xb1\xa6\xbd\xbb\xd2\xd7\xba\xc5,\xd2\xb5\xce\xf1\xc0\xe0\xd0\xcd\r\n";
    let err = DetailRows::new(&gbk_header[..]).unwrap_err();
    assert!(
        matches!(
            err,
            BillError::MissingColumn {
                line: 2,
                column: "商户订单号"
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        DetailRows::new(&b"# only comments\n"[..]).unwrap_err(),
        BillError::MissingHeader
    ));
    assert!(matches!(
        DetailRows::new(&b"\xff\xff\n"[..]).unwrap_err(),
        BillError::Encoding { line: 1 }
    ));
    assert!(matches!(
        BillArchive::new(Cursor::new(b"not a zip".to_vec())).unwrap_err(),
        BillError::Archive(_)
    ));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(rows) = DetailRows::new(&bytes[..]) {
                for r in rows { let _ = r; }
            }
            let _ = BillSummary::read(&bytes[..]);
            let _ = BillArchive::new(Cursor::new(bytes)).and_then(|mut a| a.read_all());
        }

        #[test]
        fn arbitrary_lines_after_a_real_header_never_panic(
            lines in proptest::collection::vec("[0-9a-z,.\\-`#\t \"]{0,60}", 0..20)
        ) {
            let mut bytes = empty_csv().to_vec();
            for l in &lines { bytes.extend_from_slice(l.as_bytes()); bytes.push(b'\n'); }
            let mut rows = DetailRows::new(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
            for r in rows.by_ref() { let _ = r; }
        }

        #[test]
        fn a_truncated_fixture_never_panics(cut in 0usize..4000, seed in any::<u8>()) {
            let zip = happy_zip();
            let mut bytes = zip[..cut.min(zip.len())].to_vec();
            if let Some(b) = bytes.get_mut(cut / 2) { *b ^= seed; }
            let _ = BillArchive::new(Cursor::new(bytes)).and_then(|mut a| a.read_all());
        }
    }

    /// A GBK detail file with a header and no rows.
    fn empty_csv() -> &'static [u8] {
        static Z: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        Z.get_or_init(|| fixture(&["empty", "csv"]))
    }

    fn happy_zip() -> &'static [u8] {
        static Z: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        Z.get_or_init(|| fixture(&["happy"]))
    }
}
