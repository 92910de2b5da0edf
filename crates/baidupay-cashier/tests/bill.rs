//! Bill files: the three reports, encodings, separators, zip, stated totals, and reconciliation.

use std::io::Write;

use baidupay_cashier::{
    BillEncoding, BillError, BillReader, BillSection, ORDER_AMOUNT, bill_entries, read_bill,
    read_bill_entries,
};
use baidupay_model::Fen;
use baidupay_model::reconcile::{DifferenceType, Entry, parse_ledger, reconcile};

/// One day's bill in the documented layout (three reports, reordered columns, an unknown
/// column, a quoted comma, a tab-separated report); the CLI tests read the same file.
const DAY: &str = include_str!("fixtures/baidu-bill-day.csv");

fn entries(bytes: &[u8]) -> Result<baidupay_cashier::BillEntries, BillError> {
    read_bill_entries(bytes)
}

#[test]
fn three_reports_reordered_columns_and_an_unknown_one() {
    let rows: Vec<_> = read_bill(DAY.as_bytes(), |r| {
        let rows = r.by_ref().collect::<Result<Vec<_>, _>>()?;
        assert!(r.totals_ok(), "{:?}", r.mismatches());
        assert_eq!(r.encoding(), Some(BillEncoding::Utf8));
        assert_eq!(
            r.sections(),
            [BillSection::All, BillSection::Paid, BillSection::Refunded]
        );
        assert_eq!(r.summary()[0], ("Dealid".into(), "[470193086]".into()));
        Ok(rows)
    })
    .unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[1].get("公司名称"), Some("某公司, 北京"));
    assert_eq!(rows[1].get("百度退款单号"), Some("9001"));
    assert_eq!(rows[2].section, BillSection::Paid);
    assert_eq!(rows[2].get("备注"), Some("x"), "unknown columns are kept");
    assert_eq!(rows[2].amount(ORDER_AMOUNT).unwrap(), Some(Fen::new(11300)));
    assert_eq!(rows[3].amount(ORDER_AMOUNT).unwrap(), Some(Fen::new(50)));
    assert_eq!(rows[4].line, 20);

    let bill = entries(DAY.as_bytes()).unwrap();
    assert_eq!(
        bill.entries,
        [
            Entry::payment("T1", Fen::new(11300)).with_platform_id("2645985458"),
            Entry::payment("T2", Fen::new(50)).with_platform_id("2645985459"),
            Entry::refund("T2", Fen::new(20))
                .with_platform_id("9001")
                .with_refund_id("R2"),
        ]
    );
    let ledger = parse_ledger(
        "kind,merchant_order_id,platform_id,refund_id,amount_fen\n\
         payment,T1,2645985458,,11300\npayment,T2,,,50\nrefund,T2,,R2,20\n",
    )
    .unwrap();
    let report = reconcile(&bill.entries, bill.totals_ok, &ledger).unwrap();
    assert_eq!(report.matched, 3);
    assert!(report.is_clean(), "{report:?}");
}

#[test]
fn an_all_orders_report_alone_is_split_by_refund_columns() {
    let only_all: String = DAY.lines().take(8).map(|l| format!("{l}\n")).collect();
    let bill = entries(only_all.as_bytes()).unwrap();
    assert!(bill.totals_ok);
    assert_eq!(bill.entries.len(), 2);
    assert_eq!(bill.entries[1].refund_id.as_deref(), Some("R2"));
}

/// `#Dealid:[470193086]`, `#总交易单数:[1]`, `交易时间\t业务订单号\t订单金额(元)\t公司名称`,
/// one row whose company is 爱鲜蜂: GBK, tab-separated.
const GBK: &[u8] = b"#Dealid:[470193086]\r\n#\xd7\xdc\xbd\xbb\xd2\xd7\xb5\xa5\xca\xfd:[1]\r\n\
\xbd\xbb\xd2\xd7\xca\xb1\xbc\xe4\t\xd2\xb5\xce\xf1\xb6\xa9\xb5\xa5\xba\xc5\t\xb6\xa9\xb5\xa5\xbd\xf0\xb6\xee(\xd4\xaa)\t\xb9\xab\xcb\xbe\xc3\xfb\xb3\xc6\r\n\
2021-03-01 10:00:00\tT1\t113.00\t\xb0\xae\xcf\xca\xb7\xe4\r\n";

#[test]
fn gbk_is_detected_and_reported() {
    let (rows, encoding, ok) = read_bill(GBK, |r| {
        let rows = r.by_ref().collect::<Result<Vec<_>, _>>()?;
        Ok((rows, r.encoding(), r.totals_ok()))
    })
    .unwrap();
    assert_eq!(encoding, Some(BillEncoding::Gbk));
    assert!(ok);
    assert_eq!(rows[0].get("业务订单号"), Some("T1"));
    assert_eq!(rows[0].get("公司名称"), Some("爱鲜蜂"));
    let bill = entries(GBK).unwrap();
    assert_eq!(bill.encoding, Some(BillEncoding::Gbk));
    assert_eq!(bill.entries, [Entry::payment("T1", Fen::new(11300))]);
}

#[test]
fn wrong_encodings_are_errors_naming_the_line() {
    let e = entries(b"a,b\n\xff\xfe,1\n").unwrap_err();
    assert!(matches!(e, BillError::Encoding { line: 2 }), "{e:?}");
    assert_eq!(e.to_string(), "bill line 2 is neither UTF-8 nor GBK");
    // UTF-8 first, then a GBK line: never silently re-decided.
    let mut mixed = "交易时间,业务订单号\n".as_bytes().to_vec();
    mixed.extend_from_slice(b"x,\xb0\xae\xcf\xca\xb7\xe4\n");
    let e = entries(&mixed).unwrap_err();
    assert!(
        matches!(
            e,
            BillError::MixedEncoding {
                line: 2,
                encoding: BillEncoding::Utf8
            }
        ),
        "{e:?}"
    );
}

