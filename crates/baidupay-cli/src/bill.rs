//! `baidupay bill` and `baidupay reconcile`: a platform's bill file, normalized, and matched
//! against the merchant's ledger.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use baidupay_alipay::bill::{
    BillArchive, BillError as AlipayBillError, COL_COMPLETED, COL_CREATED, COL_KIND,
    COL_ORDER_AMOUNT, COL_OUT_TRADE_NO, COL_RECEIVED, COL_REFUND_REQUEST_NO, COL_TRADE_NO,
    DetailRow, RowKind,
};
use baidupay_cashier::{BillRow, ORDER_AMOUNT, REFUND_AMOUNT, read_bill, read_bill_entries};
use baidupay_model::reconcile::{Difference, Entry, Report, parse_ledger, reconcile};
use baidupay_model::{Fen, SignedYuan};
use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};

use crate::error::{CliError, CliResult, chain};

/// Which platform served the bill.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Platform {
    /// Alipay: the ZIP of GBK CSVs.
    Alipay,
    /// Baidu: the order or capital bill export.
    Baidu,
}

/// Output of `bill`.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub(crate) enum BillFormat {
    /// One header row, then one row per bill row.
    #[default]
    Csv,
    /// An array of objects, one per row.
    Json,
}

/// Output of `reconcile`.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub(crate) enum ReportFormat {
    /// A summary line and one line per difference.
    #[default]
    Text,
    /// `{"matched", "differences", "bill_totals_ok"}`.
    Json,
}

/// `baidupay bill`.
#[derive(Debug, Args)]
pub(crate) struct BillArgs {
    /// The platform that served the file
    #[arg(long, value_enum)]
    platform: Platform,
    /// The bill file, exactly as downloaded
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "csv")]
    format: BillFormat,
}

/// `baidupay reconcile`.
#[derive(Debug, Args)]
pub(crate) struct ReconcileArgs {
    /// The platform that served the bill
    #[arg(long, value_enum)]
    platform: Platform,
    /// The bill file, exactly as downloaded
    #[arg(long, value_name = "FILE")]
    bill: PathBuf,
    /// The merchant's ledger: CSV kind,merchant_order_id,platform_id,refund_id,amount_fen
    #[arg(long, value_name = "FILE")]
    ledger: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
}

/// A cell of a normalized row.
#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Fen(i64),
    Empty,
}

/// Normalized rows: one header, cells in its order.
#[derive(Debug, Default)]
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    fn column(&mut self, name: &str) -> usize {
        match self.columns.iter().position(|c| c == name) {
            Some(i) => i,
            None => {
                self.columns.push(name.to_owned());
                self.columns.len() - 1
            }
        }
    }

    fn push(&mut self, cells: Vec<(String, Cell)>) {
        let mut row = vec![Cell::Empty; self.columns.len()];
        for (name, cell) in cells {
            let i = self.column(&name);
            if row.len() <= i {
                row.resize(i + 1, Cell::Empty);
            }
            if let Some(slot) = row.get_mut(i) {
                *slot = cell;
            }
        }
        self.rows.push(row);
    }

    fn csv(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&header.join(","));
        out.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = (0..self.columns.len())
                .map(|i| match row.get(i) {
                    Some(Cell::Text(s)) => csv_cell(s),
                    Some(Cell::Fen(f)) => f.to_string(),
                    Some(Cell::Empty) | None => String::new(),
                })
                .collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }

    fn json(&self) -> Value {
        let rows = self
            .rows
            .iter()
            .map(|row| {
                let mut obj = Map::new();
                for (i, name) in self.columns.iter().enumerate() {
                    let v = match row.get(i) {
                        Some(Cell::Text(s)) => Value::from(s.as_str()),
                        Some(Cell::Fen(f)) => Value::from(*f),
                        Some(Cell::Empty) | None => Value::from(""),
                    };
                    obj.insert(name.clone(), v);
                }
                Value::Object(obj)
            })
            .collect();
        Value::Array(rows)
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The column name with its unit changed from yuan to fen.
fn fen_name(name: &str) -> String {
    if let Some(base) = name.strip_suffix("（元）") {
        format!("{base}（分）")
    } else if let Some(base) = name.strip_suffix("(元)") {
        format!("{base}(分)")
    } else {
        format!("{name}(分)")
    }
}

fn read_file(path: &Path) -> CliResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| CliError::input(format!("{}: {}", path.display(), chain(&e))))
}

fn bill_error(path: &Path, e: &dyn std::error::Error) -> CliError {
    CliError::input(format!(
        "{}: not a readable bill: {}",
        path.display(),
        chain(e)
    ))
}

