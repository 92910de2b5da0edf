//! The Baidu bill reader on arbitrary bytes, never a panic: every row and summary line read,
//! the stated totals checked, the bill converted to reconciliation entries; and the same bytes
//! zipped (stored or deflated, by the input's length) read exactly as the plain file.
#![no_main]

use baidupay_cashier::{BillEntries, BillError, read_bill, read_bill_entries};
use libfuzzer_sys::fuzz_target;

/// Everything the reader gives, as text (rows, summary, sections, totals, encoding).
fn read_all(bytes: &[u8]) -> Result<String, BillError> {
    read_bill(bytes, |reader| {
        let mut out = String::new();
        for row in reader.by_ref() {
            let row = row?;
            let _ = row.to_entry();
            out.push_str(&format!("{row:?}\n"));
        }
        out.push_str(&format!(
            "{:?} {:?} {:?} {:?}",
            reader.summary(),
            reader.sections(),
            reader.mismatches(),
            reader.encoding()
        ));
        Ok(out)
    })
}

fn entries(bytes: &[u8]) -> Result<BillEntries, String> {
    read_bill_entries(bytes).map_err(|e| e.to_string())
}

fuzz_target!(|data: &[u8]| {
    let plain = read_all(data).map_err(|e| e.to_string());
    let plain_entries = entries(data);
    if data.starts_with(b"PK\x03\x04") {
        return;
    }
    let zipped = baidupay_fuzz::zip_of(&[("bill.csv", data)], data.len() % 2 == 1);
    assert_eq!(read_all(&zipped).map_err(|e| e.to_string()), plain);
    assert_eq!(entries(&zipped), plain_entries);
});
