//! Baidu bill rows as the reconciliation core's bill entries.

use baidupay_model::reconcile::Entry;

use super::reader::{BillReader, BillRow, BillSection, ORDER_AMOUNT, REFUND_AMOUNT};
use super::{BillEncoding, BillError};

/// 百度订单号: Baidu's order id.
pub const BAIDU_ORDER_ID: &str = "百度订单号";
/// 业务订单号: the merchant's order id (`tpOrderId`).
pub const TP_ORDER_ID: &str = "业务订单号";
/// 百度退款单号: Baidu's refund id.
pub const BAIDU_REFUND_ID: &str = "百度退款单号";
/// 业务方退款批次号: the merchant's refund id (`bizRefundBatchId`).
pub const BIZ_REFUND_BATCH_ID: &str = "业务方退款批次号";

/// A whole bill converted for [`baidupay_model::reconcile::reconcile`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BillEntries {
    /// The payments and refunds.
    pub entries: Vec<Entry>,
    /// Whether the bill's stated totals agree with its rows.
    pub totals_ok: bool,
    /// The encoding found (`None` for an all-ASCII file).
    pub encoding: Option<BillEncoding>,
}

impl BillRow {
    /// The row as a payment (in the 当日支付订单 report: 业务订单号, 百度订单号, 订单金额(元)) or a
    /// refund (in the 当日退款订单 report: 业务订单号, 业务方退款批次号 as the refund id, 百度退款单号
    /// as the platform id, 退款金额); `None` in the other reports.
    ///
    /// # Errors
    /// [`BillError::MissingColumn`] when 业务订单号 or the amount is missing;
    /// [`BillError::Amount`] for an amount that is not exact yuan.
    pub fn to_entry(&self) -> Result<Option<Entry>, BillError> {
        match self.section {
            BillSection::Paid => self.payment().map(Some),
            BillSection::Refunded => self.refund().map(Some),
            _ => Ok(None),
        }
    }

    fn required_amount(&self, column: &'static str) -> Result<baidupay_model::Fen, BillError> {
        self.amount(column)?.ok_or(BillError::MissingColumn {
            line: self.line,
            column,
        })
    }

    fn order_id(&self) -> Result<&str, BillError> {
        self.non_empty(TP_ORDER_ID).ok_or(BillError::MissingColumn {
            line: self.line,
            column: TP_ORDER_ID,
        })
    }

    fn payment(&self) -> Result<Entry, BillError> {
        Ok(
            Entry::payment(self.order_id()?, self.required_amount(ORDER_AMOUNT)?)
                .with_platform_id(self.get(BAIDU_ORDER_ID).unwrap_or_default()),
        )
    }

    fn refund(&self) -> Result<Entry, BillError> {
        Ok(
            Entry::refund(self.order_id()?, self.required_amount(REFUND_AMOUNT)?)
                .with_platform_id(self.get(BAIDU_REFUND_ID).unwrap_or_default())
                .with_refund_id(self.get(BIZ_REFUND_BATCH_ID).unwrap_or_default()),
        )
    }
}

/// Reads every row and converts the bill for reconciliation. When the file has a 当日支付订单 or
/// 当日退款订单 report, those give the entries (当日所有订单 repeats them and is skipped); when it
/// has neither, each row of the other reports is a refund if it has a 百度退款单号 or
/// 业务方退款批次号, else a payment.
///
/// # Errors
/// The first [`BillError`] from reading or converting a row.
pub fn bill_entries<R: std::io::BufRead>(
    reader: &mut BillReader<R>,
) -> Result<BillEntries, BillError> {
    let (mut split, mut other) = (Vec::new(), Vec::new());
    for row in reader.by_ref() {
        let row = row?;
        match row.to_entry()? {
            Some(e) => split.push(e),
            None => {
                let refund = row.non_empty(BAIDU_REFUND_ID).is_some()
                    || row.non_empty(BIZ_REFUND_BATCH_ID).is_some();
                other.push(if refund { row.refund() } else { row.payment() });
            }
        }
    }
    let has_split = reader
        .sections()
        .iter()
        .any(|s| matches!(s, BillSection::Paid | BillSection::Refunded));
    Ok(BillEntries {
        entries: if has_split {
            split
        } else {
            other.into_iter().collect::<Result<_, _>>()?
        },
        totals_ok: reader.totals_ok(),
        encoding: reader.encoding(),
    })
}

/// Opens a bill (plain or zipped, [`super::read_bill`]) and converts it ([`bill_entries`]).
///
/// # Errors
/// The first [`BillError`] from opening, reading or converting.
#[allow(clippy::redundant_closure)] // the fn item is not general over the reader's lifetime
pub fn read_bill_entries<R: std::io::Read>(input: R) -> Result<BillEntries, BillError> {
    super::read_bill(input, |r| bill_entries(r))
}
