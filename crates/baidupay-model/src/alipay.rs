//! Alipay mini-program JSAPI payment types (seed 002 `alipay.trade.create`; alipay-jsapi.md
//! sections 2-5): the common response part and its codes, the `biz_content` of every
//! operation as a builder, the responses, the trade status, and the trade notification.
//!
//! Amounts are exact: [`Yuan`] for what the merchant sends (range [0.01, 100000000]),
//! [`YuanAmount`] for what Alipay reports (zero allowed). Unknown response fields are kept in
//! `extra`; unknown codes and statuses are kept raw.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::{AlipayUserId, OutRequestNo, OutTradeNo, TradeNo, Yuan, YuanAmount};

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidField {
        field,
        reason: reason.into(),
    }
}

fn max_chars(field: &'static str, v: &str, max: usize) -> Result<()> {
    let n = v.chars().count();
    if n > max {
        return Err(invalid(field, format!("at most {max} characters, has {n}")));
    }
    Ok(())
}

/// Checks `yyyy-MM-dd HH:mm:ss` (Alipay's time format, UTC+8 wall time).
pub fn check_datetime(field: &'static str, v: &str) -> Result<()> {
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| {
        b.get(r)
            .map(|s| s.iter().fold(0u32, |a, c| a * 10 + u32::from(c - b'0')))
            .unwrap_or(99)
    };
    let shape = b.len() == 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape
        || crate::cashier::Date::parse(&v[..10]).is_err()
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 59
    {
        return Err(invalid(field, format!("{v:?} is not yyyy-MM-dd HH:mm:ss")));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Codes

str_code_enum! {
    /// The gateway `code` of every response.
    pub enum AlipayCode {
        /// 10000 接口调用成功.
        Success = "10000" => "接口调用成功 (success)";
        /// 10003 order created, payment in progress (`alipay.trade.pay` only).
        PaymentInProgress = "10003" => "支付处理中 (payment in progress)", remedy "query the trade until it settles";
        /// 20000 服务不可用.
        ServiceUnavailable = "20000" => "服务不可用 (service unavailable)", remedy "query the trade, then retry with the same out_trade_no / out_request_no";
        /// 20001 授权权限不足.
        InsufficientAuthorization = "20001" => "授权权限不足 (insufficient authorization)", remedy "check app_auth_token / auth_token";
        /// 40001 缺少必选参数.
        MissingParameter = "40001" => "缺少必选参数 (missing required parameter)";
        /// 40002 非法的参数.
        InvalidParameter = "40002" => "非法的参数 (invalid parameter)", remedy "see sub_code; isv.invalid-signature: check the app private key, the Alipay public key and the string to sign";
        /// 40003 条件异常.
        ConditionNotMet = "40003" => "条件异常 (condition not met)";
        /// 40004 业务处理失败.
        BusinessFailed = "40004" => "业务处理失败 (business failure)", remedy "see sub_code (ACQ.*)";
        /// 40005 调用频次超限.
        RateLimited = "40005" => "调用频次超限 (call frequency limit exceeded)", remedy "slow down and retry later";
        /// 40006 权限不足.
        PermissionDenied = "40006" => "权限不足 (insufficient permission)", remedy "sign the product / grant the interface permission in the console";
    }
}

str_code_enum! {
    /// The `sub_code` of a failed response: the ACQ.* business codes of seed 002 (with its
    /// 解决方案), the ACQ codes of the companion APIs, and common gateway codes.
    pub enum SubCode {
        /// ACQ.ACCESS_FORBIDDEN: 无权限使用接口.
        AccessForbidden = "ACQ.ACCESS_FORBIDDEN" => "无权限使用接口", remedy "未签约对应的产品合约; 1、请校验传入的product_code参数是否正确; 2、确认请求商户是否签约了 产品合约";
        /// ACQ.BEYOND_PER_RECEIPT_SINGLE_RESTRICTION: 订单金额超过单笔限额.
        BeyondPerReceiptSingleRestriction = "ACQ.BEYOND_PER_RECEIPT_SINGLE_RESTRICTION" => "订单金额超过单笔限额", remedy "联系支付宝小二提高限额(联系电话:4007585858)";
        /// ACQ.BIZ_PRODUCT_NOT_ALLOWED: 公域订单场景下不支持使用该产品码.
        BizProductNotAllowed = "ACQ.BIZ_PRODUCT_NOT_ALLOWED" => "公域订单场景下不支持使用该产品码", remedy "公域场交易需要切换使用jsapi支付产品。1、请确认签约jsapi支付产品;2、product_code 改成JSAPI_PAY产品码";
        /// ACQ.BUYER_ENABLE_STATUS_FORBID: 买家状态非法.
        BuyerEnableStatusForbid = "ACQ.BUYER_ENABLE_STATUS_FORBID" => "买家状态非法", remedy "用户联系支付宝小二,确认买家状态为什么非法";
        /// ACQ.BUYER_NOT_EXIST: 买家不存在.
        BuyerNotExist = "ACQ.BUYER_NOT_EXIST" => "买家不存在", remedy "确认买家账号信息传递是否正确,如果正确可联系支付宝小二,确认买家账号是否已经注销";
        /// ACQ.BUYER_SELLER_EQUAL: 买卖家不能相同.
        BuyerSellerEqual = "ACQ.BUYER_SELLER_EQUAL" => "买卖家不能相同", remedy "更换买家重新付款";
        /// ACQ.CONTEXT_INCONSISTENT: 交易信息被篡改.
        ContextInconsistent = "ACQ.CONTEXT_INCONSISTENT" => "交易信息被篡改", remedy "更换商家订单号后,重新发起请求";
        /// ACQ.CUSTOMER_VALIDATE_ERROR: 客户校验出错.
        CustomerValidateError = "ACQ.CUSTOMER_VALIDATE_ERROR" => "客户校验出错", remedy "请确认结算账号是否完成实名信息认证,如还有问题联系支付宝小二处理";
        /// ACQ.DEFAULT_SETTLE_RULE_NOT_EXIST: 默认结算条款不存在.
        DefaultSettleRuleNotExist = "ACQ.DEFAULT_SETTLE_RULE_NOT_EXIST" => "默认结算条款不存在", remedy "请确认二级商户进件是已经设置了默认结算账户";
        /// ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT: 买家未通过人行认证.
        ErrorBuyerCertifyLevelLimit = "ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT" => "买家未通过人行认证", remedy "让用户联系支付宝小二并更换其它付款方式";
        /// ACQ.ERROR_SELLER_CERTIFY_LEVEL_LIMIT: 卖家未通过人行认证.
        ErrorSellerCertifyLevelLimit = "ACQ.ERROR_SELLER_CERTIFY_LEVEL_LIMIT" => "卖家未通过人行认证", remedy "根据国家相关法规要求,收款账户资金变动超过一定数额,需补充实名认证资料后,才能进行收付款";
        /// ACQ.EXIST_FORBIDDEN_WORD: 订单信息中包含违禁词.
        ExistForbiddenWord = "ACQ.EXIST_FORBIDDEN_WORD" => "订单信息中包含违禁词", remedy "修改订单信息后,重新发起请求";
        /// ACQ.ILLEGAL_ARGUMENT: 参数错误.
        IllegalArgument = "ACQ.ILLEGAL_ARGUMENT" => "参数错误", remedy "请确认请求传参是否正确";
        /// ACQ.INVALID_PARAMETER: 参数无效.
        InvalidParameter = "ACQ.INVALID_PARAMETER" => "参数无效", remedy "检查请求参数,修改后重新发起请求";
        /// ACQ.INVALID_RECEIVE_ACCOUNT: 收款账户不支持.
        InvalidReceiveAccount = "ACQ.INVALID_RECEIVE_ACCOUNT" => "收款账户不支持", remedy "确认seller_id信息是否传递正确,如正确请确认seller_id是否在签约中设置了收款权限";
        /// ACQ.INVALID_STORE_ID: 商户门店编号无效.
        InvalidStoreId = "ACQ.INVALID_STORE_ID" => "商户门店编号无效", remedy "检查传入的门店编号是否有效";
        /// ACQ.MERCHANT_PERM_RECEIPT_DAY_LIMIT: 超过单日累计收款额度.
        MerchantPermReceiptDayLimit = "ACQ.MERCHANT_PERM_RECEIPT_DAY_LIMIT" => "超过单日累计收款额度", remedy "联系支付宝小二处理(联系电话:4007585858)";
        /// ACQ.MERCHANT_PERM_RECEIPT_SINGLE_LIMIT: 超过单笔收款限额.
        MerchantPermReceiptSingleLimit = "ACQ.MERCHANT_PERM_RECEIPT_SINGLE_LIMIT" => "超过单笔收款限额", remedy "联系支付宝小二处理(联系电话:4007585858)";
        /// ACQ.MERCHANT_PERM_RECEIPT_SUSPEND_LIMIT: 商户暂停收款.
        MerchantPermReceiptSuspendLimit = "ACQ.MERCHANT_PERM_RECEIPT_SUSPEND_LIMIT" => "商户暂停收款", remedy "联系支付宝小二处理(联系电话:4007585858)";
        /// ACQ.MERCHANT_STATUS_NOT_NORMAL: 商户状态异常.
        MerchantStatusNotNormal = "ACQ.MERCHANT_STATUS_NOT_NORMAL" => "商户状态异常", remedy "因商户超过三个月未产生交易,需重新激活后可正常收单。1、进入支付宝商家中心,重新确认激活商家信息 或2、联系支付宝小二处理(联系电话:4007585858)";
        /// ACQ.NOW_TIME_AFTER_EXPIRE_TIME_ERROR: 当前时间已超过允许支付的时间.
        NowTimeAfterExpireTimeError = "ACQ.NOW_TIME_AFTER_EXPIRE_TIME_ERROR" => "当前时间已超过允许支付的时间", remedy "请检查传入的支付超时时间是否正确";
        /// ACQ.OPEN_ID_NOT_TINY_APP: 请求的应用id非小程序应用类型.
        OpenIdNotTinyApp = "ACQ.OPEN_ID_NOT_TINY_APP" => "请求的应用id非小程序应用类型", remedy "1、接口需要传入op_app_id,且该应用id是小程序应用类型; 2、商户需要先在商家平台-产品中心- 关联该小程序appid; 3、如果未传入op_app_id,则默认发起请求的appid即唤起收银台所在的小程序应用id,该appid需要是小程序应用类型。";
        /// ACQ.PARTNER_ERROR: 应用app_id填写错误.
        PartnerError = "ACQ.PARTNER_ERROR" => "应用app_id填写错误", remedy "联系支付宝小二,确认app_id的状态";
        /// ACQ.PAYER_UNMATCHED: 付款人不匹配.
        PayerUnmatched = "ACQ.PAYER_UNMATCHED" => "付款人不匹配", remedy "建议用户更换为指定的支付宝账号进行支付";
        /// ACQ.PLATFORM_BUSINESS_ACQUIRE_MODE_MUST_MERCHANT_ID: 二级商户编码为空.
        PlatformBusinessAcquireModeMustMerchantId = "ACQ.PLATFORM_BUSINESS_ACQUIRE_MODE_MUST_MERCHANT_ID" => "二级商户编码为空", remedy "请检查是否正确传入二级商户编号";
        /// ACQ.PRODUCT_NOT_SUPPORT_IN_TINY_APP: 小程序内不支持使用该产品码交易.
        ProductNotSupportInTinyApp = "ACQ.PRODUCT_NOT_SUPPORT_IN_TINY_APP" => "小程序内不支持使用该产品码交易", remedy "1、请确认签约jsapi支付产品;2、product_code 改成JSAPI_PAY产品码";
        /// ACQ.RISK_MERCHANT_IP_NOT_EXIST: 当前交易未传入ip信息,创单失败,请传入ip后再发起支付.
        RiskMerchantIpNotExist = "ACQ.RISK_MERCHANT_IP_NOT_EXIST" => "当前交易未传入ip信息,创单失败,请传入ip后再发起支付", remedy "检查请求参数是否已经传入用户ip信息";
        /// ACQ.SECONDARY_MERCHANT_ALIPAY_ACCOUNT_INVALID: 二级商户账户异常.
        SecondaryMerchantAlipayAccountInvalid = "ACQ.SECONDARY_MERCHANT_ALIPAY_ACCOUNT_INVALID" => "二级商户账户异常", remedy "确认传入的二级商户结算账户是否与进件时设置的结算账户一致,如果一致可联系支付宝小二确认是否商户的账号信息有变更";
        /// ACQ.SECONDARY_MERCHANT_CARD_ALIAS_NO_INVALID: 二级商户银行卡编号错误.
        SecondaryMerchantCardAliasNoInvalid = "ACQ.SECONDARY_MERCHANT_CARD_ALIAS_NO_INVALID" => "二级商户银行卡编号错误", remedy "请确认是否正确传入二级商户的银行卡信息,以及银行卡信息是否与商户进件是设置的卡信息一致";
        /// ACQ.SECONDARY_MERCHANT_ID_BLANK: 二级商户编号错误.
        SecondaryMerchantIdBlank = "ACQ.SECONDARY_MERCHANT_ID_BLANK" => "二级商户编号错误", remedy "请检查是否正确传入二级商户编号";
        /// ACQ.SECONDARY_MERCHANT_ID_INVALID: 二级商户不存在.
        SecondaryMerchantIdInvalid = "ACQ.SECONDARY_MERCHANT_ID_INVALID" => "二级商户不存在", remedy "请检查传入的二级商户编号是否正确";
        /// ACQ.SECONDARY_MERCHANT_ISV_PUNISH_INDIRECT: 商户状态异常.
        SecondaryMerchantIsvPunishIndirect = "ACQ.SECONDARY_MERCHANT_ISV_PUNISH_INDIRECT" => "商户状态异常", remedy "请联系对应的服务商咨询";
        /// ACQ.SECONDARY_MERCHANT_NOT_MATCH: 二级商户信息不匹配.
        SecondaryMerchantNotMatch = "ACQ.SECONDARY_MERCHANT_NOT_MATCH" => "二级商户信息不匹配", remedy "1、请检查发起支付请求的二级商户账号是否正确或是否进件; 2、如果使用的是直付通平台商模式,请确认是否签约了直付通收单模式;";
        /// ACQ.SECONDARY_MERCHANT_STATUS_ERROR: 商户状态异常.
        SecondaryMerchantStatusError = "ACQ.SECONDARY_MERCHANT_STATUS_ERROR" => "商户状态异常", remedy "请联系对应的服务商咨询";
        /// ACQ.SELLER_BEEN_BLOCKED: 商家账号被冻结.
        SellerBeenBlocked = "ACQ.SELLER_BEEN_BLOCKED" => "商家账号被冻结", remedy "联系支付宝小二,解冻账号";
        /// ACQ.SELLER_NOT_EXIST: 卖家不存在.
        SellerNotExist = "ACQ.SELLER_NOT_EXIST" => "卖家不存在", remedy "确认卖家信息是否传递正确";
        /// ACQ.STORE_INFO_INVALID: 门店信息错误.
        StoreInfoInvalid = "ACQ.STORE_INFO_INVALID" => "门店信息错误", remedy "请校验传入的结算门店信息是否正确";
        /// ACQ.SUB_GOODS_SIZE_MAX_COUNT: 子商品明细超长.
        SubGoodsSizeMaxCount = "ACQ.SUB_GOODS_SIZE_MAX_COUNT" => "子商品明细超长", remedy "请检查子商品明细是否超过了150条";
        /// ACQ.SYSTEM_ERROR: 接口返回错误.
        SystemError = "ACQ.SYSTEM_ERROR" => "接口返回错误", remedy "请立即调用查询订单api,查询当前订单的状态,并根据订单状态决定下一步的操作";
        /// ACQ.TOTAL_FEE_EXCEED: 订单总金额超过限额.
        TotalFeeExceed = "ACQ.TOTAL_FEE_EXCEED" => "订单总金额超过限额", remedy "修改订单金额再发起请求";
        /// ACQ.TRADE_BUYER_NOT_MATCH: 交易买家不匹配.
        TradeBuyerNotMatch = "ACQ.TRADE_BUYER_NOT_MATCH" => "交易买家不匹配", remedy "更换商家订单号后,重新发起请求";
        /// ACQ.TRADE_HAS_CLOSE: 交易已经关闭.
        TradeHasClose = "ACQ.TRADE_HAS_CLOSE" => "交易已经关闭", remedy "更换商家订单号后,重新发起请求";
        /// ACQ.TRADE_HAS_SUCCESS: 交易已被支付.
        TradeHasSuccess = "ACQ.TRADE_HAS_SUCCESS" => "交易已被支付", remedy "确认该笔交易信息是否为当前买家的,如果是则认为交易付款成功,如果不是则更换商家订单号后,重新发起请求";
        /// ACQ.UNBOUND_APPLICATION: 未绑定小程序appid.
        UnboundApplication = "ACQ.UNBOUND_APPLICATION" => "未绑定小程序appid", remedy "1、确认op_app_id为唤起收银台支付的小程序appid;2、商户需要先在商家平台-产品中心- 关联该小程序appid,具体可参考:商户号关联小程序appid,多商家收款参考 小程序支付如何实现多商家收款。";
        /// ACQ.USER_LOGONID_DUP: 用户账号重复.
        UserLogonidDup = "ACQ.USER_LOGONID_DUP" => "用户账号重复", remedy "用户手机账户名与他人重复,无法进行收付款。为了保障资金安全,建议您通知对方修改账户名,并与对方核对后更新对方账户名";
        /// ACQ.TRADE_NOT_EXIST: 交易不存在 (trade does not exist).
        TradeNotExist = "ACQ.TRADE_NOT_EXIST" => "交易不存在 (trade does not exist)", remedy "check out_trade_no / trade_no; a trade created by precreate exists only after it is scanned";
        /// ACQ.TRADE_STATUS_ERROR: 交易状态不合法 (trade status does not allow this operation, e.g. closing a paid trade).
        TradeStatusError = "ACQ.TRADE_STATUS_ERROR" => "交易状态不合法 (trade status does not allow this operation, e.g. closing a paid trade)", remedy "query the trade and act on its status";
        /// ACQ.SELLER_BALANCE_NOT_ENOUGH: 卖家余额不足 (seller balance insufficient for the refund).
        SellerBalanceNotEnough = "ACQ.SELLER_BALANCE_NOT_ENOUGH" => "卖家余额不足 (seller balance insufficient for the refund)", remedy "top up the merchant balance, then retry the refund with the same out_request_no";
        /// ACQ.REFUND_AMT_NOT_EQUAL_TOTAL: 退款金额超限 (refund amount exceeds the refundable amount).
        RefundAmtNotEqualTotal = "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL" => "退款金额超限 (refund amount exceeds the refundable amount)", remedy "check refund_amount against the paid amount minus earlier refunds";
        /// ACQ.REASON_TRADE_BEEN_FREEZEN: 交易已冻结 (trade frozen).
        ReasonTradeBeenFreezen = "ACQ.REASON_TRADE_BEEN_FREEZEN" => "交易已冻结 (trade frozen)", remedy "contact Alipay support";
        /// isv.invalid-signature: 验签出错.
        InvalidSignature = "isv.invalid-signature" => "验签出错 (the gateway could not verify the request signature)", remedy "compare the string you signed with the one in sub_msg; check that the app private key matches the app public key uploaded to Alipay";
        /// isv.invalid-app-id: 无效的AppID参数.
        InvalidAppId = "isv.invalid-app-id" => "无效的AppID参数 (invalid app_id)", remedy "check app_id and the gateway (production vs sandbox)";
        /// isv.code-invalid: 授权码code无效.
        CodeInvalid = "isv.code-invalid" => "授权码code无效 (invalid auth code)";
        /// isv.app-cert-not-exist: 应用公钥证书不存在.
        AppCertNotExist = "isv.app-cert-not-exist" => "应用公钥证书不存在 (app certificate not found)", remedy "check app_cert_sn against the certificate uploaded to Alipay";
        /// invalid-alipay-root-cert-sn.
        InvalidRootCertSn = "isv.invalid-alipay-root-cert-sn" => "支付宝根证书SN无效 (invalid alipay_root_cert_sn)", remedy "recompute alipay_root_cert_sn from the current Alipay root certificate";
        /// isv.decryption-error-unknown: 解密出错.
        DecryptionError = "isv.decryption-error-unknown" => "解密出错 (decryption error)", remedy "check the AES key of content encryption";
        /// isv.missing-signature: 缺少签名参数.
        MissingSignature = "isv.missing-signature" => "缺少签名参数 (missing signature)";
        /// isp.unknow-error: 服务暂不可用.
        UnknownSystemError = "isp.unknow-error" => "服务暂不可用 (system busy)", remedy "query, then retry";
        /// aop.invalid-auth-token: 无效的访问令牌.
        InvalidAuthToken = "aop.invalid-auth-token" => "无效的访问令牌 (invalid auth token)";
    }
}

/// `{code, msg, sub_code, sub_msg}`: the common part of every `<method>_response`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseCommon {
    /// Gateway code (`10000` = success).
    pub code: AlipayCode,
    /// Gateway message.
    #[serde(default)]
    pub msg: String,
    /// Business code on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_code: Option<SubCode>,
    /// Business message on failure (for `isv.invalid-signature` it holds the gateway's string to
    /// sign, HTML-escaped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_msg: Option<String>,
}

impl ResponseCommon {
    /// Whether `code` is `10000`.
    pub fn is_success(&self) -> bool {
        self.code == AlipayCode::Success
    }

    /// `Ok(())` on success, otherwise the business error. Call it only on a response whose
    /// signature verified.
    ///
    /// # Errors
    /// [`BusinessError`] carrying code, msg, sub_code and sub_msg.
    pub fn check(&self) -> std::result::Result<(), BusinessError> {
        if self.is_success() {
            return Ok(());
        }
        Err(BusinessError {
            code: self.code.clone(),
            msg: self.msg.clone(),
            sub_code: self.sub_code.clone(),
            sub_msg: self.sub_msg.clone(),
        })
    }
}

/// An Alipay business failure (`code` other than 10000), after the signature verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "alipay error {code}: {msg}{}",
    match (sub_code, sub_msg) {
        (Some(c), Some(m)) => format!(" ({}: {m}{})", c.code(), c.remedy().map(|r| format!("; hint: {r}")).unwrap_or_default()),
        (Some(c), None) => format!(" ({})", c.code()),
        (None, Some(m)) => format!(" ({m})"),
        (None, None) => String::new(),
    }
)]
#[non_exhaustive]
pub struct BusinessError {
    /// Gateway code.
    pub code: AlipayCode,
    /// Gateway message.
    pub msg: String,
    /// Business code.
    pub sub_code: Option<SubCode>,
    /// Business message.
    pub sub_msg: Option<String>,
}