fn baidu_table(path: &Path) -> CliResult<Table> {
    let bytes = read_file(path)?;
    let rows: Vec<BillRow> =
        read_bill(&bytes[..], |r| r.by_ref().collect()).map_err(|e| bill_error(path, &e))?;
    let mut table = Table::default();
    table.column("section");
    for row in &rows {
        let mut cells = vec![(
            "section".to_owned(),
            Cell::Text(format!("{:?}", row.section).to_lowercase()),
        )];
        for (name, value) in row.cells() {
            if name == ORDER_AMOUNT || name == REFUND_AMOUNT {
                let fen = row.amount(&name).map_err(|e| bill_error(path, &e))?;
                let cell = match fen.map(|f| i64::try_from(f.get())) {
                    Some(Ok(f)) => Cell::Fen(f),
                    Some(Err(_)) => {
                        return Err(CliError::input(format!(
                            "{}: line {}: amount out of range",
                            path.display(),
                            row.line
                        )));
                    }
                    None => Cell::Empty,
                };
                cells.push((fen_name(&name), cell));
            } else {
                cells.push((name, Cell::Text(value.to_owned())));
            }
        }
        table.push(cells);
    }
    Ok(table)
}

fn open_alipay(path: &Path) -> CliResult<BillArchive<std::fs::File>> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::input(format!("{}: {}", path.display(), chain(&e))))?;
    BillArchive::new(file).map_err(|e| bill_error(path, &e))
}

/// Reads the detail rows; a stated total that does not add up gives `false`, not an error.
fn alipay_rows(path: &Path) -> CliResult<(Vec<String>, Vec<DetailRow>, bool)> {
    let mut archive = open_alipay(path)?;
    let mut totals_ok = true;
    let summary = archive.summary().map_err(|e| bill_error(path, &e))?;
    let mut reader = archive.detail_rows().map_err(|e| bill_error(path, &e))?;
    let columns = reader.columns().to_vec();
    let mut rows = Vec::new();
    for row in reader.by_ref() {
        match row {
            Ok(r) => rows.push(r),
            Err(AlipayBillError::TotalMismatch { .. }) => {
                totals_ok = false;
                break;
            }
            Err(e) => return Err(bill_error(path, &e)),
        }
    }
    if let Some(s) = &summary {
        match s.check(reader.totals()) {
            Ok(()) => {}
            Err(AlipayBillError::TotalMismatch { .. }) => totals_ok = false,
            Err(e) => return Err(bill_error(path, &e)),
        }
    }
    Ok((columns, rows, totals_ok))
}

fn alipay_table(path: &Path) -> CliResult<Table> {
    let (columns, rows, _) = alipay_rows(path)?;
    let mut table = Table::default();
    for row in &rows {
        let mut cells = Vec::new();
        for name in &columns {
            let text = |s: &str| (name.clone(), Cell::Text(s.to_owned()));
            let fen = |y: SignedYuan| (fen_name(name), Cell::Fen(y.fen()));
            let cell = match name.as_str() {
                COL_TRADE_NO => text(&row.trade_no),
                COL_OUT_TRADE_NO => text(&row.out_trade_no),
                COL_KIND => text(match &row.kind {
                    RowKind::Payment => "交易",
                    RowKind::Refund => "退款",
                    RowKind::Unknown(s) => s,
                    _ => "",
                }),
                COL_ORDER_AMOUNT => fen(row.order_amount),
                COL_RECEIVED => fen(row.received_amount),
                COL_REFUND_REQUEST_NO => text(row.refund_request_no.as_deref().unwrap_or("")),
                COL_CREATED => text(&row.created),
                COL_COMPLETED => text(&row.completed),
                _ => {
                    let v = row.get(name).unwrap_or("");
                    if name.ends_with("（元）") && !v.is_empty() {
                        let y: SignedYuan = v.parse().map_err(|e| {
                            CliError::input(format!(
                                "{}: not a readable bill: line {}: column {name}: {}",
                                path.display(),
                                row.line,
                                chain(&e)
                            ))
                        })?;
                        fen(y)
                    } else if name.ends_with("（元）") {
                        (fen_name(name), Cell::Empty)
                    } else {
                        text(v)
                    }
                }
            };
            cells.push(cell);
        }
        table.push(cells);
    }
    if rows.is_empty() {
        for name in &columns {
            let n = if name.ends_with("（元）") {
                fen_name(name)
            } else {
                name.clone()
            };
            table.column(&n);
        }
    }
    Ok(table)
}

