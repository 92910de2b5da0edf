//! The Alipay bill parsers on arbitrary bytes, never a panic: the input as a ZIP archive
//! (`BillArchive`), and split at the first `\n==\n` into a detail CSV (`DetailRows`) and a
//! summary CSV (`BillSummary`), read on their own and inside a valid ZIP built around them
//! (stored or deflated, by the input's length), which reaches `BillArchive::read_all` and the
//! totals check past the archive layer. Reading the files alone and in the archive agree.
#![no_main]

use std::io::Cursor;

use baidupay_alipay::bill::{BillArchive, BillSummary, DetailRows};
use libfuzzer_sys::fuzz_target;

const SEPARATOR: &[u8] = b"\n==\n";

fuzz_target!(|data: &[u8]| {
    if let Ok(mut archive) = BillArchive::new(Cursor::new(data)) {
        let _ = archive.entry_names();
        let _ = archive.read_all();
        if let Ok(rows) = archive.detail_rows() {
            rows.for_each(drop);
        }
    }

    let (detail, summary) = match data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        Some(i) => (&data[..i], &data[i + SEPARATOR.len()..]),
        None => (data, data),
    };
    let rows = DetailRows::new(detail).map(|mut r| {
        let rows: Vec<_> = r.by_ref().collect();
        (rows, r.totals().clone())
    });
    let sum = BillSummary::read(summary);
    if let (Ok((rows, totals)), Ok(s)) = (&rows, &sum)
        && rows.iter().all(Result::is_ok)
    {
        let _ = s.check(totals);
    }

    let zip = baidupay_fuzz::zip_of(
        &[
            ("2088_20240513_业务明细.csv", detail),
            ("2088_20240513_业务明细(汇总).csv", summary),
        ],
        data.len() % 2 == 1,
    );
    let mut archive = BillArchive::new(Cursor::new(zip)).expect("a valid archive opens");
    let bill = archive.read_all();
    match (&rows, &sum, &bill) {
        (Ok((rows, totals)), Ok(_), Ok(bill)) => {
            assert_eq!(rows.len(), bill.rows.len());
            assert!(rows.iter().all(Result::is_ok));
            assert_eq!(totals, &bill.totals);
        }
        (Err(_), _, Ok(_)) | (_, Err(_), Ok(_)) => {
            panic!("a file refused alone was accepted in the archive")
        }
        _ => {}
    }
});
