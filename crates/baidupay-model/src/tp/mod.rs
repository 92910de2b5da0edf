//! Third-party-platform (TP) payment-service types (seed 004 "支付服务能力"; baidu-cashier.md
//! 3.2 for the token chain).
//!
//! A TP opens Baidu payment for a mini program in three audited steps (payment account,
//! developer config, payment service), then reads its orders and finances. Requests are
//! builders whose `validate` applies the seed's limits and names the offending field; responses
//! keep unknown fields in `extra`. TP finance reports are in yuan with two decimals and may be
//! negative: [`SignedYuan`](crate::SignedYuan).

mod account;
mod audit;
mod codes;
mod develop_config;
mod dict;
mod finance;
mod orders;
pub mod rules;
mod service;
mod token;

pub use self::account::{AccountAuditStatus, AccountCreateRequest};
pub use self::audit::{OnboardingStep, TpAuditEvent, TpAuditPush};
pub use self::codes::{
    AccountStatus, MAX_DAY_MAX_FROZEN_AMOUNT, MINI_PROGRAM_COMMISSION_RATE, OpenStatus,
    OrderStatusFilter, OrderSubStatus, PaymentDays, TpErrorCode,
};
pub use self::develop_config::DevelopConfigRequest;
pub use self::dict::{Bank, BankGroup, City, PaymentDict, Province};
pub use self::finance::{
    BalanceDay, Expense, ExpenseList, FinanceBalance, FinanceRangeRequest, IncomeDetail,
    IncomeDetailRequest, IncomeItem, OtherDetail, OtherItem, PayDetail, PayDetailItem,
    PayDetailRequest,
};
pub use self::orders::{OrderList, OrderListRequest, TpOrder};
pub use self::service::{
    BoundService, PaymentServiceRequest, PaymentServiceUpdateRequest, ServiceAuditStatus,
};
pub use self::token::{AuthorizerToken, PreAuthCode, TpToken};

use crate::error::{Error, Result};

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidField {
        field,
        reason: reason.into(),
    }
}

/// Pagination common to the list answers.
pub trait Paged {
    /// Total number of items, if the answer says.
    fn total_count(&self) -> Option<u64>;
    /// Total number of pages, if the answer says.
    fn total_page(&self) -> Option<u64> {
        None
    }
    /// Number of items on this page.
    fn len(&self) -> usize;
    /// Whether this page is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn check_page(current_page: u64, page_size: u64) -> Result<()> {
    if current_page == 0 {
        return Err(invalid("current_page", "pages start at 1"));
    }
    if page_size == 0 {
        return Err(invalid("page_size", "must be at least 1"));
    }
    Ok(())
}
