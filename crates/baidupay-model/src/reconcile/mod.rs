//! Reconciliation (对账): a platform's bill rows against the merchant's own ledger.
//!
//! Pure and platform-neutral: the Baidu and Alipay bill parsers convert their rows into
//! [`Entry`] values, the merchant's ledger comes from [`parse_ledger`] (or is built directly), and
//! [`reconcile`] reports what matched and every [`Difference`].
//!
//! # Matching rules
//!
//! * **Payments** match by merchant order id. When both sides know the platform id and the ids
//!   differ, the two are different payments (reported as missing on each side).
//! * **Refunds** match by refund id when both sides carry one; a refund that lacks a refund id on
//!   either side matches an unmatched refund of the same merchant order id and the same amount
//!   (two refunds that both carry refund ids never match this way).
//! * The same payment order id, or the same refund id, twice on one side is a
//!   [`DifferenceType::Duplicate`] (the first occurrence is matched, each later one reported).
//!   Refunds without a refund id cannot be told apart, so repeats of them are matched one to one
//!   and the rest reported as missing.
//! * A matched pair whose amounts differ is [`DifferenceType::AmountDiffers`]; otherwise it counts
//!   in [`Report::matched`].
//!
//! # Example
//!
//! ```
//! use baidupay_model::Fen;
//! use baidupay_model::reconcile::{Entry, parse_ledger, reconcile};
//!
//! let ledger = parse_ledger("kind,merchant_order_id,platform_id,refund_id,amount_fen\npayment,T1,,,11300\n")?;
//! let bill = [Entry::payment("T1", Fen::new(11300)).with_platform_id("2645985458")];
//! let report = reconcile(&bill, true, &ledger)?;
//! assert_eq!(report.matched, 1);
//! assert!(report.differences.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::Fen;

mod ledger;

pub use ledger::{LedgerError, LedgerReader, parse_ledger, split_csv};

/// Whether a row is a payment or a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntryKind {
    /// Money in: a paid order.
    Payment,
    /// Money out: a refund of (part of) an order.
    Refund,
}

impl EntryKind {
    /// The ledger spelling: `payment` or `refund`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::Payment => "payment",
            EntryKind::Refund => "refund",
        }
    }
}

/// One row on either side: a payment or a refund, with its identifiers and amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Entry {
    /// Payment or refund.
    pub kind: EntryKind,
    /// The merchant's order id (Baidu `tpOrderId`, Alipay `out_trade_no`).
    pub merchant_order_id: String,
    /// The platform's id for the payment or refund, when known (Baidu order id / refund id,
    /// Alipay `trade_no`).
    pub platform_id: Option<String>,
    /// The merchant's refund id (Baidu `bizRefundBatchId`, Alipay `out_request_no`), refunds only.
    pub refund_id: Option<String>,
    /// The amount in fen (always positive: the kind says the direction).
    pub amount: Fen,
}

impl Entry {
    /// A payment of `amount` for `merchant_order_id`.
    pub fn payment(merchant_order_id: impl Into<String>, amount: Fen) -> Self {
        Self {
            kind: EntryKind::Payment,
            merchant_order_id: merchant_order_id.into(),
            platform_id: None,
            refund_id: None,
            amount,
        }
    }

    /// A refund of `amount` against `merchant_order_id`.
    pub fn refund(merchant_order_id: impl Into<String>, amount: Fen) -> Self {
        Self {
            kind: EntryKind::Refund,
            ..Self::payment(merchant_order_id, amount)
        }
    }

    /// Sets the platform id (an empty string means unknown).
    #[must_use]
    pub fn with_platform_id(mut self, id: impl Into<String>) -> Self {
        self.platform_id = non_empty(id.into());
        self
    }

    /// Sets the merchant's refund id (an empty string means unknown).
    #[must_use]
    pub fn with_refund_id(mut self, id: impl Into<String>) -> Self {
        self.refund_id = non_empty(id.into());
        self
    }
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

/// What kind of difference a [`Difference`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DifferenceType {
    /// In the ledger, not in the bill (`ledger_fen` set).
    MissingInBill,
    /// In the bill, not in the ledger (`bill_fen` set).
    MissingInLedger,
    /// On both sides with different amounts (both set).
    AmountDiffers,
    /// Repeated on one side: `ledger_fen` set for a ledger repeat, `bill_fen` for a bill repeat.
    Duplicate,
}

