//! The validation rules of the TP onboarding forms (seed 004), one table per form: each rule
//! names the field as sent, its limit, the TP error code the platform answers when the limit is
//! broken, and the seed's wording of that error.
//!
//! The same tables are checked by the requests' `validate()` before a client sends them and by
//! `baidupay-sandbox` when it answers, so that the two never disagree: a value one accepts, the
//! other accepts.
//!
//! # Counting the legal person's name
//!
//! Seed 004 states the limit twice: §1.1 says "汉字, 限制在 1 - 25 位", error 60004 says "法人
//! 姓名限定在 2 - 50 字符". Both are the same rule counted in GBK bytes, where a Chinese character
//! takes two bytes: the name must take 2 to 50 GBK bytes. Text is counted the way GBK encodes
//! it: an ASCII character (a letter, a space, `·`-less Latin names) counts 1, any other
//! character counts 2 (GBK encodes every non-ASCII character it has in two bytes; characters
//! outside GBK count 2 as well, the platform cannot store them anyway). So one to twenty-five
//! Chinese characters pass, twenty-six do not; `"Li"` (2) passes, `"L"` (1) does not; `"李A"`
//! (3) passes.
//!
//! ```
//! use baidupay_model::tp::rules::{ACCOUNT_CREATE, LEGAL_PERSON, check};
//! use baidupay_model::tp::TpErrorCode;
//!
//! assert!(LEGAL_PERSON.check(&"张".repeat(25)).is_ok());
//! let refused = LEGAL_PERSON.check(&"张".repeat(26)).unwrap_err();
//! assert_eq!(refused.rule.code, TpErrorCode::LegalPersonLength);
//! assert_eq!(refused.rule.message, "法人姓名限定在 2 - 50 字符");
//! // a whole form: the first field (in the table's order) that breaks its rule
//! let form = [("legal_person", "")];
//! let first = check(ACCOUNT_CREATE, |f| form.iter().find(|(k, _)| *k == f).map(|(_, v)| *v));
//! assert_eq!(first.unwrap_err().rule.field, "business_scope");
//! ```

use super::codes::{MAX_DAY_MAX_FROZEN_AMOUNT, MINI_PROGRAM_COMMISSION_RATE, TpErrorCode};
use crate::error::Error;

/// What a field must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// Present and not only whitespace.
    Required,
    /// Between `min` and `max` characters (Unicode scalar values).
    Chars {
        /// Fewest characters.
        min: usize,
        /// Most characters.
        max: usize,
    },
    /// Between `min` and `max` GBK bytes: ASCII counts 1, any other character 2 (see the
    /// module docs).
    GbkBytes {
        /// Fewest bytes.
        min: usize,
        /// Most bytes.
        max: usize,
    },
    /// A mainland resident ID number: 18 characters, 17 digits then a digit or `X`.
    IdNumber,
    /// An absolute `http(s)://` URL.
    HttpUrl,
    /// Digits only, at least one.
    Digits,
    /// A whole number, at most `max` when given.
    Whole {
        /// The largest value allowed.
        max: Option<u64>,
    },
    /// A whole number among these.
    OneOf(&'static [u64]),
}