str_code_enum! {
    /// `trade_status` (alipay-jsapi.md 4.5).
    pub enum TradeStatus {
        /// 交易创建，等待买家付款.
        WaitBuyerPay = "WAIT_BUYER_PAY" => "交易创建，等待买家付款 (waiting for payment)";
        /// 未付款交易超时关闭，或支付完成后全额退款.
        TradeClosed = "TRADE_CLOSED" => "交易关闭 (closed unpaid, or fully refunded)";
        /// 交易支付成功 (refundable).
        TradeSuccess = "TRADE_SUCCESS" => "交易支付成功 (paid, refundable)";
        /// 交易结束，不可退款.
        TradeFinished = "TRADE_FINISHED" => "交易结束，不可退款 (paid, no longer refundable)";
    }
}

impl TradeStatus {
    /// Only `TRADE_SUCCESS` and `TRADE_FINISHED` mean the buyer paid.
    pub fn is_paid(&self) -> bool {
        matches!(self, TradeStatus::TradeSuccess | TradeStatus::TradeFinished)
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// A `biz_content` of one API method, and the response it answers with.
pub trait BizRequest: Serialize {
    /// The API method, e.g. `alipay.trade.create`.
    const METHOD: &'static str;
    /// The `<method>_response` object.
    type Response: DeserializeOwned;
    /// Whether the method takes the `notify_url` common parameter (the asynchronous notify of
    /// a trade); the client adds its configured URL only to these.
    const SENDS_NOTIFY_URL: bool = false;
    /// Whether sending the same request twice is harmless (queries; a refund, which Alipay
    /// applies once per `out_request_no`), so that a transport retry layer may resend it.
    const IDEMPOTENT: bool = true;

    /// Checks the documented limits before sending.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// The key of the response object: the method with `.` replaced by `_`, plus `_response`.
    fn response_key() -> String {
        format!("{}_response", Self::METHOD.replace('.', "_"))
    }
}

/// The buyer of a JSAPI trade: one of `buyer_id` or `buyer_open_id`, never both, never none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Buyer {
    /// `buyer_id`: the 2088… user id.
    BuyerId(AlipayUserId),
    /// `buyer_open_id`: the OpenID-mode id (new merchants).
    OpenId(String),
}

/// Which trade an operation is about: `trade_no` wins when both are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeRef {
    /// The merchant's order number.
    OutTradeNo(OutTradeNo),
    /// Alipay's trade number.
    TradeNo(TradeNo),
    /// Both.
    Both(OutTradeNo, TradeNo),
}

