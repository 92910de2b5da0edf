//! Property tests of the Baidu bill reader: generated well-formed bills (UTF-8 with or without
//! a byte-order mark, or GBK; comma- or tab-separated; `\n` or `\r\n`; plain or zipped) read
//! back to exactly the rows and entries they were made from, with their stated totals agreeing;
//! a wrong stated total is reported; arbitrary bytes never panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;

use baidupay_cashier::{
    BillEncoding, BillSection, ORDER_AMOUNT, REFUND_AMOUNT, read_bill, read_bill_entries,
};
use baidupay_model::Fen;
use baidupay_model::reconcile::Entry;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Payment {
    tp_order_id: String,
    baidu_order_id: String,
    fen: u64,
    note: String,
}

#[derive(Debug, Clone)]
struct Refund {
    tp_order_id: String,
    batch_id: String,
    baidu_refund_id: String,
    fen: u64,
    note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Gbk,
}

#[derive(Debug, Clone)]
struct Layout {
    encoding: Encoding,
    tabs: bool,
    crlf: bool,
    zip: Option<bool>,
    amount_style: u8,
    backquote: bool,
}

/// Text for a free-form cell: Chinese, ASCII, commas and inner spaces, never starting or ending
/// with what the reader trims (spaces, quotes, a backquote).
fn note() -> impl Strategy<Value = String> {
    "([a-z0-9某公司北京备注,]([a-z0-9 某公司北京备注,]{0,8}[a-z0-9某公司北京备注,])?)?"
}

fn payment() -> impl Strategy<Value = Payment> {
    (
        "[A-Za-z0-9_]{1,16}",
        "[1-9][0-9]{0,11}",
        0u64..10_000_000_000,
        note(),
    )
        .prop_map(|(tp_order_id, baidu_order_id, fen, note)| Payment {
            tp_order_id,
            baidu_order_id,
            fen,
            note,
        })
}

fn refund() -> impl Strategy<Value = Refund> {
    (
        "[A-Za-z0-9_]{1,16}",
        "[A-Za-z0-9]{1,12}",
        "[1-9][0-9]{0,11}",
        0u64..10_000_000_000,
        note(),
    )
        .prop_map(
            |(tp_order_id, batch_id, baidu_refund_id, fen, note)| Refund {
                tp_order_id,
                batch_id,
                baidu_refund_id,
                fen,
                note,
            },
        )
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        prop_oneof![
            Just(Encoding::Utf8),
            Just(Encoding::Utf8Bom),
            Just(Encoding::Gbk)
        ],
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(None), Just(Some(false)), Just(Some(true))],
        0u8..3,
        any::<bool>(),
    )
        .prop_map(
            |(encoding, tabs, crlf, zip, amount_style, backquote)| Layout {
                encoding,
                tabs,
                crlf,
                zip,
                amount_style,
                backquote,
            },
        )
}

/// An amount as the bill may write it: two decimals, or fewer when they are zeros.
fn yuan(fen: u64, style: u8) -> String {
    let (y, f) = (fen / 100, fen % 100);
    match style {
        1 if f % 10 == 0 => format!("{y}.{}", f / 10),
        2 if f == 0 => y.to_string(),
        _ => format!("{y}.{f:02}"),
    }
}