impl Limit {
    /// Why `value` breaks this limit, in English (`None` when it holds).
    fn broken_by(self, value: &str) -> Option<String> {
        match self {
            Limit::Required => value
                .trim()
                .is_empty()
                .then(|| "must not be empty".to_owned()),
            Limit::Chars { min, max } => {
                let n = value.chars().count();
                (!(min..=max).contains(&n))
                    .then(|| format!("must have {min}-{max} characters, has {n}"))
            }
            Limit::GbkBytes { min, max } => {
                let n = gbk_len(value);
                (!(min..=max).contains(&n)).then(|| {
                    format!(
                        "must take {min}-{max} GBK bytes (a Chinese character takes 2, ASCII 1), takes {n}"
                    )
                })
            }
            Limit::IdNumber => {
                let b = value.as_bytes();
                let ok = b.len() == 18
                    && b.iter().take(17).all(u8::is_ascii_digit)
                    && b.get(17)
                        .is_some_and(|c| c.is_ascii_digit() || *c == b'X' || *c == b'x');
                (!ok).then(|| "must be 18 characters: 17 digits and a digit or X".to_owned())
            }
            Limit::HttpUrl => {
                let ok = (value.starts_with("https://") || value.starts_with("http://"))
                    && value.len() >= 10;
                (!ok).then(|| format!("{value:?} is not an absolute http(s) URL"))
            }
            Limit::Digits => (value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()))
                .then(|| "must be digits only".to_owned()),
            Limit::Whole { max } => match value.parse::<u64>() {
                Err(_) => Some("must be a whole number".to_owned()),
                Ok(n) => max
                    .filter(|m| n > *m)
                    .map(|m| format!("must be at most {m}, is {n}")),
            },
            Limit::OneOf(allowed) => {
                let ok = value.parse::<u64>().is_ok_and(|n| allowed.contains(&n));
                (!ok).then(|| format!("must be one of {allowed:?}"))
            }
        }
    }
}

/// The length of `s` in GBK bytes: ASCII 1, anything else 2.
pub fn gbk_len(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// One field's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldRule {
    /// The field's wire name.
    pub field: &'static str,
    /// What it must hold.
    pub limit: Limit,
    /// The code the platform answers when it does not.
    pub code: TpErrorCode,
    /// The seed's wording: for a code of its own (60004, 60005, 60011) the code's message as
    /// the platform sends it; for 60000 (参数错误) what the seed says about the field.
    pub message: &'static str,
}

impl FieldRule {
    /// Checks `value` (the field as sent; a missing field is an empty one).
    ///
    /// # Errors
    /// The [`Violation`] saying which rule and why.
    pub fn check(&'static self, value: &str) -> Result<(), Violation> {
        // every field of the forms is required: empty is refused by the field's own rule
        let reason = Limit::Required
            .broken_by(value)
            .or_else(|| self.limit.broken_by(value));
        match reason {
            None => Ok(()),
            Some(reason) => Err(Violation { rule: self, reason }),
        }
    }

    /// The platform's `msg` when this rule is broken: the code's own message, or for 60000
    /// `参数错误: <field>: <the seed's wording>`.
    pub fn platform_message(&self) -> String {
        if self.code == TpErrorCode::InvalidParameter {
            format!("参数错误: {}: {}", self.field, self.message)
        } else {
            self.message.to_owned()
        }
    }
}

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", rule.field)]
pub struct Violation {
    /// The rule.
    pub rule: &'static FieldRule,
    /// What is wrong, in English.
    pub reason: String,
}

impl From<Violation> for Error {
    fn from(v: Violation) -> Self {
        Error::InvalidField {
            field: v.rule.field,
            reason: format!("{} ({} {})", v.reason, v.rule.code.code(), v.rule.message),
        }
    }
}

/// Checks a form against `rules`, in the table's order; `get` gives a field's value as sent
/// (`None` when it is missing).
///
/// # Errors
/// The first [`Violation`].
pub fn check<'a>(
    rules: &'static [FieldRule],
    get: impl Fn(&str) -> Option<&'a str>,
) -> Result<(), Violation> {
    rules
        .iter()
        .try_for_each(|r| r.check(get(r.field).unwrap_or("")))
}

macro_rules! rule {
    ($name:ident, $field:literal, $limit:expr, $code:ident, $msg:literal) => {
        #[doc = concat!("`", $field, "`: ", $msg)]
        pub const $name: FieldRule = FieldRule {
            field: $field,
            limit: $limit,
            code: TpErrorCode::$code,
            message: $msg,
        };
    };
}

