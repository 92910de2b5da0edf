//! Finance reports: balance, income and other details, expenses and pay details (amounts in
//! yuan, possibly negative).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Paged, check_page, invalid};
use crate::SignedYuan;
use crate::cashier::{Date, Params};
use crate::error::Result;

/// `financebalance`, `financebalance/otherdetail` and `financeexpense`: a date range and paging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FinanceRangeRequest {
    /// Page, from 1.
    pub current_page: u64,
    /// Page size.
    pub page_size: u64,
    /// First day.
    pub start_time: Date,
    /// Last day.
    pub end_time: Date,
}

impl FinanceRangeRequest {
    /// Page `current_page` (from 1) of `page_size` items from `start_time` to `end_time`.
    pub fn new(start_time: Date, end_time: Date, current_page: u64, page_size: u64) -> Self {
        Self {
            current_page,
            page_size,
            start_time,
            end_time,
        }
    }

    /// Checks paging and that the range is not reversed.
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.start_time > self.end_time {
            return Err(invalid("end_time", "is before start_time"));
        }
        check_page(self.current_page, self.page_size)
    }
}

impl Params for FinanceRangeRequest {}

/// `financebalance/incomedetail`: one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncomeDetailRequest {
    /// Page, from 1.
    pub current_page: u64,
    /// Page size.
    pub page_size: u64,
    /// The day.
    pub start_time: Date,
}

impl IncomeDetailRequest {
    /// Page `current_page` (from 1) of `page_size` items of the day `start_time`.
    pub fn new(start_time: Date, current_page: u64, page_size: u64) -> Self {
        Self {
            current_page,
            page_size,
            start_time,
        }
    }

    /// Checks paging.
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) naming the field.
    pub fn validate(&self) -> Result<()> {
        check_page(self.current_page, self.page_size)
    }
}

impl Params for IncomeDetailRequest {}

/// `data` of `financebalance` (amounts in yuan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FinanceBalance {
    /// 货款总金额.
    pub income: SignedYuan,
    /// Current payment period in days.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub period: Option<u64>,
    /// Days.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<BalanceDay>,
    /// 调整款.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<SignedYuan>,
    /// 账户余额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_balance: Option<SignedYuan>,
    /// 支付时间.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_due: Option<String>,
    /// 其它款项.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub others: Option<SignedYuan>,
    /// Page size.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub page_size: Option<u64>,
    /// Total items.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
    /// This page.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_page: Option<u64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Paged for FinanceBalance {
    fn total_count(&self) -> Option<u64> {
        self.total_count
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

/// One day of income.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BalanceDay {
    /// 货款金额.
    pub income: SignedYuan,
    /// `yyyy-MM-dd`.
    pub operate_time: String,
    /// 调整款.
    pub adjust_amount: SignedYuan,
    /// 其他款项.
    pub others: SignedYuan,
}

/// `data` of `financebalance/incomedetail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncomeDetail {
    /// 货款.
    pub income: SignedYuan,
    /// 成交数量.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub quantity: Option<u64>,
    /// Items.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<IncomeItem>,
    /// The day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operate_time: Option<String>,
    /// 成交总额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_amount: Option<SignedYuan>,
    /// 退款总额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<SignedYuan>,
    /// Page size.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub page_size: Option<u64>,
    /// Total items.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
    /// This page.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_page: Option<u64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Paged for IncomeDetail {
    fn total_count(&self) -> Option<u64> {
        self.total_count
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

/// One income item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncomeItem {
    /// 成交 / 使用 / 取消使用 / 退款.
    pub opt_type: String,
    /// Amount.
    pub money: SignedYuan,
    /// Baidu order id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub order_id: u64,
    /// When.
    pub operate_time: String,
    /// Merchant order id.
    #[serde(default, deserialize_with = "crate::de::string_or_number")]
    pub third_order_id: String,
}

/// `data` of `financebalance/otherdetail` (commissions and the like).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OtherDetail {
    /// 入账金额.
    pub total_amount: SignedYuan,
    /// 货款总额.
    pub order_amount: SignedYuan,
    /// Items.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<OtherItem>,
    /// The fee rules, a JSON text as sent.
    #[serde(default)]
    pub rule_type: String,
    /// Period start.
    #[serde(default)]
    pub settlement_start_time: String,
    /// Period end.
    #[serde(default)]
    pub settlement_end_time: String,
    /// Fields this version does not know (paging included when sent).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Paged for OtherDetail {
    fn total_count(&self) -> Option<u64> {
        self.extra.get("total_count").and_then(Value::as_u64)
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

/// One other-income item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OtherItem {
    /// Operation.
    pub opt_type: String,
    /// Baidu order id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub order_id: u64,
    /// When.
    pub operate_time: String,
    /// Amount.
    pub ref_money: SignedYuan,
    /// Merchant order id.
    #[serde(default, deserialize_with = "crate::de::string_or_number")]
    pub third_order_id: String,
}

/// `data` of `financeexpense`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExpenseList {
    /// Number of payouts.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub expense_count: Option<u64>,
    /// Payouts.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<Expense>,
    /// Sum of payouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expense_money: Option<SignedYuan>,
    /// Total items.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Paged for ExpenseList {
    fn total_count(&self) -> Option<u64> {
        self.total_count
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

/// One payout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Expense {
    /// Amount (negative: money out).
    pub money: SignedYuan,
    /// When.
    pub operate_time: String,
    /// Period start.
    #[serde(default)]
    pub start_time: String,
    /// Type, e.g. 自动打款.
    #[serde(default)]
    pub type_id: String,
    /// Period end.
    #[serde(default)]
    pub end_time: String,
    /// 待出纳支付 / 打款中 / 成功 / 失败.
    #[serde(default)]
    pub pay_status: String,
    /// Voucher id for [`PayDetailRequest`].
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub task_id: u64,
}

/// `financeexpense/paydetail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PayDetailRequest {
    /// The payout's `task_id`.
    pub task_id: u64,
}

impl PayDetailRequest {
    /// The transfers of the payout `task_id` ([`Expense::task_id`]).
    pub const fn new(task_id: u64) -> Self {
        Self { task_id }
    }
}

impl Params for PayDetailRequest {}

/// `data` of `financeexpense/paydetail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PayDetail {
    /// Transfers.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<PayDetailItem>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PayDetailItem {
    /// Amount.
    pub paid_money: SignedYuan,
    /// Masked card number.
    #[serde(default)]
    pub paid_account: String,
    /// Remark.
    #[serde(default)]
    pub remark: String,
    /// Masked receiver name.
    #[serde(default)]
    pub receive_user: String,
    /// 待出纳支付 / 打款中 / 成功 / 失败.
    #[serde(default)]
    pub payment_status: String,
}