impl TradeRef {
    fn split(self) -> (Option<OutTradeNo>, Option<TradeNo>) {
        match self {
            TradeRef::OutTradeNo(o) => (Some(o), None),
            TradeRef::TradeNo(t) => (None, Some(t)),
            TradeRef::Both(o, t) => (Some(o), Some(t)),
        }
    }
}

fn require_trade_ref(out: Option<&OutTradeNo>, no: Option<&TradeNo>) -> Result<()> {
    if out.is_none() && no.is_none() {
        return Err(invalid(
            "out_trade_no",
            "out_trade_no or trade_no is required",
        ));
    }
    Ok(())
}

/// `goods_detail[]` of a trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GoodsDetail {
    /// 商品编号 (≤32).
    pub goods_id: String,
    /// 商品名称 (≤256).
    pub goods_name: String,
    /// Quantity, decimals allowed (`"1"`, `"1.50"`); kept as text, never a float.
    #[serde(deserialize_with = "decimal_text")]
    pub quantity: String,
    /// Unit price in yuan as text (`"2000"`, `"2000.00"`).
    #[serde(deserialize_with = "decimal_text")]
    pub price: String,
    /// 商家侧小程序商品id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_item_id: Option<String>,
    /// 商家侧小程序商品sku id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_sku_id: Option<String>,
    /// 支付宝定义的统一商品编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alipay_goods_id: Option<String>,
    /// 商品类目.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_category: Option<String>,
    /// 商品类目树 (`a|b|c`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories_tree: Option<String>,
    /// 商品描述信息.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// 商品的展示地址.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_url: Option<String>,
}