/// A bill with a 当日支付订单 and a 当日退款订单 report and their stated totals, encoded, and
/// zipped when the layout says so. `count_error` is added to the payment report's stated count.
fn bill(payments: &[Payment], refunds: &[Refund], l: &Layout, count_error: u64) -> Vec<u8> {
    let sep = if l.tabs { "\t" } else { "," };
    let eol = if l.crlf { "\r\n" } else { "\n" };
    let cell = |s: &str| {
        if l.tabs {
            s.to_owned()
        } else {
            format!("\"{s}\"")
        }
    };
    let id = |s: &str| {
        if l.backquote {
            format!("`{s}")
        } else {
            s.to_owned()
        }
    };
    let mut text = String::new();
    let mut line = |parts: &[String]| {
        text.push_str(&parts.join(sep));
        text.push_str(eol);
    };
    line(&["#Dealid:[470193086]".to_owned()]);
    line(&["#当日支付订单".to_owned()]);
    let paid: u64 = payments.iter().map(|p| p.fen).sum();
    let stated_count = payments.len() as u64 + count_error;
    line(&[format!("#总交易单数:[{stated_count}]")]);
    line(&[format!(
        "#总交易额(元)：[{}]",
        Fen::new(paid).to_yuan_string()
    )]);
    line(&["业务订单号", ORDER_AMOUNT, "百度订单号", "备注"].map(str::to_owned));
    for p in payments {
        line(&[
            p.tp_order_id.clone(),
            yuan(p.fen, l.amount_style),
            id(&p.baidu_order_id),
            cell(&p.note),
        ]);
    }
    line(&[String::new()]);
    line(&["#当日退款订单".to_owned()]);
    let refunded: u64 = refunds.iter().map(|r| r.fen).sum();
    line(&[format!("#总交易单数:[{}]", refunds.len())]);
    line(&[format!(
        "#总退款金额(元):[{}]",
        Fen::new(refunded).to_yuan_string()
    )]);
    line(
        &[
            "百度退款单号",
            "业务方退款批次号",
            "业务订单号",
            REFUND_AMOUNT,
            "备注",
        ]
        .map(str::to_owned),
    );
    for r in refunds {
        line(&[
            id(&r.baidu_refund_id),
            r.batch_id.clone(),
            r.tp_order_id.clone(),
            yuan(r.fen, l.amount_style),
            cell(&r.note),
        ]);
    }
    let bytes = match l.encoding {
        Encoding::Utf8 => text.into_bytes(),
        Encoding::Utf8Bom => [&b"\xef\xbb\xbf"[..], text.as_bytes()].concat(),
        Encoding::Gbk => {
            let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
            assert!(!unmappable, "generated text is GBK");
            gbk.into_owned()
        }
    };
    match l.zip {
        None => bytes,
        Some(deflate) => zipped(&bytes, deflate),
    }
}

