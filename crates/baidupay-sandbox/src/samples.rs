//! Sample TP onboarding submissions that pass the sandbox's checks: what `baidupay demo` and
//! the end-to-end tests submit, so that both onboard a mini program the same way.

use std::fmt::Display;

use baidupay_model::tp::{
    AccountCreateRequest, DevelopConfigRequest, PaymentDays, PaymentServiceRequest,
};

/// A complete payment-account submission (step 1).
pub fn account_request() -> AccountCreateRequest {
    AccountCreateRequest {
        business_scope: "软件开发与技术服务".into(),
        business_province: "广东省".into(),
        business_city: "深圳市".into(),
        business_detail_address: "南山区科技园 1 号".into(),
        legal_person: "张三".into(),
        legal_id: "11010119900307663X".into(),
        id_card_front_url: "https://image.example/front.jpg".into(),
        id_card_back_url: "https://image.example/back.jpg".into(),
    }
}

/// A developer config (step 2) with the merchant's public key (base64) and callback URLs on
/// the example merchant's paths at `merchant` (`host:port`).
pub fn develop_config_request(
    tp_public_key: impl Into<String>,
    merchant: impl Display,
) -> DevelopConfigRequest {
    DevelopConfigRequest {
        tp_public_key: tp_public_key.into(),
        pay_notify_url: format!("http://{merchant}/notify/baidu/pay"),
        refund_audit_url: format!("http://{merchant}/notify/baidu/refund-audit"),
        refund_succ_url: format!("http://{merchant}/notify/baidu/refund"),
    }
}

/// A complete payment-service submission (step 3): T+7, the commission rate of 6 per mille.
pub fn payment_service_request() -> PaymentServiceRequest {
    PaymentServiceRequest {
        app_name: "沙箱小程序".into(),
        service_phone: "4001234567".into(),
        bank_account: "沙箱科技有限公司".into(),
        bank_card: "6222020200112233445".into(),
        bank_name: "中国工商银行".into(),
        bank_branch: "深圳科技园支行".into(),
        open_province: "广东省".into(),
        open_city: "深圳市".into(),
        payment_days: PaymentDays::T7,
        commission_rate: 6,
        pool_cash_pledge: 0,
        day_max_frozen_amount: 1000,
    }
}