rule!(
    BUSINESS_SCOPE,
    "business_scope",
    Limit::Chars { min: 2, max: 2000 },
    InvalidParameter,
    "经营范围长度 2-2000 个字符"
);
rule!(
    BUSINESS_PROVINCE,
    "business_province",
    Limit::Required,
    InvalidParameter,
    "经营范围所在省不能为空"
);
rule!(
    BUSINESS_CITY,
    "business_city",
    Limit::Required,
    InvalidParameter,
    "经营范围所在市不能为空"
);
rule!(
    BUSINESS_DETAIL_ADDRESS,
    "business_detail_address",
    Limit::Required,
    InvalidParameter,
    "经营地址详情不能为空"
);
rule!(
    LEGAL_PERSON,
    "legal_person",
    Limit::GbkBytes { min: 2, max: 50 },
    LegalPersonLength,
    "法人姓名限定在 2 - 50 字符"
);
rule!(
    LEGAL_ID,
    "legal_id",
    Limit::IdNumber,
    LegalIdLength,
    "身份证号必须为 18 位"
);
rule!(
    ID_CARD_FRONT_URL,
    "id_card_front_url",
    Limit::HttpUrl,
    ForeignImageUrl,
    "图片 Url 不是来自于我们的图片上传服务"
);
rule!(
    ID_CARD_BACK_URL,
    "id_card_back_url",
    Limit::HttpUrl,
    ForeignImageUrl,
    "图片 Url 不是来自于我们的图片上传服务"
);

/// `pay/account/create` (§1.1), in the seed's order.
pub const ACCOUNT_CREATE: &[FieldRule] = &[
    BUSINESS_SCOPE,
    BUSINESS_PROVINCE,
    BUSINESS_CITY,
    BUSINESS_DETAIL_ADDRESS,
    LEGAL_PERSON,
    LEGAL_ID,
    ID_CARD_FRONT_URL,
    ID_CARD_BACK_URL,
];

rule!(
    TP_PUBLIC_KEY,
    "tp_public_key",
    Limit::Required,
    InvalidParameter,
    "开发者公钥不能为空"
);
rule!(
    PAY_NOTIFY_URL,
    "pay_notify_url",
    Limit::HttpUrl,
    InvalidParameter,
    "支付回调地址须为 http(s) URL"
);
rule!(
    REFUND_AUDIT_URL,
    "refund_audit_url",
    Limit::HttpUrl,
    InvalidParameter,
    "退款审核地址须为 http(s) URL"
);
rule!(
    REFUND_SUCC_URL,
    "refund_succ_url",
    Limit::HttpUrl,
    InvalidParameter,
    "退款回调地址须为 http(s) URL"
);

/// `pay/developconfig/submit` (§2.1). The sandbox also parses the key.
pub const DEVELOP_CONFIG: &[FieldRule] = &[
    TP_PUBLIC_KEY,
    PAY_NOTIFY_URL,
    REFUND_AUDIT_URL,
    REFUND_SUCC_URL,
];

