//! TP status and code tables, the order-list status filter, and the fixed limits.

use crate::error::Result;

int_code_enum! {
    /// TP payment-service error codes 60000-60021 (seed 004 错误码列表).
    pub enum TpErrorCode {
        /// 60000 参数错误.
        InvalidParameter = 60000 => "参数错误 (invalid parameter)", remedy "check the request against the documented limits";
        /// 60001 该账号已经绑定过了.
        AlreadyBound = 60001 => "该账号已经绑定过了 (account already bound)";
        /// 60002 该账号未绑定支付账号.
        NoPaymentAccount = 60002 => "该账号未绑定支付账号 (no payment account bound)", remedy "create the payment account first";
        /// 60003 该账号营业执照信息不完整.
        LicenseIncomplete = 60003 => "该账号营业执照信息不完整 (business licence information incomplete)", remedy "complete the mini program's licence information in the console";
        /// 60004 法人姓名限定在 2 - 50 字符.
        LegalPersonLength = 60004 => "法人姓名限定在 2 - 50 字符 (legal person name must be 2-50 characters)";
        /// 60005 身份证号必须为 18 位.
        LegalIdLength = 60005 => "身份证号必须为 18 位 (ID number must have 18 characters)";
        /// 60006 支付账号审核信息不存在.
        AccountAuditMissing = 60006 => "支付账号审核信息不存在 (no payment account audit record)";
        /// 60007 创建支付服务失败.
        CreateServiceFailed = 60007 => "创建支付服务失败 (creating the payment service failed)";
        /// 60008 支付服务不存在.
        ServiceNotFound = 60008 => "支付服务不存在 (payment service does not exist)", remedy "create the payment service first";
        /// 60009 支付服务已经存在,请勿重复创建.
        ServiceExists = 60009 => "支付服务已经存在,请勿重复创建 (payment service already exists)", remedy "query it with getbindservice instead of creating it again";
        /// 60010 更新支付服务信息失败.
        UpdateServiceFailed = 60010 => "更新支付服务信息失败 (updating the payment service failed)";
        /// 60011 图片 Url 不是来自于我们的图片上传服务.
        ForeignImageUrl = 60011 => "图片 Url 不是来自于我们的图片上传服务 (image URL not from Baidu's upload service)", remedy "upload the ID card images through Baidu's image upload API and use the returned URLs";
        /// 60012 支付账号已经存在,请勿重复创建.
        AccountExists = 60012 => "支付账号已经存在,请勿重复创建 (payment account already exists)", remedy "query the account audit status instead of creating it again";
        /// 60013 支付账号不存在,请先创建支付账号.
        AccountNotFound = 60013 => "支付账号不存在,请先创建支付账号 (payment account does not exist)", remedy "create the payment account first";
        /// 60014 开发者设置未提交,请先提交开发者设置.
        DeveloperConfigMissing = 60014 => "开发者设置未提交,请先提交开发者设置 (developer config not submitted)", remedy "submit the developer config before creating the payment service";
        /// 60015 账号异常.
        AccountAbnormal = 60015 => "账号异常 (account abnormal)";
        /// 60016 创建账号审核未通过,请查看创建账号的审核状态.
        AccountRejected = 60016 => "创建账号审核未通过 (payment account audit not passed)", remedy "read the account audit status and its verify_message, fix and resubmit";
        /// 60017 支付账号审核中,无法再次创建.
        AccountUnderAudit = 60017 => "支付账号审核中,无法再次创建 (payment account under audit)", remedy "wait for the audit push or poll the account audit status";
        /// 60018 开发者设置审核中,无法再次修改.
        DeveloperConfigUnderAudit = 60018 => "开发者设置审核中,无法再次修改 (developer config under audit)", remedy "wait for the audit push";
        /// 60019 支付服务审核中,无法再次修改.
        ServiceUnderAudit = 60019 => "支付服务审核中,无法再次修改 (payment service under audit)", remedy "wait for the audit push or poll the service audit status";
        /// 60020 Request Body 不能为空.
        EmptyBody = 60020 => "Request Body 不能为空 (request body must not be empty)";
        /// 60021 未获取到有效数据.
        NoData = 60021 => "未获取到有效数据 (no valid data found)";
    }
}

int_code_enum! {
    /// Payment account audit status (`pay/account/auditstatus` `status`).
    pub enum AccountStatus {
        /// 0 初始状态.
        Initial = 0 => "初始状态 (initial)";
        /// 1 编辑中.
        Editing = 1 => "编辑中 (editing)";
        /// 2 提审.
        Submitted = 2 => "提审 (submitted for audit)";
        /// 3 未通过.
        Rejected = 3 => "未通过 (rejected)";
        /// 4 审核通过.
        Approved = 4 => "审核通过 (approved)";
        /// 5 回填过协议 id.
        AgreementFilled = 5 => "回填过协议 id (agreement id filled in)";
    }
}

int_code_enum! {
    /// Payment service open status (`paymentservice/auditstatus` `status`, `open_status`).
    pub enum OpenStatus {
        /// 0 新建.
        New = 0 => "新建 (new)";
        /// 1 审核中.
        UnderAudit = 1 => "审核中 (under audit)";
        /// 2 审核通过.
        Approved = 2 => "审核通过 (approved)";
        /// 3 驳回.
        Rejected = 3 => "驳回 (rejected)";
    }
}

int_code_enum! {
    /// Order sub-status in the TP order list (sent as a string: `"1"`).
    pub enum OrderSubStatus {
        /// 1 待付款.
        AwaitingPayment = 1 => "待付款 (awaiting payment)";
        /// 2 已付款.
        Paid = 2 => "已付款 (paid)";
        /// 3 已消费.
        Consumed = 3 => "已消费 (consumed)";
        /// 4 退款中.
        Refunding = 4 => "退款中 (refunding)";
        /// 5 已退款.
        Refunded = 5 => "已退款 (refunded)";
        /// 6 退款失败.
        RefundFailed = 6 => "退款失败 (refund failed)";
        /// 7 已取消.
        Cancelled = 7 => "已取消 (cancelled)";
    }
}

int_code_enum! {
    /// Settlement period `payment_days` (the dictionary's values: T+1, T+7, T+14, T+28).
    pub enum PaymentDays {
        /// T+1.
        T1 = 1 => "T+1";
        /// T+7.
        T7 = 7 => "T+7";
        /// T+14.
        T14 = 14 => "T+14";
        /// T+28 (the mini-game default).
        T28 = 28 => "T+28";
    }
}

/// The `status` filter of the order list: `all` or one sub-status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatusFilter {
    /// `all`.
    All,
    /// One sub-status.
    Only(OrderSubStatus),
}

/// As sent: `all` or the sub-status code.
impl serde::Serialize for OrderStatusFilter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::fmt::Display for OrderStatusFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrderStatusFilter::All => f.write_str("all"),
            OrderStatusFilter::Only(s) => write!(f, "{}", s.code()),
        }
    }
}

/// The fixed commission rate of mini programs: 6 (千分之六, 0.6 %).
pub const MINI_PROGRAM_COMMISSION_RATE: u32 = 6;
/// The largest `day_max_frozen_amount` (每日退款上限), in yuan.
pub const MAX_DAY_MAX_FROZEN_AMOUNT: u64 = 10_000;