fn zipped(bytes: &[u8], deflate: bool) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    zip.start_file("orderBill_20210301.csv", options).unwrap();
    zip.write_all(bytes).unwrap();
    zip.finish().unwrap().into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_bills_read_back_exactly(
        payments in proptest::collection::vec(payment(), 0..6),
        refunds in proptest::collection::vec(refund(), 0..6),
        l in layout(),
    ) {
        let bytes = bill(&payments, &refunds, &l, 0);

        let read = read_bill(&bytes[..], |r| {
            let rows = r.by_ref().collect::<Result<Vec<_>, _>>()?;
            Ok((rows, r.mismatches().to_vec(), r.sections().to_vec(), r.encoding(), r.summary().to_vec()))
        });
        let (rows, mismatches, sections, encoding, summary) = read.unwrap();
        prop_assert!(mismatches.is_empty(), "{mismatches:?}");
        prop_assert_eq!(sections, vec![BillSection::Paid, BillSection::Refunded]);
        let expected_encoding = match l.encoding {
            Encoding::Gbk => BillEncoding::Gbk,
            _ => BillEncoding::Utf8,
        };
        prop_assert_eq!(encoding, Some(expected_encoding));
        prop_assert_eq!(summary.len(), 5);
        prop_assert_eq!(&summary[0], &("Dealid".to_owned(), "[470193086]".to_owned()));
        prop_assert_eq!(rows.len(), payments.len() + refunds.len());
        for (row, p) in rows.iter().zip(&payments) {
            prop_assert_eq!(&row.section, &BillSection::Paid);
            prop_assert_eq!(row.get("业务订单号"), Some(p.tp_order_id.as_str()));
            prop_assert_eq!(row.get("百度订单号"), Some(p.baidu_order_id.as_str()));
            prop_assert_eq!(row.get("备注"), Some(p.note.as_str()));
            prop_assert_eq!(row.amount(ORDER_AMOUNT).unwrap(), Some(Fen::new(p.fen)));
        }
        for (row, r) in rows.iter().skip(payments.len()).zip(&refunds) {
            prop_assert_eq!(&row.section, &BillSection::Refunded);
            prop_assert_eq!(row.get("业务方退款批次号"), Some(r.batch_id.as_str()));
            prop_assert_eq!(row.get("百度退款单号"), Some(r.baidu_refund_id.as_str()));
            prop_assert_eq!(row.get("备注"), Some(r.note.as_str()));
            prop_assert_eq!(row.amount(REFUND_AMOUNT).unwrap(), Some(Fen::new(r.fen)));
        }

        let converted = read_bill_entries(&bytes[..]).unwrap();
        let expected: Vec<Entry> = payments
            .iter()
            .map(|p| Entry::payment(&p.tp_order_id, Fen::new(p.fen)).with_platform_id(&p.baidu_order_id))
            .chain(refunds.iter().map(|r| {
                Entry::refund(&r.tp_order_id, Fen::new(r.fen))
                    .with_platform_id(&r.baidu_refund_id)
                    .with_refund_id(&r.batch_id)
            }))
            .collect();
        prop_assert_eq!(converted.entries, expected);
        prop_assert!(converted.totals_ok);
        prop_assert_eq!(converted.encoding, Some(expected_encoding));
    }

    #[test]
    fn a_wrong_stated_count_is_reported(
        payments in proptest::collection::vec(payment(), 0..4),
        l in layout(),
        error in 1u64..1000,
    ) {
        let bytes = bill(&payments, &[], &l, error);
        let converted = read_bill_entries(&bytes[..]).unwrap();
        prop_assert!(!converted.totals_ok);
        prop_assert_eq!(converted.entries.len(), payments.len());
        let mismatches = read_bill(&bytes[..], |r| {
            r.by_ref().for_each(drop);
            Ok(r.mismatches().to_vec())
        })
        .unwrap();
        prop_assert_eq!(mismatches.len(), 1);
        prop_assert_eq!(mismatches[0].name.as_str(), "总交易单数");
        prop_assert_eq!(&mismatches[0].stated, &(payments.len() as u64 + error).to_string());
        prop_assert_eq!(&mismatches[0].computed, &payments.len().to_string());
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        prefix in prop_oneof![
            Just(&b""[..]),
            Just(&b"PK\x03\x04"[..]),
            Just("#当日支付订单\n业务订单号,订单金额(元)\n".as_bytes()),
        ],
    ) {
        let input = [prefix, &bytes[..]].concat();
        let _ = read_bill_entries(&input[..]);
        let rows = read_bill(&input[..], |r| Ok(r.by_ref().collect::<Vec<_>>())).unwrap_or_default();
        // the reader stops at its first error: an error can only be the last item
        let errors = rows.iter().filter(|r| r.is_err()).count();
        prop_assert!(errors == 0 || (errors == 1 && rows.last().is_some_and(Result::is_err)));
    }

    #[test]
    fn arbitrary_rows_after_a_header_never_panic(
        lines in proptest::collection::vec("[0-9a-z,.\\-`#\t \"：:\\[\\]退款支付]{0,40}", 0..16),
        deflate in any::<bool>(),
    ) {
        let mut text = "#当日支付订单\n#总交易单数:[1]\n业务订单号,订单金额(元),百度订单号\n".to_owned();
        for l in &lines {
            text.push_str(l);
            text.push('\n');
        }
        // the same file zipped reads exactly as the plain one
        let zip = zipped(text.as_bytes(), deflate);
        let plain = read_bill_entries(text.as_bytes()).map_err(|e| e.to_string());
        let from_zip = read_bill_entries(&zip[..]).map_err(|e| e.to_string());
        if let Ok(b) = &plain {
            prop_assert!(b.entries.len() <= lines.len());
        }
        prop_assert_eq!(plain, from_zip);
    }
}