/// One difference between the bill and the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Difference {
    /// What kind of difference.
    #[serde(rename = "type")]
    pub difference: DifferenceType,
    /// Payment or refund.
    pub kind: EntryKind,
    /// The merchant order id.
    pub merchant_order_id: String,
    /// The platform id, from whichever side knows it (the bill's first).
    pub platform_id: Option<String>,
    /// The refund id, from whichever side knows it (the ledger's first).
    pub refund_id: Option<String>,
    /// The ledger's amount, when the ledger has the row.
    pub ledger_fen: Option<Fen>,
    /// The bill's amount, when the bill has the row.
    pub bill_fen: Option<Fen>,
}

impl Difference {
    fn new(
        difference: DifferenceType,
        ledger: Option<&Entry>,
        bill: Option<&Entry>,
    ) -> Option<Self> {
        let any = ledger.or(bill)?;
        Some(Self {
            difference,
            kind: any.kind,
            merchant_order_id: any.merchant_order_id.clone(),
            platform_id: bill
                .and_then(|b| b.platform_id.clone())
                .or_else(|| ledger.and_then(|l| l.platform_id.clone())),
            refund_id: ledger
                .and_then(|l| l.refund_id.clone())
                .or_else(|| bill.and_then(|b| b.refund_id.clone())),
            ledger_fen: ledger.map(|l| l.amount),
            bill_fen: bill.map(|b| b.amount),
        })
    }
}

/// Row counts and fen sums on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct Totals {
    /// Number of payment rows.
    pub payments: u64,
    /// Sum of the payment rows.
    pub payments_fen: Fen,
    /// Number of refund rows.
    pub refunds: u64,
    /// Sum of the refund rows.
    pub refunds_fen: Fen,
}

impl Totals {
    /// The counts and sums of `entries`.
    ///
    /// # Errors
    /// [`crate::Error::AmountOutOfRange`] when a sum does not fit a `u64`.
    pub fn of(entries: &[Entry]) -> crate::Result<Self> {
        let mut t = Totals::default();
        for e in entries {
            let (count, sum) = match e.kind {
                EntryKind::Payment => (&mut t.payments, &mut t.payments_fen),
                EntryKind::Refund => (&mut t.refunds, &mut t.refunds_fen),
            };
            *count = count.saturating_add(1);
            *sum = Fen::try_sum([*sum, e.amount])?;
        }
        Ok(t)
    }
}

/// The result of [`reconcile`]; serializes as
/// `{"matched", "differences", "bill_totals_ok", "bill_totals", "ledger_totals"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Rows present on both sides with the same amount.
    pub matched: u64,
    /// Every difference: ledger-side findings in ledger order, then bill-only ones in bill order.
    pub differences: Vec<Difference>,
    /// Whether the bill's own stated totals agree with its rows (as the bill parser found).
    pub bill_totals_ok: bool,
    /// Counts and sums of the bill rows.
    pub bill_totals: Totals,
    /// Counts and sums of the ledger rows.
    pub ledger_totals: Totals,
}

impl Report {
    /// Whether the day reconciles: no differences and the bill's totals add up.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.bill_totals_ok
    }
}

/// Reconciles `bill` against `ledger` by the module's matching rules. `bill_totals_ok` is the bill
/// parser's verdict on the bill's own summary lines and is copied into the report.
///
/// # Errors
/// [`crate::Error::AmountOutOfRange`] when a side's sum does not fit a `u64`.
pub fn reconcile(bill: &[Entry], bill_totals_ok: bool, ledger: &[Entry]) -> crate::Result<Report> {
    let mut r = Report {
        matched: 0,
        differences: Vec::new(),
        bill_totals_ok,
        bill_totals: Totals::of(bill)?,
        ledger_totals: Totals::of(ledger)?,
    };
    payments(&mut r, bill, ledger);
    refunds(&mut r, bill, ledger);
    Ok(r)
}

impl Report {
    fn push(&mut self, d: DifferenceType, ledger: Option<&Entry>, bill: Option<&Entry>) {
        self.differences.extend(Difference::new(d, ledger, bill));
    }

    fn pair(&mut self, ledger: &Entry, bill: &Entry) {
        if ledger.amount == bill.amount {
            self.matched = self.matched.saturating_add(1);
        } else {
            self.push(DifferenceType::AmountDiffers, Some(ledger), Some(bill));
        }
    }
}