impl GoodsDetail {
    /// A line item.
    pub fn new(
        goods_id: impl Into<String>,
        goods_name: impl Into<String>,
        quantity: impl Into<String>,
        price: Yuan,
    ) -> Self {
        Self {
            goods_id: goods_id.into(),
            goods_name: goods_name.into(),
            quantity: quantity.into(),
            price: price.to_string(),
            out_item_id: None,
            out_sku_id: None,
            alipay_goods_id: None,
            goods_category: None,
            categories_tree: None,
            body: None,
            show_url: None,
        }
    }
}

/// A decimal sent as a JSON string or number, kept as its exact text.
fn decimal_text<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format_args!(
            "expected a decimal, found {other}"
        ))),
    }
}

/// `extend_params` of a trade.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExtendParams {
    /// 系统商编号 (ISV PID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_service_provider_id: Option<String>,
    /// 花呗分期数.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hb_fq_num: Option<String>,
    /// 花呗分期卖家承担手续费比例.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hb_fq_seller_percent: Option<String>,
    /// 公域商品交易业务订单id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_component_order_id: Option<String>,
    /// 卖家名称 shown to the buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specified_seller_name: Option<String>,
    /// Other members, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `agreement_sign_params`: pay and sign a withholding agreement in one go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgreementSignParams {
    /// 收单产品码, e.g. `GENERAL_WITHHOLDING`.
    pub product_code: String,
    /// 个人签约产品码, e.g. `CYCLE_PAY_AUTH_P`.
    pub personal_product_code: String,
    /// 协议签约场景, e.g. `INDUSTRY|DIGITAL_MEDIA`.
    pub sign_scene: String,
    /// 接入方式.
    pub access_params: AccessParams,
    /// 商户签约号 (≤32, letters and digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_agreement_no: Option<String>,
    /// 用户在商户网站的登录账号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_logon_id: Option<String>,
    /// 子商户信息.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant: Option<SignMerchantParams>,
    /// 周期管控规则 (required for periodic products).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_rule_params: Option<PeriodRuleParams>,
    /// 签约成功异步通知地址.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_notify_url: Option<String>,
}

/// `access_params` of an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessParams {
    /// `ALIPAYAPP`, `QRCODE` or `QRCODEORSMS`.
    pub channel: String,
}

/// `sub_merchant` of an agreement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SignMerchantParams {
    /// 子商户的商户id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant_id: Option<String>,
    /// 子商户的商户名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant_name: Option<String>,
    /// 子商户的服务名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant_service_name: Option<String>,
    /// 子商户的服务描述.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant_service_description: Option<String>,
}

