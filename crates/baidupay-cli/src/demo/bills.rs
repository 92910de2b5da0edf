//! The last steps of `baidupay demo`: the day's bills, fetched through the SDK clients, and
//! reconciled against the demo merchant's ledger with the code of `baidupay reconcile`: clean,
//! then with one difference introduced on purpose, which the printed report shows.
//!
//! The sandbox runs on [`DemoClock`]: a fixed Beijing day (so that every run is the same,
//! whatever the hour), moved to the next day before the Alipay bill is asked for (Alipay has
//! a day's bill only once the day is over).

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use baidupay_alipay::AlipayClient;
use baidupay_alipay::bill::BillArchive;
use baidupay_cashier::{BillEncoding, CashierClient};
use baidupay_model::alipay::{BillDownloadUrlQuery, BillType};
use baidupay_model::cashier::{BillKind, Date};
use baidupay_model::reconcile::{DifferenceType, EntryKind, Report};
use baidupay_transport::{Clock, SystemClock};

use super::merchant::{Channel, Merchant};
use super::{Demo, Step, expect, fail};
use crate::bill::{Platform, reconcile_files, text_report};
use crate::error::CliError;

/// 2024-05-13 10:00:00 in Beijing: where the sandbox's wall clock starts.
const DEMO_START: i64 = 1_715_565_600;

/// The day of [`DEMO_START`]: the day every payment of the demo is made.
pub(super) const DEMO_DAY: &str = "2024-05-13";

/// The sandbox's clock in the demo: the system's monotonic clock, and a wall clock that starts
/// at [`DEMO_START`] and runs at the system's pace, until [`DemoClock::next_day`] moves it on.
#[derive(Debug)]
pub(super) struct DemoClock {
    origin: Instant,
    offset: AtomicI64,
}

impl DemoClock {
    pub(super) fn new() -> Self {
        Self {
            origin: SystemClock.now(),
            offset: AtomicI64::new(0),
        }
    }

    /// Moves the wall clock one day on (the monotonic one does not move: token lifetimes are
    /// not affected).
    fn next_day(&self) {
        self.offset.fetch_add(86_400, Ordering::SeqCst);
    }
}

impl Clock for DemoClock {
    fn now(&self) -> Instant {
        SystemClock.now()
    }

    fn unix_seconds(&self) -> i64 {
        let elapsed = SystemClock.now().duration_since(self.origin).as_secs();
        DEMO_START
            .saturating_add(i64::try_from(elapsed).unwrap_or(i64::MAX))
            .saturating_add(self.offset.load(Ordering::SeqCst))
    }
}

fn write(path: &Path, bytes: &[u8]) -> Step<()> {
    expect(std::fs::write(path, bytes), &path.display().to_string())
}

/// Runs the code of `baidupay reconcile` on the two files.
fn reconcile(platform: Platform, bill: &Path, ledger: &Path) -> Step<Report> {
    reconcile_files(platform, bill, ledger).map_err(|e| super::Failure(e.to_string()))
}

/// A clean report: everything in the ledger matched, nothing else.
fn clean(report: &Report, rows: u64) -> Step<String> {
    if report.is_clean() && report.matched == rows {
        Ok(format!("matched {rows}, no difference"))
    } else {
        fail(format!(
            "expected {rows} matches and no difference, got:\n{}",
            text_report(report)
        ))
    }
}

/// The report holds exactly one difference, the one introduced: its text report, indented.
fn one_difference(
    report: &Report,
    expected: DifferenceType,
    kind: EntryKind,
    order: &str,
) -> Step<String> {
    match report.differences.as_slice() {
        [d] if d.difference == expected && d.kind == kind && d.merchant_order_id == order => {
            Ok(text_report(report)
                .lines()
                .map(|l| format!("      {l}\n"))
                .collect())
        }
        _ => fail(format!(
            "expected one {expected:?} {kind:?} of {order}, got:\n{}",
            text_report(report)
        )),
    }
}

fn rows(csv: &str) -> u64 {
    u64::try_from(csv.lines().count().saturating_sub(1)).unwrap_or(0)
}

