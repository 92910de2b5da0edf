//! Baidu cashier business error codes and the platform's unified error codes
//! (baidu-cashier.md section 8, DOCS-2020 `function/error_code.md`).

int_code_enum! {
    /// An `errno` from the Baidu cashier (业务平台错误码 10000-10003) or the access platform
    /// (接入平台统一错误码). Third-party-platform codes 60000-60021 are
    /// `baidupay_model::tp::TpErrorCode`.
    pub enum BaiduErrno {
        /// 10000 签名校验失败.
        SignatureFailed = 10000 => "签名校验失败 (signature verification failed)",
            remedy "check the signature rules: sorted k=v of the documented fields, raw values, SHA1withRSA with the merchant private key, and that the public key uploaded to Baidu is the pair of that private key";
        /// 10001 参数错误.
        InvalidParameter = 10001 => "参数错误 (invalid parameter: userId / orderId invalid, dealId empty, or status out of range)",
            remedy "fix the parameters: orderId and userId must come from the payment notify, dealId and appKey from the payment service";
        /// 10002 系统错误.
        SystemError = 10002 => "系统错误 (order not found, consumed order cannot be refunded, or appKey not found)",
            remedy "check orderId/userId/appKey; cancel consumption (syncOrderStatus) before refunding a consumed order";
        /// 10003 系统内部错误，请稍候重试.
        InternalRetry = 10003 => "系统内部错误，请稍候重试 (internal error, retry later; also: company balance below the refund amount)",
            remedy "retry later with the same bizRefundBatchId; check the company balance for refunds";
        /// 930 系统签名异常.
        PlatformSignature = 930 => "系统签名异常 (system signature error)";
        /// 970 接口权限校验失败.
        PermissionDenied = 970 => "接口权限校验失败 (API permission check failed)";
        /// 4010001 系统异常.
        SystemException = 4010001 => "系统异常 (system exception)";
        /// 4010002 非法操作.
        IllegalOperation = 4010002 => "非法操作 (illegal operation)";
        /// 4010003 系统未知错误.
        UnknownSystemError = 4010003 => "系统未知错误 (unknown system error)";
        /// 4010004 系统必传参数缺失.
        MissingParameter = 4010004 => "系统必传参数缺失 (required parameter missing)";
        /// 4010006 检测到XSS注入.
        XssDetected = 4010006 => "检测到XSS注入 (XSS injection detected)";
        /// 4010007 第三方服务异常，请求失败.
        ThirdPartyFailed = 4010007 => "第三方服务异常，请求失败 (third-party service error)";
        /// 5010001 参数为空.
        EmptyParameter = 5010001 => "参数为空 (empty parameter)";
        /// 5010002 网络异常，请稍后再试.
        NetworkRetry = 5010002 => "网络异常，请稍后再试 (network error, retry later)", remedy "retry later";
        /// 5010003 访问量超过接口最大QPS.
        QpsExceeded = 5010003 => "访问量超过接口最大QPS (QPS limit exceeded)", remedy "slow down and retry";
        /// 5010004 服务异常，请稍后再试.
        ServiceRetry = 5010004 => "服务异常，请稍后再试 (service error, retry later)", remedy "retry later";
        /// 5010005 配置文件异常.
        ConfigError = 5010005 => "配置文件异常 (configuration error)";
        /// 6010007 用户未登录.
        NotLoggedIn = 6010007 => "用户未登录 (user not logged in)";
        /// 6010008 系统异常.
        SystemException2 = 6010008 => "系统异常 (system exception)";
        /// 7010001 第三方服务，返回数据异常.
        ThirdPartyBadData = 7010001 => "第三方服务，返回数据异常 (third-party service returned bad data)";
    }
}

impl BaiduErrno {
    /// Whether the docs say to retry later (10003 and the 50100xx network/QPS codes).
    pub const fn is_retryable(self) -> bool {
        matches!(
            self,
            BaiduErrno::InternalRetry
                | BaiduErrno::NetworkRetry
                | BaiduErrno::QpsExceeded
                | BaiduErrno::ServiceRetry
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in BaiduErrno::KNOWN {
            assert_eq!(BaiduErrno::from_code(c.code()), *c);
            assert!(c.description().is_some());
        }
        assert_eq!(BaiduErrno::from_code(42), BaiduErrno::Unknown(42));
        assert_eq!(BaiduErrno::Unknown(42).to_string(), "42 (unknown code)");
        assert!(BaiduErrno::SignatureFailed.remedy().is_some());
        assert!(BaiduErrno::PermissionDenied.remedy().is_none());
        let e: BaiduErrno = serde_json::from_str("\"10003\"").unwrap();
        assert!(e.is_retryable());
    }
}