/// `period_rule_params` of a periodic agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PeriodRuleParams {
    /// `DAY` or `MONTH`.
    pub period_type: String,
    /// Number of period units.
    pub period: u32,
    /// First execution date `yyyy-MM-dd`.
    pub execute_time: String,
    /// Largest single deduction.
    pub single_amount: Yuan,
    /// Total limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Yuan>,
    /// Maximum number of deductions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_payments: Option<u32>,
}

/// The JSAPI product code.
pub const JSAPI_PAY: &str = "JSAPI_PAY";

/// `alipay.trade.create` for mini-program JSAPI payment (every field of seed 002).
///
/// Build with [`TradeCreate::new`] (the required fields, the buyer as [`Buyer`]) and the setters.
/// The answer's `trade_no` goes to `my.tradePay`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeCreate {
    /// 商户订单号.
    pub out_trade_no: OutTradeNo,
    /// 订单总金额.
    pub total_amount: Yuan,
    /// 订单标题 (≤256, no `/ = &`).
    pub subject: String,
    /// 产品码: `JSAPI_PAY` (set by [`TradeCreate::new`]; legacy integrations omitted it and got
    /// 当面付).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_code: Option<String>,
    /// 实际经营主体的小程序 appid (required when it differs from the calling app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_app_id: Option<String>,
    /// The buyer's open_id under `op_app_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_buyer_open_id: Option<String>,
    /// 买家支付宝用户id (one of this and `buyer_open_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_id: Option<AlipayUserId>,
    /// 买家 open_id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_open_id: Option<String>,
    /// 卖家支付宝用户id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<AlipayUserId>,
    /// 订单附加信息 (≤128), echoed in notify and bills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// 商品列表.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goods_detail: Vec<GoodsDetail>,
    /// 绝对超时 `yyyy-MM-dd HH:mm:ss` (wins over `timeout_express`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
    /// 相对超时 `1m`-`15d` or `1c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_express: Option<String>,
    /// 业务扩展参数.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_params: Option<ExtendParams>,
    /// 商户传入业务信息 (JSON object agreed with Alipay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_params: Option<Value>,
    /// 因公付业务信息 (a JSON text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_pay_info: Option<String>,
    /// 因公付金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_pay_amount: Option<Yuan>,
    /// 商户端创建订单的用户 ip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mc_create_trade_ip: Option<String>,
    /// 小程序细分业务场景.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiny_app_merchant_biz_type: Option<String>,
    /// 公用回传参数 (≤512): URL-encode it yourself, it comes back verbatim in the notify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passback_params: Option<String>,
    /// 可打折金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discountable_amount: Option<Yuan>,
    /// 不可打折金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undiscountable_amount: Option<Yuan>,
    /// 商户门店编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// 支付宝店铺编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alipay_store_id: Option<String>,
    /// 商户操作员编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<String>,
    /// 商户机具终端编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    /// 禁用渠道 (comma separated; exclusive with `enable_pay_channels`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_pay_channels: Option<String>,
    /// 指定渠道 (comma separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_pay_channels: Option<String>,
    /// 返回参数选项, e.g. `["enterprise_pay_info","hyb_amount"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_options: Vec<String>,
    /// 签约参数 (pay and sign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_sign_params: Option<AgreementSignParams>,
    /// Settlement info (`settle_info`), sent as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_info: Option<Value>,
    /// Royalty info (`royalty_info`), sent as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub royalty_info: Option<Value>,
    /// Secondary merchant (`sub_merchant`, 直付通/间连), sent as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant: Option<Value>,
    /// `ext_user_info`, `logistics_detail`, `receiver_address_info`, `merchant_order_no`,
    /// `bkagent_req_info` and any newer member, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TradeCreate {
    /// A JSAPI trade of `total_amount` for `buyer`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] when `subject` breaks its limits (see [`BizRequest::validate`]).
    pub fn new(
        out_trade_no: OutTradeNo,
        total_amount: Yuan,
        subject: impl Into<String>,
        buyer: Buyer,
    ) -> Result<Self> {
        let (buyer_id, buyer_open_id) = match buyer {
            Buyer::BuyerId(id) => (Some(id), None),
            Buyer::OpenId(id) => (None, Some(id)),
        };
        let t = Self {
            out_trade_no,
            total_amount,
            subject: subject.into(),
            product_code: Some(JSAPI_PAY.to_owned()),
            buyer_id,
            buyer_open_id,
            op_app_id: None,
            op_buyer_open_id: None,
            seller_id: None,
            body: None,
            goods_detail: Vec::new(),
            time_expire: None,
            timeout_express: None,
            extend_params: None,
            business_params: None,
            enterprise_pay_info: None,
            enterprise_pay_amount: None,
            mc_create_trade_ip: None,
            tiny_app_merchant_biz_type: None,
            passback_params: None,
            discountable_amount: None,
            undiscountable_amount: None,
            store_id: None,
            alipay_store_id: None,
            operator_id: None,
            terminal_id: None,
            disable_pay_channels: None,
            enable_pay_channels: None,
            query_options: Vec::new(),
            agreement_sign_params: None,
            settle_info: None,
            royalty_info: None,
            sub_merchant: None,
            extra: Map::new(),
        };
        t.validate()?;
        Ok(t)
    }

    /// The paying mini program's app id (`op_app_id`).
    #[must_use]
    pub fn op_app_id(mut self, v: impl Into<String>) -> Self {
        self.op_app_id = Some(v.into());
        self
    }

    /// `op_buyer_open_id`.
    #[must_use]
    pub fn op_buyer_open_id(mut self, v: impl Into<String>) -> Self {
        self.op_buyer_open_id = Some(v.into());
        self
    }

    /// The receiving account (`seller_id`).
    #[must_use]
    pub fn seller_id(mut self, v: AlipayUserId) -> Self {
        self.seller_id = Some(v);
        self
    }

    /// `body` (≤128 characters).
    #[must_use]
    pub fn body(mut self, v: impl Into<String>) -> Self {
        self.body = Some(v.into());
        self
    }

    /// Adds a `goods_detail` line.
    #[must_use]
    pub fn goods(mut self, g: GoodsDetail) -> Self {
        self.goods_detail.push(g);
        self
    }

    /// `time_expire` (`yyyy-MM-dd HH:mm:ss`, UTC+8).
    #[must_use]
    pub fn time_expire(mut self, v: impl Into<String>) -> Self {
        self.time_expire = Some(v.into());
        self
    }

    /// `timeout_express` (`90m`, `2h`, `1d`, `1c`).
    #[must_use]
    pub fn timeout_express(mut self, v: impl Into<String>) -> Self {
        self.timeout_express = Some(v.into());
        self
    }

    /// `extend_params`.
    #[must_use]
    pub fn extend_params(mut self, v: ExtendParams) -> Self {
        self.extend_params = Some(v);
        self
    }

    /// `business_params`.
    #[must_use]
    pub fn business_params(mut self, v: Value) -> Self {
        self.business_params = Some(v);
        self
    }

    /// `passback_params` (already URL-encoded by you; ≤512).
    #[must_use]
    pub fn passback_params(mut self, v: impl Into<String>) -> Self {
        self.passback_params = Some(v.into());
        self
    }

    /// `discountable_amount` and `undiscountable_amount` (their sum must be the total).
    #[must_use]
    pub fn discount_split(
        mut self,
        discountable: Option<Yuan>,
        undiscountable: Option<Yuan>,
    ) -> Self {
        self.discountable_amount = discountable;
        self.undiscountable_amount = undiscountable;
        self
    }

    /// `store_id`.
    #[must_use]
    pub fn store_id(mut self, v: impl Into<String>) -> Self {
        self.store_id = Some(v.into());
        self
    }

    /// `mc_create_trade_ip`.
    #[must_use]
    pub fn mc_create_trade_ip(mut self, v: impl Into<String>) -> Self {
        self.mc_create_trade_ip = Some(v.into());
        self
    }

    /// `query_options`.
    #[must_use]
    pub fn query_options(mut self, v: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.query_options = v.into_iter().map(Into::into).collect();
        self
    }

    /// `agreement_sign_params`.
    #[must_use]
    pub fn agreement_sign_params(mut self, v: AgreementSignParams) -> Self {
        self.agreement_sign_params = Some(v);
        self
    }

    /// `disable_pay_channels` (exclusive with `enable_pay_channels`).
    #[must_use]
    pub fn disable_pay_channels(mut self, v: impl Into<String>) -> Self {
        self.disable_pay_channels = Some(v.into());
        self
    }

    /// `enable_pay_channels` (exclusive with `disable_pay_channels`).
    #[must_use]
    pub fn enable_pay_channels(mut self, v: impl Into<String>) -> Self {
        self.enable_pay_channels = Some(v.into());
        self
    }

    /// Any other member of `biz_content`, sent as given.
    #[must_use]
    pub fn extra(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }
}