rule!(
    APP_NAME,
    "app_name",
    Limit::Required,
    InvalidParameter,
    "服务名称不能为空"
);
rule!(
    SERVICE_PHONE,
    "service_phone",
    Limit::Required,
    InvalidParameter,
    "服务电话不能为空"
);
rule!(
    BANK_ACCOUNT,
    "bank_account",
    Limit::Required,
    InvalidParameter,
    "银行账户不能为空"
);
rule!(
    BANK_CARD,
    "bank_card",
    Limit::Digits,
    InvalidParameter,
    "银行卡号须为数字"
);
rule!(
    BANK_NAME,
    "bank_name",
    Limit::Required,
    InvalidParameter,
    "所属银行不能为空"
);
rule!(
    BANK_BRANCH,
    "bank_branch",
    Limit::Required,
    InvalidParameter,
    "支行信息不能为空"
);
rule!(
    OPEN_PROVINCE,
    "open_province",
    Limit::Required,
    InvalidParameter,
    "开户省份不能为空"
);
rule!(
    OPEN_CITY,
    "open_city",
    Limit::Required,
    InvalidParameter,
    "开户城市不能为空"
);
rule!(
    PAYMENT_DAYS,
    "payment_days",
    Limit::OneOf(&[1, 7, 14, 28]),
    InvalidParameter,
    "结算周期须为 1, 7, 14 或 28"
);
rule!(
    COMMISSION_RATE,
    "commission_rate",
    Limit::OneOf(&[MINI_PROGRAM_COMMISSION_RATE as u64]),
    InvalidParameter,
    "佣金比例固定传 6"
);
rule!(
    POOL_CASH_PLEDGE,
    "pool_cash_pledge",
    Limit::Whole { max: None },
    InvalidParameter,
    "打款预留须为整数(元)"
);
rule!(
    DAY_MAX_FROZEN_AMOUNT,
    "day_max_frozen_amount",
    Limit::Whole {
        max: Some(MAX_DAY_MAX_FROZEN_AMOUNT)
    },
    InvalidParameter,
    "每日退款上限不超过 10000 元"
);

/// `paymentservice/create` and `paymentservice/updatebindservice` (§3.1, §3.4).
pub const PAYMENT_SERVICE: &[FieldRule] = &[
    APP_NAME,
    SERVICE_PHONE,
    BANK_ACCOUNT,
    BANK_CARD,
    BANK_NAME,
    BANK_BRANCH,
    OPEN_PROVINCE,
    OPEN_CITY,
    PAYMENT_DAYS,
    COMMISSION_RATE,
    POOL_CASH_PLEDGE,
    DAY_MAX_FROZEN_AMOUNT,
];

/// `paymentservice/update` (§3.3).
pub const PAYMENT_SERVICE_UPDATE: &[FieldRule] = &[APP_NAME, SERVICE_PHONE, POOL_CASH_PLEDGE];

/// Checks a request's parameters (as [`crate::cashier::Params::to_params`] lays them out)
/// against `rules`.
pub(crate) fn check_params(
    rules: &'static [FieldRule],
    params: &impl crate::cashier::Params,
) -> crate::Result<()> {
    let pairs = params.to_params().map_err(|e| Error::InvalidField {
        field: "request",
        reason: e.to_string(),
    })?;
    check(rules, |f| {
        pairs.iter().find(|(k, _)| *k == f).map(|(_, v)| v.as_str())
    })
    .map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legal_person_counts_gbk_bytes() {
        let verdict = |s: &str| LEGAL_PERSON.check(s).is_ok();
        assert!(!verdict(""));
        assert!(verdict("张"));
        assert!(verdict(&"张".repeat(25)));
        assert!(!verdict(&"张".repeat(26)));
        assert!(verdict("Li"));
        assert!(!verdict("L"));
        assert!(verdict("李A"));
        assert!(!verdict(&"a".repeat(51)));
        assert_eq!(gbk_len("张三 Li"), 7);
    }

    #[test]
    fn own_codes_carry_the_platform_message_of_the_code_table() {
        for rules in [
            ACCOUNT_CREATE,
            DEVELOP_CONFIG,
            PAYMENT_SERVICE,
            PAYMENT_SERVICE_UPDATE,
        ] {
            for r in rules {
                if r.code != TpErrorCode::InvalidParameter {
                    let desc = r.code.description().unwrap_or_default();
                    assert!(desc.starts_with(r.message), "{}: {desc}", r.field);
                    assert_eq!(r.platform_message(), r.message);
                } else {
                    assert!(r.platform_message().starts_with("参数错误: "));
                }
            }
        }
    }

    #[test]
    fn a_violation_becomes_an_invalid_field() {
        let e = Error::from(LEGAL_ID.check("123").unwrap_err());
        assert!(
            matches!(&e, Error::InvalidField { field: "legal_id", reason } if reason.contains("60005")),
            "{e:?}"
        );
    }
}