/// Splits `entries` of `kind` with a key into the first occurrence per key and the repeats;
/// entries without a key are returned apart.
type Keyed<'a> = (BTreeMap<&'a str, &'a Entry>, Vec<&'a Entry>, Vec<&'a Entry>);

fn keyed<'a>(entries: &'a [Entry], kind: EntryKind, key: fn(&Entry) -> Option<&str>) -> Keyed<'a> {
    let (mut first, mut repeats, mut unkeyed) = (BTreeMap::new(), Vec::new(), Vec::new());
    for e in entries.iter().filter(|e| e.kind == kind) {
        match key(e) {
            Some(k) if first.contains_key(k) => repeats.push(e),
            Some(k) => {
                first.insert(k, e);
            }
            None => unkeyed.push(e),
        }
    }
    (first, repeats, unkeyed)
}

fn order_key(e: &Entry) -> Option<&str> {
    Some(&e.merchant_order_id)
}

fn refund_key(e: &Entry) -> Option<&str> {
    e.refund_id.as_deref()
}

fn payments(r: &mut Report, bill: &[Entry], ledger: &[Entry]) {
    let (mut b_first, b_rep, _) = keyed(bill, EntryKind::Payment, order_key);
    let (_, l_rep, _) = keyed(ledger, EntryKind::Payment, order_key);
    let mut seen = BTreeMap::new();
    for l in ledger.iter().filter(|e| e.kind == EntryKind::Payment) {
        if seen.insert(l.merchant_order_id.as_str(), ()).is_some() {
            continue; // a repeat: reported below
        }
        match b_first.remove(l.merchant_order_id.as_str()) {
            Some(b) if conflicting(&l.platform_id, &b.platform_id) => {
                r.push(DifferenceType::MissingInBill, Some(l), None);
                r.push(DifferenceType::MissingInLedger, None, Some(b));
            }
            Some(b) => r.pair(l, b),
            None => r.push(DifferenceType::MissingInBill, Some(l), None),
        }
    }
    for l in l_rep {
        r.push(DifferenceType::Duplicate, Some(l), None);
    }
    // Bill-only payments in bill order, then the bill's repeats.
    for b in bill.iter().filter(|e| e.kind == EntryKind::Payment) {
        if b_first
            .get(b.merchant_order_id.as_str())
            .is_some_and(|f| std::ptr::eq(*f, b))
        {
            r.push(DifferenceType::MissingInLedger, None, Some(b));
        }
    }
    for b in b_rep {
        r.push(DifferenceType::Duplicate, None, Some(b));
    }
}

fn conflicting(a: &Option<String>, b: &Option<String>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a != b)
}