/// Checks `timeout_express`: `1c`, or a whole number of `m`/`h`/`d` within 1m..15d.
pub fn check_timeout_express(v: &str) -> Result<()> {
    if v == "1c" {
        return Ok(());
    }
    let err = || {
        invalid(
            "timeout_express",
            format!("{v:?}: expected 1m..15d in whole m, h or d units, or 1c"),
        )
    };
    let (num, unit) = v.split_at(v.len().saturating_sub(1));
    if num.is_empty() || num.starts_with('0') || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let n: u64 = num.parse().map_err(|_| err())?;
    let minutes = match unit {
        "m" => n,
        "h" => n.checked_mul(60).ok_or_else(err)?,
        "d" => n.checked_mul(1440).ok_or_else(err)?,
        _ => return Err(err()),
    };
    if minutes > 15 * 1440 {
        return Err(err());
    }
    Ok(())
}

impl BizRequest for TradeCreate {
    const METHOD: &'static str = "alipay.trade.create";
    type Response = TradeCreateResponse;
    const SENDS_NOTIFY_URL: bool = true;
    // a retried create with the same out_trade_no is answered, not duplicated, but a changed
    // body would be ACQ.CONTEXT_INCONSISTENT: never resent automatically
    const IDEMPOTENT: bool = false;

    fn validate(&self) -> Result<()> {
        if self.subject.trim().is_empty() {
            return Err(invalid("subject", "must not be empty"));
        }
        max_chars("subject", &self.subject, 256)?;
        if self.subject.contains(['/', '=', '&']) {
            return Err(invalid("subject", "must not contain / = or &"));
        }
        match (&self.buyer_id, &self.buyer_open_id) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "buyer_id",
                    "give buyer_id or buyer_open_id, not both",
                ));
            }
            (None, None) => {
                return Err(invalid("buyer_id", "buyer_id or buyer_open_id is required"));
            }
            _ => {}
        }
        if let Some(b) = &self.body {
            max_chars("body", b, 128)?;
        }
        if let Some(p) = &self.passback_params {
            max_chars("passback_params", p, 512)?;
        }
        if let Some(op) = &self.op_app_id
            && (op.is_empty() || op.len() > 32 || !op.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(invalid(
                "op_app_id",
                "must be the mini program app id: 1-32 digits",
            ));
        }
        if let Some(t) = &self.time_expire {
            check_datetime("time_expire", t)?;
        }
        if let Some(t) = &self.timeout_express {
            check_timeout_express(t)?;
        }
        if let (Some(d), Some(u)) = (self.discountable_amount, self.undiscountable_amount)
            && d.checked_add(u) != Some(self.total_amount)
        {
            return Err(invalid(
                "discountable_amount",
                "discountable_amount + undiscountable_amount must equal total_amount",
            ));
        }
        if self.disable_pay_channels.is_some() && self.enable_pay_channels.is_some() {
            return Err(invalid(
                "enable_pay_channels",
                "exclusive with disable_pay_channels",
            ));
        }
        for (i, g) in self.goods_detail.iter().enumerate() {
            if g.goods_id.is_empty() || g.goods_id.chars().count() > 32 {
                return Err(invalid(
                    "goods_detail.goods_id",
                    format!("item {i}: 1-32 characters"),
                ));
            }
            if g.goods_name.is_empty() {
                return Err(invalid(
                    "goods_detail.goods_name",
                    format!("item {i}: must not be empty"),
                ));
            }
        }
        Ok(())
    }
}

/// `alipay.trade.query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeQuery {
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 支付宝交易号 (wins when both are given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// Extra fields to return, e.g. `fund_bill_list`, `voucher_detail_list`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_options: Vec<String>,
    /// 间连 org pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_pid: Option<String>,
}

impl TradeQuery {
    /// Queries `trade`.
    pub fn new(trade: TradeRef) -> Self {
        let (out_trade_no, trade_no) = trade.split();
        Self {
            out_trade_no,
            trade_no,
            query_options: Vec::new(),
            org_pid: None,
        }
    }

    /// `query_options`.
    #[must_use]
    pub fn query_options(mut self, v: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.query_options = v.into_iter().map(Into::into).collect();
        self
    }
}

impl BizRequest for TradeQuery {
    const METHOD: &'static str = "alipay.trade.query";
    type Response = TradeQueryResponse;

    fn validate(&self) -> Result<()> {
        require_trade_ref(self.out_trade_no.as_ref(), self.trade_no.as_ref())
    }
}

/// `alipay.trade.close`: closes an unpaid trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeClose {
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 商家操作员编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<String>,
}

impl TradeClose {
    /// Closes `trade`.
    pub fn new(trade: TradeRef) -> Self {
        let (out_trade_no, trade_no) = trade.split();
        Self {
            out_trade_no,
            trade_no,
            operator_id: None,
        }
    }
}

impl BizRequest for TradeClose {
    const METHOD: &'static str = "alipay.trade.close";
    type Response = TradeCloseResponse;

    fn validate(&self) -> Result<()> {
        require_trade_ref(self.out_trade_no.as_ref(), self.trade_no.as_ref())
    }
}

/// `alipay.trade.refund`. `out_request_no` is the idempotency key: Alipay refunds once per
/// value, so a retry after a timeout must reuse it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeRefund {
    /// 退款金额.
    pub refund_amount: Yuan,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 退款请求号 (idempotency key; required for partial refunds, always set here).
    pub out_request_no: OutRequestNo,
    /// 退款原因.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    /// Extra fields to return, e.g. `refund_detail_item_list`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_options: Vec<String>,
    /// 商户操作员编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<String>,
    /// 商户门店编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// 商户机具终端编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    /// 间连 org pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_pid: Option<String>,
    /// `refund_goods_detail`, `refund_royalty_parameters` and other members, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TradeRefund {
    /// Refunds `amount` of `trade` under the idempotency key `out_request_no`.
    pub fn new(trade: TradeRef, amount: Yuan, out_request_no: OutRequestNo) -> Self {
        let (out_trade_no, trade_no) = trade.split();
        Self {
            refund_amount: amount,
            out_trade_no,
            trade_no,
            out_request_no,
            refund_reason: None,
            query_options: Vec::new(),
            operator_id: None,
            store_id: None,
            terminal_id: None,
            org_pid: None,
            extra: Map::new(),
        }
    }

    /// `refund_reason`.
    #[must_use]
    pub fn reason(mut self, v: impl Into<String>) -> Self {
        self.refund_reason = Some(v.into());
        self
    }
}