fn abs_fen(path: &Path, row: &DetailRow) -> CliResult<Fen> {
    let f = row.order_amount.fen();
    if f < 0 && row.kind == RowKind::Payment {
        return Err(CliError::input(format!(
            "{}: not a readable bill: line {}: negative payment amount",
            path.display(),
            row.line
        )));
    }
    Ok(Fen::new(f.unsigned_abs()))
}

fn alipay_entries(path: &Path) -> CliResult<(Vec<Entry>, bool)> {
    let (_, rows, totals_ok) = alipay_rows(path)?;
    let mut entries = Vec::new();
    for row in &rows {
        match &row.kind {
            RowKind::Payment => entries.push(
                Entry::payment(row.out_trade_no.clone(), abs_fen(path, row)?)
                    .with_platform_id(row.trade_no.clone()),
            ),
            RowKind::Refund => entries.push(
                Entry::refund(row.out_trade_no.clone(), abs_fen(path, row)?)
                    .with_refund_id(row.refund_request_no.clone().unwrap_or_default()),
            ),
            _ => {}
        }
    }
    Ok((entries, totals_ok))
}

/// `baidupay bill`: prints the bill's rows normalized.
pub(crate) fn bill(args: &BillArgs) -> CliResult {
    let table = match args.platform {
        Platform::Baidu => baidu_table(&args.file)?,
        Platform::Alipay => alipay_table(&args.file)?,
    };
    match args.format {
        BillFormat::Csv => print!("{}", table.csv()),
        BillFormat::Json => println!("{}", table.json()),
    }
    Ok(())
}

fn fen_text(f: Option<Fen>) -> String {
    f.map_or_else(|| "-".to_owned(), |f| f.get().to_string())
}

fn difference_line(d: &Difference) -> String {
    let ty = serde_json::to_value(d.difference)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!(
        "{ty} {} {} platform_id={} refund_id={} ledger_fen={} bill_fen={}",
        d.kind.as_str(),
        d.merchant_order_id,
        d.platform_id.as_deref().unwrap_or("-"),
        d.refund_id.as_deref().unwrap_or("-"),
        fen_text(d.ledger_fen),
        fen_text(d.bill_fen),
    )
}

/// The text report: a summary line and one line per difference.
pub(crate) fn text_report(r: &Report) -> String {
    let mut out = format!(
        "matched {}, differences {}, bill totals {}\n",
        r.matched,
        r.differences.len(),
        if r.bill_totals_ok {
            "ok"
        } else {
            "do not add up"
        }
    );
    for d in &r.differences {
        let _ = writeln!(out, "{}", difference_line(d));
    }
    out
}

/// Reads the bill file of `platform` and the ledger file and reconciles them: what
/// `baidupay reconcile` does before it prints (the demo runs it too).
pub(crate) fn reconcile_files(platform: Platform, bill: &Path, ledger: &Path) -> CliResult<Report> {
    let (bill_entries, totals_ok) = match platform {
        Platform::Baidu => {
            let bytes = read_file(bill)?;
            let b = read_bill_entries(&bytes[..]).map_err(|e| bill_error(bill, &e))?;
            (b.entries, b.totals_ok)
        }
        Platform::Alipay => alipay_entries(bill)?,
    };
    let bytes = read_file(ledger)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        CliError::input(format!(
            "{}: the ledger is not UTF-8 text",
            ledger.display()
        ))
    })?;
    let ledger = parse_ledger(&text).map_err(|e| {
        CliError::input(format!(
            "{}: not a readable ledger: {}",
            ledger.display(),
            chain(&e)
        ))
    })?;
    reconcile(&bill_entries, totals_ok, &ledger)
        .map_err(|e| CliError::input(format!("reconcile: {}", chain(&e))))
}

/// `baidupay reconcile`: exit 0 when the day reconciles, 1 when something differs.
pub(crate) fn reconcile_cmd(args: &ReconcileArgs) -> CliResult {
    let report = reconcile_files(args.platform, &args.bill, &args.ledger)?;
    match args.format {
        ReportFormat::Text => print!("{}", text_report(&report)),
        ReportFormat::Json => println!(
            "{}",
            json!({
                "matched": report.matched,
                "differences": report.differences,
                "bill_totals_ok": report.bill_totals_ok,
            })
        ),
    }
    if report.is_clean() {
        Ok(())
    } else {
        Err(CliError::Invalid(format!(
            "the bill and the ledger differ: {} difference(s){}",
            report.differences.len(),
            if report.bill_totals_ok {
                ""
            } else {
                ", and the bill's totals do not add up"
            }
        )))
    }
}
