//! The common part of every response (`code`, `msg`, `sub_code`, `sub_msg`), its code tables,
//! the business error, and the trade status.

use serde::{Deserialize, Serialize};

use crate::error::Result;

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