impl BizRequest for TradeRefund {
    const METHOD: &'static str = "alipay.trade.refund";
    type Response = TradeRefundResponse;

    fn validate(&self) -> Result<()> {
        require_trade_ref(self.out_trade_no.as_ref(), self.trade_no.as_ref())?;
        if let Some(r) = &self.refund_reason {
            max_chars("refund_reason", r, 256)?;
        }
        Ok(())
    }
}

/// `alipay.trade.fastpay.refund.query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundQuery {
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 退款请求号 (for a refund sent without one: the out_trade_no).
    pub out_request_no: OutRequestNo,
    /// Extra fields to return, e.g. `gmt_refund_pay`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_options: Vec<String>,
    /// 间连 org pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_pid: Option<String>,
}

impl RefundQuery {
    /// Queries the refund `out_request_no` of `trade`.
    pub fn new(trade: TradeRef, out_request_no: OutRequestNo) -> Self {
        let (out_trade_no, trade_no) = trade.split();
        Self {
            out_trade_no,
            trade_no,
            out_request_no,
            query_options: Vec::new(),
            org_pid: None,
        }
    }

    /// `query_options`.
    #[must_use]
    pub fn query_options(mut self, v: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.query_options = v.into_iter().map(Into::into).collect();
        self
    }
}

impl BizRequest for RefundQuery {
    const METHOD: &'static str = "alipay.trade.fastpay.refund.query";
    type Response = RefundQueryResponse;

    fn validate(&self) -> Result<()> {
        require_trade_ref(self.out_trade_no.as_ref(), self.trade_no.as_ref())
    }
}

/// `bill_type` of a bill query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum BillType {
    /// `trade`: transaction bill.
    Trade,
    /// `signcustomer`: account balance bill.
    Signcustomer,
}

/// `alipay.data.dataservice.bill.downloadurl.query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BillDownloadUrlQuery {
    /// Which bill.
    pub bill_type: BillType,
    /// `yyyy-MM-dd` (daily) or `yyyy-MM` (monthly).
    pub bill_date: String,
    /// Sub-merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smid: Option<String>,
}

impl BillDownloadUrlQuery {
    /// The bill of `bill_date`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for a date that is neither `yyyy-MM-dd` nor `yyyy-MM`.
    pub fn new(bill_type: BillType, bill_date: impl Into<String>) -> Result<Self> {
        let q = Self {
            bill_type,
            bill_date: bill_date.into(),
            smid: None,
        };
        q.validate()?;
        Ok(q)
    }
}

impl BizRequest for BillDownloadUrlQuery {
    const METHOD: &'static str = "alipay.data.dataservice.bill.downloadurl.query";
    type Response = BillDownloadUrlResponse;

    fn validate(&self) -> Result<()> {
        let d = &self.bill_date;
        let ok = match d.len() {
            10 => crate::cashier::Date::parse(d).is_ok(),
            7 => crate::cashier::Date::parse(&format!("{d}-01")).is_ok(),
            _ => false,
        };
        if !ok {
            return Err(invalid(
                "bill_date",
                format!("{d:?}: expected yyyy-MM-dd or yyyy-MM"),
            ));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

/// `alipay_trade_create_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeCreateResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 支付宝交易号: pass it to `my.tradePay`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `fund_bill_list` entry of a synchronous response (snake_case `fund_channel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FundBill {
    /// Channel, e.g. `ALIPAYACCOUNT`, `PCREDIT`.
    pub fund_channel: String,
    /// Amount.
    pub amount: YuanAmount,
    /// Real amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_amount: Option<YuanAmount>,
    /// Other members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `alipay_trade_query_response` (also decodes `alipay.trade.pay`, which has the same style).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeQueryResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// Trade status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_status: Option<TradeStatus>,
    /// 交易的订单金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<YuanAmount>,
    /// 买家实付金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_pay_amount: Option<YuanAmount>,
    /// 实收金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_amount: Option<YuanAmount>,
    /// 开票金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_amount: Option<YuanAmount>,
    /// 积分支付的金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_amount: Option<YuanAmount>,
    /// Masked buyer login id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_logon_id: Option<String>,
    /// Buyer user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_user_id: Option<AlipayUserId>,
    /// Buyer open id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_open_id: Option<String>,
    /// 本次交易打款给卖家的时间.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_pay_date: Option<String>,
    /// Payment time (`alipay.trade.pay`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_payment: Option<String>,
    /// Funds used.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_as_default"
    )]
    pub fund_bill_list: Vec<FundBill>,
    /// Store id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// Store name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    /// Terminal id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    /// Discount amounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_amount: Option<YuanAmount>,
    /// Merchant discount amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mdiscount_amount: Option<YuanAmount>,
    /// Pass-back parameters, verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passback_params: Option<String>,
    /// The other ≈50 fields (`voucher_detail_list`, `ext_infos`, …), verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `alipay_trade_close_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeCloseResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `fund_change` of a refund: `Y` when this call moved money, `N` when it did not (e.g. an
/// idempotent replay of the same `out_request_no`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FundChange {
    /// `Y`.
    #[serde(rename = "Y")]
    Yes,
    /// `N`.
    #[serde(rename = "N")]
    No,
}

/// `alipay_trade_refund_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeRefundResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// Masked buyer login id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_logon_id: Option<String>,
    /// Buyer user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_user_id: Option<AlipayUserId>,
    /// Buyer open id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_open_id: Option<String>,
    /// Whether this call changed funds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_change: Option<FundChange>,
    /// The **cumulative** refunded total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_fee: Option<YuanAmount>,
    /// Refund time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_refund_pay: Option<String>,
    /// Amount sent back to the buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_back_fee: Option<YuanAmount>,
    /// Store name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    /// `refund_detail_item_list`, `present_refund_*`, … verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

str_code_enum! {
    /// `refund_status` of a refund query. Absent means "not received, or failed": query again
    /// later (at least 10 s after the refund) rather than assume failure.
    pub enum RefundStatus {
        /// 退款处理成功.
        RefundSuccess = "REFUND_SUCCESS" => "退款处理成功 (refund succeeded)";
    }
}

/// `alipay_trade_fastpay_refund_query_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundQueryResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 退款请求号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_request_no: Option<OutRequestNo>,
    /// Trade total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<YuanAmount>,
    /// This refund's amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<YuanAmount>,
    /// Reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    /// `REFUND_SUCCESS`, or `None`: not (yet) successful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_status: Option<RefundStatus>,
    /// Refund time (with `query_options`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_refund_pay: Option<String>,
    /// Amount sent back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_back_fee: Option<YuanAmount>,
    /// Other fields, verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `alipay_data_dataservice_bill_downloadurl_query_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BillDownloadUrlResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// The URL (expires 30 s after it is issued if unused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_download_url: Option<String>,
    /// e.g. `EMPTY_DATA_WITH_BILL_FILE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_file_code: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// Notify

