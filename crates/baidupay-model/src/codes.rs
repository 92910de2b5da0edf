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
    /// Whether the docs say to retry later (10003 and the 50100xx network/QPS codes), whatever
    /// the call; [`BaiduErrno::is_retryable_for`] knows the calls where a code means something
    /// else.
    pub const fn is_retryable(self) -> bool {
        matches!(
            self,
            BaiduErrno::InternalRetry
                | BaiduErrno::NetworkRetry
                | BaiduErrno::QpsExceeded
                | BaiduErrno::ServiceRetry
        )
    }

    /// What this code means when `operation` answered it, where that differs from the table
    /// ([`ERRNO_OVERRIDES`]).
    pub fn in_operation(self, operation: &str) -> Option<&'static ErrnoOverride> {
        ERRNO_OVERRIDES
            .iter()
            .find(|o| o.errno == self && o.operation == operation)
    }

    /// What to do about this code when `operation` answered it.
    pub fn remedy_for(self, operation: &str) -> Option<&'static str> {
        match self.in_operation(operation) {
            Some(o) => Some(o.remedy),
            None => self.remedy(),
        }
    }

    /// Whether retrying `operation` may succeed after it answered this code.
    pub fn is_retryable_for(self, operation: &str) -> bool {
        match self.in_operation(operation) {
            Some(o) => o.retryable,
            None => self.is_retryable(),
        }
    }
}

/// A code that means something else on one operation than the table says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrnoOverride {
    /// The operation's name (as `Operation::name` and the clients' errors give it), e.g.
    /// `syncOrderStatus`.
    pub operation: &'static str,
    /// The code.
    pub errno: BaiduErrno,
    /// What it means there.
    pub meaning: &'static str,
    /// What to do about it there.
    pub remedy: &'static str,
    /// Whether retrying may succeed.
    pub retryable: bool,
}

/// The per-operation meanings of codes (baidu-cashier.md 7.3: on the 1.0 cancel-consumption
/// `syncOrderStatus`, 10003 says the enterprise assets are below the refund, which no retry
/// fixes).
pub const ERRNO_OVERRIDES: &[ErrnoOverride] = &[ErrnoOverride {
    operation: "syncOrderStatus",
    errno: BaiduErrno::InternalRetry,
    meaning: "企业余额 < 退款金额 (enterprise assets below the refund amount)",
    remedy: "enterprise assets below the refund: wait for more consumed orders",
    retryable: false,
}];

int_code_enum! {
    /// An `error_code` of Baidu's OpenAPI gateway (`{"error_code","error_msg"}`), the common
    /// codes of every OpenAPI host.
    pub enum GatewayCode {
        /// 1 Unknown error.
        UnknownError = 1 => "Unknown error", remedy "retry later";
        /// 2 Service temporarily unavailable.
        ServiceUnavailable = 2 => "Service temporarily unavailable", remedy "retry later";
        /// 3 Unsupported openapi method.
        UnsupportedMethod = 3 => "Unsupported openapi method", remedy "check the API path";
        /// 4 Open api request limit reached.
        RequestLimit = 4 => "Open api request limit reached", remedy "slow down and retry later";
        /// 6 No permission to access data.
        NoPermission = 6 => "No permission to access data", remedy "check that the app (or the TP authorization) has this API's permission";
        /// 17 Open api daily request limit reached.
        DailyLimit = 17 => "Open api daily request limit reached", remedy "wait until tomorrow or ask Baidu for a higher quota";
        /// 18 Open api qps request limit reached.
        QpsLimit = 18 => "Open api qps request limit reached", remedy "slow down and retry";
        /// 19 Open api total request limit reached.
        TotalLimit = 19 => "Open api total request limit reached", remedy "ask Baidu for a higher quota";
        /// 100 Invalid parameter.
        InvalidParameter = 100 => "Invalid parameter", remedy "check the request's parameters";
        /// 110 Access token invalid or no longer valid.
        TokenInvalid = 110 => "Access token invalid or no longer valid", remedy "fetch a new access token (the clients refresh once by themselves)";
        /// 111 Access token expired.
        TokenExpired = 111 => "Access token expired", remedy "fetch a new access token (the clients refresh once by themselves)";
    }
}

impl GatewayCode {
    /// Whether retrying later may succeed.
    pub const fn is_retryable(self) -> bool {
        matches!(
            self,
            GatewayCode::UnknownError
                | GatewayCode::ServiceUnavailable
                | GatewayCode::RequestLimit
                | GatewayCode::QpsLimit
                | GatewayCode::TokenInvalid
                | GatewayCode::TokenExpired
        )
    }
}

str_code_enum! {
    /// An OAuth `error` (`/oauth/2.0/token`, `/rest/2.0/oauth/token`, RFC 6749 5.2).
    pub enum OAuthErrorCode {
        /// `invalid_request`.
        InvalidRequest = "invalid_request" => "the request is missing a parameter or malformed", remedy "check grant_type and the parameters it needs";
        /// `invalid_client`.
        InvalidClient = "invalid_client" => "unknown client or wrong secret", remedy "check client_id and client_secret (the app's key and secret)";
        /// `invalid_grant`.
        InvalidGrant = "invalid_grant" => "the code or refresh token is invalid, used or expired", remedy "start the authorization again: codes and refresh tokens are single-use";
        /// `unauthorized_client`.
        UnauthorizedClient = "unauthorized_client" => "the client may not use this grant", remedy "check the app's permissions";
        /// `unsupported_grant_type`.
        UnsupportedGrantType = "unsupported_grant_type" => "unsupported grant_type", remedy "use the grant_type the endpoint documents";
        /// `invalid_scope`.
        InvalidScope = "invalid_scope" => "invalid scope", remedy "ask only for the documented scopes";
        /// `expired_token`.
        ExpiredToken = "expired_token" => "the token expired", remedy "fetch a new token";
        /// `invalid_token`.
        InvalidToken = "invalid_token" => "the token is invalid", remedy "fetch a new token";
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

    #[test]
    fn the_meaning_of_a_code_depends_on_the_operation() {
        let e = BaiduErrno::InternalRetry;
        assert!(e.is_retryable_for("applyOrderRefund"));
        assert_eq!(e.remedy_for("applyOrderRefund"), e.remedy());
        assert!(!e.is_retryable_for("syncOrderStatus"));
        assert_eq!(
            e.remedy_for("syncOrderStatus"),
            Some("enterprise assets below the refund: wait for more consumed orders")
        );
        // every override names a known code and an operation that exists
        for o in ERRNO_OVERRIDES {
            assert!(o.errno.is_known());
            assert!(!o.operation.is_empty());
        }
        assert_eq!(GatewayCode::from_code(18), GatewayCode::QpsLimit);
        assert!(GatewayCode::QpsLimit.is_retryable());
        assert!(
            OAuthErrorCode::from_code("invalid_client")
                .remedy()
                .is_some()
        );
    }
}
