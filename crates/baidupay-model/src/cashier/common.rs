//! Status and code tables, payment channels, and the checked calendar [`Date`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

int_code_enum! {
    /// Order pay status: `status` of the payment notify and of `findByTpOrderId`.
    pub enum PayStatus {
        /// -1 订单已取消 / 订单已异常退款 (cancelled, or refunded as abnormal).
        Cancelled = -1 => "订单已取消/订单已异常退款 (cancelled or abnormally refunded)";
        /// 1 未支付 / 支付中 (not paid yet).
        Unpaid = 1 => "未支付 (unpaid, or payment in progress)";
        /// 2 已支付 (paid).
        Paid = 2 => "已支付 (paid)";
    }
}

int_code_enum! {
    /// Refund status in `findOrderRefund` (baidu-cashier.md 5.4). Not the same values as
    /// [`crate::callback::RefundNotifyStatus`]: here 2 is success, there 1 is.
    pub enum RefundQueryStatus {
        /// 1 退款中 (refund in progress).
        Refunding = 1 => "退款中 (refund in progress)";
        /// 2 退款成功 (refunded).
        Succeeded = 2 => "退款成功 (refund succeeded)";
        /// 3 退款失败 (refund failed).
        Failed = 3 => "退款失败 (refund failed)";
    }
}

int_code_enum! {
    /// `refundType` of a refund application.
    pub enum RefundType {
        /// 1 用户发起退款 (requested by the user).
        UserRequested = 1 => "用户发起退款 (requested by the user)";
        /// 2 开发者业务方客服退款 (by the merchant's customer service).
        CustomerService = 2 => "开发者业务方客服退款 (merchant customer service)";
        /// 3 开发者服务异常退款 (because the merchant's service failed).
        ServiceFailure = 3 => "开发者服务异常退款 (merchant service failure)";
    }
}

int_code_enum! {
    /// 1.0 `queryorderdetail` `payStatus.statusNum`.
    pub enum LegacyPayStatus {
        /// -1 未支付.
        Unpaid = -1 => "未支付 (unpaid)";
        /// 1 支付成功.
        Paid = 1 => "支付成功 (paid)";
    }
}

int_code_enum! {
    /// 1.0 `queryorderdetail` `refundStatus.statusNum`.
    pub enum LegacyRefundStatus {
        /// -1 未退费.
        None = -1 => "未退费 (not refunded)";
        /// 1 退费中.
        Refunding = 1 => "退费中 (refund in progress)";
        /// 2 退费成功.
        Refunded = 2 => "退费成功 (refunded)";
        /// 9 退费失败.
        Failed = 9 => "退费失败 (refund failed)";
    }
}

int_code_enum! {
    /// 1.0 `queryorderdetail` `verification.statusNum` (核销, consumption).
    pub enum VerificationStatus {
        /// -1 未核销 / 无核销数据.
        NotConsumed = -1 => "未核销 (not consumed)";
        /// 1 已核销.
        Consumed = 1 => "已核销 (consumed)";
    }
}

/// A payment channel that `bannedChannels` can exclude from the cashier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PayChannel {
    /// Alipay.
    Alipay,
    /// Baidu Wallet (度小满).
    #[serde(rename = "BDWallet")]
    BdWallet,
    /// WeChat Pay.
    WeChat,
}

/// A calendar date `yyyy-MM-dd` (`billTime` and the TP date parameters), checked on creation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(String);

impl Date {
    /// Parses `yyyy-MM-dd` (a real calendar date, leap years included).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming `date`.
    pub fn parse(s: &str) -> Result<Self> {
        let err = |reason: &str| Error::InvalidField {
            field: "date",
            reason: format!("{s:?}: {reason}"),
        };
        let b = s.as_bytes();
        if b.len() != 10
            || b[4] != b'-'
            || b[7] != b'-'
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        {
            return Err(err("expected yyyy-MM-dd"));
        }
        let num = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'))
        };
        let (y, m, d) = (num(0..4), num(5..7), num(8..10));
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(err("month out of range")),
        };
        if d == 0 || d > days || y == 0 {
            return Err(err("day out of range"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The date as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({})", self.0)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Date {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for ok in ["2020-02-29", "2023-12-31", "2000-02-29"] {
            assert!(Date::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-1-01",
            "20230101",
            "2023/01/01",
            "2023-01-32",
            "0000-01-01",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }
}