/// A `fund_bill_list` entry of a notify (camelCase `fundChannel`, unlike responses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NotifyFundBill {
    /// Amount.
    pub amount: YuanAmount,
    /// Channel.
    pub fund_channel: String,
    /// Other members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An Alipay trade notification (`notify_type=trade_status_sync`), built from form pairs that
/// were decoded once and whose signature verified. Values are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TradeNotification {
    /// `trade_status_sync`.
    pub notify_type: String,
    /// Notify id (stays valid until `success` is answered): a de-duplication key.
    pub notify_id: String,
    /// `yyyy-MM-dd HH:mm:ss`.
    pub notify_time: String,
    /// The app the trade belongs to: check it is yours.
    pub app_id: String,
    /// The authorizing app (service providers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_app_id: Option<String>,
    /// Charset of the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    /// API version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `RSA2` or `RSA`, as received (informational; consumed by verification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_type: Option<String>,
    /// 支付宝交易号.
    pub trade_no: TradeNo,
    /// 商户订单号: check it is an order you created.
    pub out_trade_no: OutTradeNo,
    /// Refund request number (refund notifies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_biz_no: Option<String>,
    /// Buyer user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_id: Option<AlipayUserId>,
    /// Masked buyer login id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_logon_id: Option<String>,
    /// Buyer open id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_open_id: Option<String>,
    /// Seller user id: check it is the expected seller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<AlipayUserId>,
    /// Seller email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_email: Option<String>,
    /// Trade status: only `TRADE_SUCCESS` / `TRADE_FINISHED` mean paid.
    pub trade_status: TradeStatus,
    /// Order total: check it equals your order's amount.
    pub total_amount: Yuan,
    /// 实收金额.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_amount: Option<YuanAmount>,
    /// 开票金额.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_amount: Option<YuanAmount>,
    /// 付款金额.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_pay_amount: Option<YuanAmount>,
    /// 集分宝金额.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_amount: Option<YuanAmount>,
    /// Cumulative refunded amount (refund notifies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_fee: Option<YuanAmount>,
    /// Subject, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Body, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_create: Option<String>,
    /// Paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_payment: Option<String>,
    /// Refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_refund: Option<String>,
    /// Closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_close: Option<String>,
    /// `fund_bill_list` as the JSON text received (see [`TradeNotification::fund_bills`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fund_bill_list: Option<String>,
    /// `voucher_detail_list` as the JSON text received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voucher_detail_list: Option<String>,
    /// `passback_params` exactly as signed (still percent-encoded if you encoded it; see
    /// [`TradeNotification::passback_params_decoded`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passback_params: Option<String>,
    /// Every other field, verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, String>,
}

impl TradeNotification {
    /// Builds the notification from decoded, verified pairs. `sign` is ignored; empty values
    /// count as absent.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming a missing or malformed field, or a duplicated one.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if map.contains_key(&k) {
                return Err(invalid(
                    "body",
                    format!("parameter {k:?} appears more than once"),
                ));
            }
            if !v.is_empty() {
                map.insert(k, v);
            }
        }
        map.remove("sign");
        let mut take = |k: &str| map.remove(k);
        fn req<T>(field: &'static str, v: Option<T>) -> Result<T> {
            v.ok_or_else(|| invalid(field, "missing or empty"))
        }
        fn parse<T: std::str::FromStr<Err = Error>>(
            field: &'static str,
            v: Option<String>,
        ) -> Result<Option<T>> {
            v.map(|s| s.parse::<T>().map_err(|e| invalid(field, e.to_string())))
                .transpose()
        }
        let n = Self {
            notify_type: req("notify_type", take("notify_type"))?,
            notify_id: req("notify_id", take("notify_id"))?,
            notify_time: req("notify_time", take("notify_time"))?,
            app_id: req("app_id", take("app_id"))?,
            auth_app_id: take("auth_app_id"),
            charset: take("charset"),
            version: take("version"),
            sign_type: take("sign_type"),
            trade_no: req("trade_no", parse("trade_no", take("trade_no"))?)?,
            out_trade_no: req("out_trade_no", parse("out_trade_no", take("out_trade_no"))?)?,
            out_biz_no: take("out_biz_no"),
            buyer_id: parse("buyer_id", take("buyer_id"))?,
            buyer_logon_id: take("buyer_logon_id"),
            buyer_open_id: take("buyer_open_id"),
            seller_id: parse("seller_id", take("seller_id"))?,
            seller_email: take("seller_email"),
            trade_status: TradeStatus::from_code(&req("trade_status", take("trade_status"))?),
            total_amount: req("total_amount", parse("total_amount", take("total_amount"))?)?,
            receipt_amount: parse("receipt_amount", take("receipt_amount"))?,
            invoice_amount: parse("invoice_amount", take("invoice_amount"))?,
            buyer_pay_amount: parse("buyer_pay_amount", take("buyer_pay_amount"))?,
            point_amount: parse("point_amount", take("point_amount"))?,
            refund_fee: parse("refund_fee", take("refund_fee"))?,
            subject: take("subject"),
            body: take("body"),
            gmt_create: take("gmt_create"),
            gmt_payment: take("gmt_payment"),
            gmt_refund: take("gmt_refund"),
            gmt_close: take("gmt_close"),
            fund_bill_list: take("fund_bill_list"),
            voucher_detail_list: take("voucher_detail_list"),
            passback_params: take("passback_params"),
            extra: BTreeMap::new(),
        };
        Ok(Self { extra: map, ..n })
    }

    /// `fund_bill_list` parsed (empty when absent).
    ///
    /// # Errors
    /// [`Error::Json`] when the text is not the documented list.
    pub fn fund_bills(&self) -> Result<Vec<NotifyFundBill>> {
        match &self.fund_bill_list {
            None => Ok(Vec::new()),
            Some(s) => serde_json::from_str(s).map_err(|e| Error::json("fund_bill_list", e)),
        }
    }

    /// `voucher_detail_list` parsed as JSON (empty when absent).
    ///
    /// # Errors
    /// [`Error::Json`] when the text is not a JSON list.
    pub fn voucher_details(&self) -> Result<Vec<Value>> {
        match &self.voucher_detail_list {
            None => Ok(Vec::new()),
            Some(s) => serde_json::from_str(s).map_err(|e| Error::json("voucher_detail_list", e)),
        }
    }

    /// `passback_params` percent-decoded once more, for merchants who URL-encoded it before
    /// sending (as Alipay asks). The signed value is [`TradeNotification::passback_params`].
    ///
    /// # Errors
    /// [`Error::InvalidField`] for a bad escape or non-UTF-8 result.
    pub fn passback_params_decoded(&self) -> Result<Option<String>> {
        let Some(p) = &self.passback_params else {
            return Ok(None);
        };
        let b = p.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            if c == b'%' {
                let hex = |j: usize| b.get(j).and_then(|h| (*h as char).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(h), Some(l)) => out.push(u8::try_from(h * 16 + l).unwrap_or(0)),
                    _ => return Err(invalid("passback_params", "invalid percent escape")),
                }
                i += 3;
            } else {
                out.push(if c == b'+' { b' ' } else { c });
                i += 1;
            }
        }
        String::from_utf8(out)
            .map(Some)
            .map_err(|_| invalid("passback_params", "not UTF-8 after decoding"))
    }

    /// Whether Alipay considers the buyer to have paid.
    pub fn is_paid(&self) -> bool {
        self.trade_status.is_paid()
    }
}