/// The bill steps; `dir` is where the files go (removed with the demo's directory).
#[allow(clippy::too_many_lines)] // one block per step, in order
pub(super) async fn bill_steps(
    d: &mut Demo,
    clock: &DemoClock,
    app: &Merchant,
    cashier: &CashierClient,
    alipay: &AlipayClient,
    dir: &Path,
) -> Result<(), CliError> {
    let (baidu_ledger, alipay_ledger) =
        (dir.join("baidu-ledger.csv"), dir.join("alipay-ledger.csv"));
    let (baidu_csv, alipay_csv) = d
        .step("merchant ledger export (ledger CSV)", async {
            let (baidu, alipay) = (
                app.ledger_csv(Channel::Baidu),
                app.ledger_csv(Channel::Alipay),
            );
            write(&baidu_ledger, baidu.as_bytes())?;
            write(&alipay_ledger, alipay.as_bytes())?;
            let shown = format!("{} Baidu rows, {} Alipay rows", rows(&baidu), rows(&alipay));
            Ok(((baidu, alipay), shown))
        })
        .await?;
    let day = Date::parse(DEMO_DAY).map_err(|e| CliError::input(e.to_string()))?;
    let (order_bill, capital_bill) = (dir.join("orderBill.csv"), dir.join("capitaBill.csv"));
    d.step("Baidu bills of the day (orderBill, capitaBill)", async {
        for (kind, path) in [
            (BillKind::Order, &order_bill),
            (BillKind::Capital, &capital_bill),
        ] {
            let list = expect(cashier.bill(kind, day.clone()).await, "bill")?;
            let Some(file) = list.data.first() else {
                return fail(format!("no {kind:?} bill file listed"));
            };
            let got = expect(cashier.download_bill(file).await, "download")?;
            let parsed = expect(got.parse(), "the bill")?;
            if parsed.encoding != Some(BillEncoding::Gbk) || !parsed.mismatches.is_empty() {
                return fail(format!(
                    "expected GBK with its totals adding up, got {:?}, {:?}",
                    parsed.encoding, parsed.mismatches
                ));
            }
            write(path, &got.bytes)?;
        }
        Ok(((), "GBK, 3 reports each, stated totals add up".to_owned()))
    })
    .await?;
    d.step("reconcile the Baidu bills with the ledger", async {
        let rows = rows(&baidu_csv);
        let by_order = clean(
            &reconcile(Platform::Baidu, &order_bill, &baidu_ledger)?,
            rows,
        )?;
        clean(
            &reconcile(Platform::Baidu, &capital_bill, &baidu_ledger)?,
            rows,
        )?;
        Ok(((), format!("both: {by_order}")))
    })
    .await?;
    let report = d
        .step("… with refund DEMO-RB-2 left out of the ledger", async {
            let ledger = dir.join("baidu-ledger-missing.csv");
            let dropped: String = baidu_csv
                .lines()
                .filter(|l| !l.contains(",DEMO-RB-2,"))
                .map(|l| format!("{l}\n"))
                .collect();
            write(&ledger, dropped.as_bytes())?;
            let report = reconcile(Platform::Baidu, &order_bill, &ledger)?;
            let shown = one_difference(
                &report,
                DifferenceType::MissingInLedger,
                EntryKind::Refund,
                "DEMO-1",
            )?;
            Ok((shown, "1 difference, the one introduced:".to_owned()))
        })
        .await?;
    print!("{report}");
    let alipay_bill = dir.join("alipay-bill.csv.zip");
    d.step("Alipay bill, the day after (ZIP of GBK CSVs)", async {
        clock.next_day();
        let query = expect(
            BillDownloadUrlQuery::new(BillType::Trade, DEMO_DAY),
            "query",
        )?;
        let answer = expect(alipay.bill_download_url(&query).await, "bill URL")?;
        let Some(url) = answer.bill_download_url else {
            return fail("no bill_download_url");
        };
        let file = expect(alipay.download_bill(&url).await, "download")?;
        write(&alipay_bill, &file.bytes)?;
        let mut archive = expect(
            BillArchive::new(std::io::Cursor::new(file.bytes)),
            "the archive",
        )?;
        let bill = expect(archive.read_all(), "the bill")?;
        let shown = format!(
            "{}: {} payment, {} refund",
            bill.detail_name, bill.totals.payments, bill.totals.refunds
        );
        Ok(((), shown))
    })
    .await?;
    d.step("reconcile the Alipay bill with the ledger", async {
        let report = reconcile(Platform::Alipay, &alipay_bill, &alipay_ledger)?;
        Ok(((), clean(&report, rows(&alipay_csv))?))
    })
    .await?;
    let report = d
        .step("… with DEMO-ALI-1 booked at 88.80 in the ledger", async {
            let ledger = dir.join("alipay-ledger-altered.csv");
            let altered: String = alipay_csv
                .lines()
                .map(|l| match l.strip_suffix(",8888") {
                    Some(head) if l.starts_with("payment,DEMO-ALI-1,") => format!("{head},8880\n"),
                    _ => format!("{l}\n"),
                })
                .collect();
            write(&ledger, altered.as_bytes())?;
            let report = reconcile(Platform::Alipay, &alipay_bill, &ledger)?;
            let shown = one_difference(
                &report,
                DifferenceType::AmountDiffers,
                EntryKind::Payment,
                "DEMO-ALI-1",
            )?;
            Ok((shown, "1 difference, the one introduced:".to_owned()))
        })
        .await?;
    print!("{report}");
    Ok(())
}