fn refunds(r: &mut Report, bill: &[Entry], ledger: &[Entry]) {
    let (mut b_first, b_rep, _) = keyed(bill, EntryKind::Refund, refund_key);
    let (_, l_rep, _) = keyed(ledger, EntryKind::Refund, refund_key);
    // Pass 1: by refund id.
    let mut seen = BTreeMap::new();
    let mut l_pool = Vec::new();
    for l in ledger.iter().filter(|e| e.kind == EntryKind::Refund) {
        match l.refund_id.as_deref() {
            Some(k) if seen.insert(k, ()).is_some() => {}
            Some(k) => match b_first.remove(k) {
                Some(b) => r.pair(l, b),
                None => l_pool.push(l),
            },
            None => l_pool.push(l),
        }
    }
    // Pass 2: the rest by (order id, amount), never pairing two different refund ids.
    let b_left: Vec<(usize, &Entry)> = bill
        .iter()
        .enumerate()
        .filter(|(_, b)| {
            b.kind == EntryKind::Refund
                && b.refund_id
                    .as_deref()
                    .is_none_or(|k| b_first.get(k).is_some_and(|f| std::ptr::eq(*f, *b)))
        })
        .collect();
    let mut b_pool: BTreeMap<(&str, Fen), VecDeque<(usize, &Entry)>> = BTreeMap::new();
    for &(i, b) in &b_left {
        b_pool
            .entry((b.merchant_order_id.as_str(), b.amount))
            .or_default()
            .push_back((i, b));
    }
    let mut paired = vec![false; bill.len()];
    for l in l_pool {
        let slot = b_pool.get_mut(&(l.merchant_order_id.as_str(), l.amount));
        let found = slot.and_then(|q| {
            let i = q
                .iter()
                .position(|(_, b)| l.refund_id.is_none() || b.refund_id.is_none())?;
            q.remove(i)
        });
        match found {
            Some((i, b)) => {
                if let Some(p) = paired.get_mut(i) {
                    *p = true;
                }
                r.pair(l, b);
            }
            None => r.push(DifferenceType::MissingInBill, Some(l), None),
        }
    }
    for l in l_rep {
        r.push(DifferenceType::Duplicate, Some(l), None);
    }
    for (i, b) in b_left {
        if !paired.get(i).copied().unwrap_or(false) {
            r.push(DifferenceType::MissingInLedger, None, Some(b));
        }
    }
    for b in b_rep {
        r.push(DifferenceType::Duplicate, None, Some(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "kind,merchant_order_id,platform_id,refund_id,amount_fen\n";

    fn ledger(rows: &str) -> Vec<Entry> {
        parse_ledger(&format!("{HEADER}{rows}")).unwrap()
    }

    fn types(r: &Report) -> Vec<(DifferenceType, &str)> {
        r.differences
            .iter()
            .map(|d| (d.difference, d.merchant_order_id.as_str()))
            .collect()
    }

    #[test]
    fn a_clean_day() {
        let l =
            ledger("payment,T1,,,11300\npayment,T2,B2,,500\nrefund,T1,,R1,300\nrefund,T2,,,100\n");
        let b = [
            Entry::payment("T1", Fen::new(11300)).with_platform_id("B1"),
            Entry::payment("T2", Fen::new(500)).with_platform_id("B2"),
            Entry::refund("T1", Fen::new(300)).with_refund_id("R1"),
            Entry::refund("T2", Fen::new(100)).with_refund_id("R9"),
        ];
        let r = reconcile(&b, true, &l).unwrap();
        assert_eq!(r.matched, 4);
        assert!(r.is_clean(), "{r:?}");
        assert_eq!(r.bill_totals, r.ledger_totals);
        assert_eq!(r.bill_totals.payments_fen, Fen::new(11800));
        assert_eq!(r.bill_totals.refunds, 2);
    }

    #[test]
    fn missing_on_each_side() {
        let l = ledger("payment,T1,,,100\nrefund,T1,,R1,50\n");
        let b = [
            Entry::payment("T2", Fen::new(200)),
            Entry::refund("T1", Fen::new(50)).with_refund_id("R2"),
        ];
        let r = reconcile(&b, true, &l).unwrap();
        assert_eq!(r.matched, 0);
        assert_eq!(
            types(&r),
            [
                (DifferenceType::MissingInBill, "T1"),
                (DifferenceType::MissingInLedger, "T2"),
                (DifferenceType::MissingInBill, "T1"),
                (DifferenceType::MissingInLedger, "T1"),
            ]
        );
        assert_eq!(r.differences[0].ledger_fen, Some(Fen::new(100)));
        assert_eq!(r.differences[0].bill_fen, None);
        assert_eq!(r.differences[1].bill_fen, Some(Fen::new(200)));
        assert_eq!(r.differences[3].refund_id.as_deref(), Some("R2"));
    }

    #[test]
    fn platform_ids_that_disagree_are_different_payments() {
        let l = ledger("payment,T1,B1,,100\n");
        let b = [Entry::payment("T1", Fen::new(100)).with_platform_id("B2")];
        let r = reconcile(&b, true, &l).unwrap();
        assert_eq!(
            types(&r),
            [
                (DifferenceType::MissingInBill, "T1"),
                (DifferenceType::MissingInLedger, "T1")
            ]
        );
    }

    #[test]
    fn amount_differs() {
        let l = ledger("payment,T1,,,100\nrefund,T1,,R1,40\n");
        let b = [
            Entry::payment("T1", Fen::new(101)),
            Entry::refund("T1", Fen::new(50)).with_refund_id("R1"),
        ];
        let r = reconcile(&b, true, &l).unwrap();
        assert_eq!(r.matched, 0);
        let d = &r.differences;
        assert_eq!(d.len(), 2);
        assert!(
            d.iter()
                .all(|d| d.difference == DifferenceType::AmountDiffers)
        );
        assert_eq!(
            (d[0].ledger_fen, d[0].bill_fen),
            (Some(Fen::new(100)), Some(Fen::new(101)))
        );
        assert_eq!(d[1].kind, EntryKind::Refund);
    }

    #[test]
    fn duplicates_on_either_side() {
        let l = ledger("payment,T1,,,100\npayment,T1,,,100\nrefund,T1,,R1,10\n");
        let b = [
            Entry::payment("T1", Fen::new(100)),
            Entry::refund("T1", Fen::new(10)).with_refund_id("R1"),
            Entry::refund("T1", Fen::new(10)).with_refund_id("R1"),
        ];
        let r = reconcile(&b, true, &l).unwrap();
        assert_eq!(r.matched, 2);
        assert_eq!(
            types(&r),
            [
                (DifferenceType::Duplicate, "T1"),
                (DifferenceType::Duplicate, "T1")
            ]
        );
        assert_eq!(r.differences[0].kind, EntryKind::Payment);
        assert_eq!(r.differences[0].ledger_fen, Some(Fen::new(100)));
        assert_eq!(r.differences[1].kind, EntryKind::Refund);
        assert_eq!(r.differences[1].bill_fen, Some(Fen::new(10)));
    }

    #[test]
    fn refunds_without_ids_match_by_order_and_amount_one_to_one() {
        let l = ledger("refund,T1,,,10\nrefund,T1,,,10\nrefund,T1,,,20\n");
        let b = [
            Entry::refund("T1", Fen::new(10)).with_refund_id("R1"),
            Entry::refund("T1", Fen::new(20)),
        ];
        let r = reconcile(&b, true, &l).unwrap();
        assert_eq!(r.matched, 2);
        assert_eq!(types(&r), [(DifferenceType::MissingInBill, "T1")]);
    }

    #[test]
    fn the_report_serializes_as_documented() {
        let l = ledger("payment,T1,,,100\n");
        let r = reconcile(&[], false, &l).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["matched"], 0);
        assert_eq!(v["bill_totals_ok"], false);
        assert_eq!(
            v["differences"][0],
            serde_json::json!({"type": "missing_in_bill", "kind": "payment",
                "merchant_order_id": "T1", "platform_id": null, "refund_id": null,
                "ledger_fen": 100, "bill_fen": null})
        );
        assert_eq!(v["ledger_totals"]["payments_fen"], 100);
        assert!(!r.is_clean());
    }

    #[test]
    fn the_ledger_reader_goes_by_header_name() {
        let text = "\u{feff}note,amount_fen,refund_id,kind,platform_id,merchant_order_id\r\n\
                    x,\"11300\",,payment,B1,\"T,1\"\r\n\n\"y\",5,R1,refund,,T2\r\n";
        let rows = parse_ledger(text).unwrap();
        assert_eq!(
            rows,
            [
                Entry::payment("T,1", Fen::new(11300)).with_platform_id("B1"),
                Entry::refund("T2", Fen::new(5)).with_refund_id("R1"),
            ]
        );
        let lines = [
            "kind,merchant_order_id,platform_id,refund_id,amount_fen",
            "payment,T,,,1",
        ];
        assert_eq!(LedgerReader::new(lines).count(), 1);
    }

    #[test]
    fn ledger_errors_name_the_line() {
        let e = |t: &str| parse_ledger(t).unwrap_err();
        assert_eq!(e(""), LedgerError::NoHeader);
        assert_eq!(
            e("kind,merchant_order_id,refund_id,amount_fen\n"),
            LedgerError::MissingColumn {
                line: 1,
                column: "platform_id"
            }
        );
        assert!(matches!(
            e(&format!("{HEADER}\npayment,T,,,1.00\n")),
            LedgerError::Amount { line: 3, .. }
        ));
        assert_eq!(
            e(&format!("{HEADER}refnd,T,,,1\n")).to_string(),
            "ledger line 2: kind \"refnd\" is neither payment nor refund"
        );
        assert_eq!(
            e(&format!("{HEADER}payment,,,,1\n")),
            LedgerError::EmptyOrderId { line: 2 }
        );
        assert!(matches!(
            e(&format!("{HEADER}payment,T\n")),
            LedgerError::Malformed { line: 2, .. }
        ));
        assert!(matches!(
            e(&format!("{HEADER}payment,\"T,,,1\n")),
            LedgerError::Malformed { line: 2, .. }
        ));
        let amount = e(&format!("{HEADER}payment,T,,,-1\n"));
        assert!(std::error::Error::source(&amount).is_some());
    }
}