#[test]
fn an_empty_day() {
    let empty = "#Dealid:[1]\n#当日所有订单\n#总交易单数:[0]\n#总交易额(元):[0.00]\n\
                 交易时间,业务订单号,订单金额(元)\n#当日支付订单\n#总交易单数:[0]\n\
                 业务订单号,订单金额(元)\n#当日退款订单\n#总退款金额(元):[0.00]\n";
    let bill = entries(empty.as_bytes()).unwrap();
    assert!(bill.entries.is_empty());
    assert!(bill.totals_ok);
    assert_eq!(bill.encoding, Some(BillEncoding::Utf8));
    let nothing = entries(b"").unwrap();
    assert!(nothing.entries.is_empty());
    assert_eq!(nothing.encoding, None);
    let report = reconcile(&bill.entries, bill.totals_ok, &[]).unwrap();
    assert!(report.is_clean());
}

#[test]
fn totals_that_do_not_add_up() {
    let bad = DAY
        .replacen("#总交易单数:[2]", "#总交易单数:[3]", 1)
        .replace("#总退款金额(元):[0.20]", "#总退款金额(元):[0.21]");
    let (mismatches, bill) = read_bill(bad.as_bytes(), |r| {
        let bill = bill_entries(r)?;
        Ok((r.mismatches().to_vec(), bill))
    })
    .unwrap();
    assert!(!bill.totals_ok);
    assert_eq!(mismatches.len(), 2);
    assert_eq!(mismatches[0].section, BillSection::All);
    assert_eq!(
        (
            mismatches[0].stated.as_str(),
            mismatches[0].computed.as_str()
        ),
        ("3", "2")
    );
    assert_eq!(mismatches[1].section, BillSection::Refunded);
    assert_eq!(mismatches[1].computed, "0.20");
    let ledger: Vec<Entry> = bill.entries.clone();
    let report = reconcile(&bill.entries, bill.totals_ok, &ledger).unwrap();
    assert!(
        !report.is_clean(),
        "a bill whose totals disagree is never clean"
    );
}

#[test]
fn bad_amounts_and_missing_columns_name_the_line() {
    let e = entries("业务订单号,订单金额(元)\nT1,1.234\n".as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bill line 2: invalid amount in column 订单金额(元)"
    );
    assert!(std::error::Error::source(&e).is_some());
    let e = entries("#当日支付订单\n订单金额(元)\n1.00\n".as_bytes()).unwrap_err();
    assert!(
        matches!(e, BillError::MissingColumn { line: 3, .. }),
        "{e:?}"
    );
}

#[test]
fn lines_are_bounded() {
    let mut long = b"a,b\n".to_vec();
    long.resize(long.len() + baidupay_cashier::MAX_LINE + 10, b'x');
    let e = entries(&long).unwrap_err();
    assert!(matches!(e, BillError::LineTooLong { line: 2, .. }), "{e:?}");
}

fn zipped(
    method: zip::CompressionMethod,
    content: &[u8],
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    w.start_file("bill.csv", options)?;
    w.write_all(content)?;
    Ok(w.finish()?.into_inner())
}

#[test]
fn zipped_bills_stream_through() {
    for method in [
        zip::CompressionMethod::Deflated,
        zip::CompressionMethod::Stored,
    ] {
        let bytes = zipped(method, GBK).unwrap();
        let bill = entries(&bytes).unwrap();
        assert_eq!(bill.encoding, Some(BillEncoding::Gbk), "{method:?}");
        assert_eq!(bill.entries, [Entry::payment("T1", Fen::new(11300))]);
    }
    let e = entries(b"PK\x03\x04garbage").unwrap_err();
    assert!(matches!(e, BillError::Zip(_)), "{e:?}");
}

#[test]
fn a_reader_over_a_plain_bufread() {
    let mut r = BillReader::new(&b"x,y\n1,2\n"[..]);
    let row = r.next().unwrap().unwrap();
    assert_eq!(row.get("y"), Some("2"));
    assert!(r.next().is_none());
    assert_eq!(r.encoding(), None);
}

#[test]
fn reconcile_reports_differences_from_a_bill() {
    let bill = entries(DAY.as_bytes()).unwrap();
    let ledger = parse_ledger(
        "amount_fen,kind,merchant_order_id,platform_id,refund_id\n11300,payment,T1,,\n51,payment,T2,,\n",
    )
    .unwrap();
    let report = reconcile(&bill.entries, bill.totals_ok, &ledger).unwrap();
    let kinds: Vec<_> = report.differences.iter().map(|d| d.difference).collect();
    assert_eq!(
        kinds,
        [
            DifferenceType::AmountDiffers,
            DifferenceType::MissingInLedger
        ]
    );
}

#[test]
fn quotes_inside_a_value_are_kept() {
    // CSV: the splitter unquotes `"A""1"` to `A"1`; a bare quote inside a cell stays too.
    let mut r = BillReader::new(&b"id,note\n\"A\"\"1\",x\"y\n"[..]);
    let row = r.next().unwrap().unwrap();
    assert_eq!(row.get("id"), Some("A\"1"));
    assert_eq!(row.get("note"), Some("x\"y"));
    // tab-separated: one enclosing pair goes, padding and a leading backquote too.
    let mut r = BillReader::new(&b"id\tnote\n\"B\"\"2\" \t `123\"\n"[..]);
    let row = r.next().unwrap().unwrap();
    assert_eq!(row.get("id"), Some("B\"2"));
    assert_eq!(row.get("note"), Some("123\""));
}
