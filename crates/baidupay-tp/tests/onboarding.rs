//! The onboarding helper from nothing to open, driven by status queries and push events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use baidupay_model::Secret;
use baidupay_model::tp::{OnboardingStep, TpAuditPush};
use baidupay_openapi::StaticToken;
use baidupay_tp::{NextAction, Onboarding, StepState, TpClient};
use baidupay_transport::replay::{Expect, ReplayTransport};

fn push(event: &str, reason: Option<&str>) -> TpAuditPush {
    let reason = reason
        .map(|r| format!(r#","reason":"{r}""#))
        .unwrap_or_default();
    serde_json::from_str(&format!(
        r#"{{"appId":1,"tpAppId":2,"eventTime":"2019-01-14 12:45:10","event":"{event}"{reason}}}"#
    ))
    .unwrap()
}

#[tokio::test]
async fn from_nothing_to_open() {
    let t = Arc::new(ReplayTransport::new([
        Expect::get("/rest/2.0/smartapp/pay/account/auditstatus")
            .respond_json(r#"{"errno":60013,"msg":"支付账号不存在,请先创建支付账号"}"#),
        Expect::get("/rest/2.0/smartapp/pay/paymentservice/auditstatus")
            .respond_json(r#"{"errno":60008,"msg":"支付服务不存在"}"#),
        Expect::get("/rest/2.0/smartapp/pay/account/auditstatus").respond_json(
            r#"{"errno":0,"msg":"success","data":{"status":3,"verify_message":"身份证号不匹配"}}"#,
        ),
        Expect::get("/rest/2.0/smartapp/pay/paymentservice/auditstatus")
            .respond_json(r#"{"errno":60008,"msg":"支付服务不存在"}"#),
        Expect::get("/rest/2.0/smartapp/pay/account/auditstatus").respond_json(
            r#"{"errno":0,"msg":"success","data":{"status":4,"verify_message":"审核通过"}}"#,
        ),
        Expect::get("/rest/2.0/smartapp/pay/paymentservice/auditstatus")
            .respond_json(r#"{"errno":0,"msg":"success","data":{"status":2,"fail_reason":""}}"#),
    ]));
    let tp = TpClient::new(
        "https://openapi.baidu.com",
        t.clone(),
        Arc::new(StaticToken(Secret::new("AT"))),
    );
    let mut o = Onboarding::default();
    o.refresh(&tp).await.unwrap();
    assert_eq!(o.next_action(), NextAction::CreateAccount);
    o.submitted(OnboardingStep::Account);
    assert_eq!(
        o.next_action(),
        NextAction::WaitFor(OnboardingStep::Account)
    );
    o.refresh(&tp).await.unwrap();
    assert_eq!(
        o.next_action(),
        NextAction::FixAccount("身份证号不匹配".into())
    );
    o.apply_push(&push("APP_PAYMENT_CREATE_ACCOUNT_PASS", None));
    assert_eq!(o.next_action(), NextAction::SubmitDeveloperConfig);
    o.submitted(OnboardingStep::DeveloperConfig);
    assert_eq!(
        o.next_action(),
        NextAction::WaitFor(OnboardingStep::DeveloperConfig)
    );
    o.apply_push(&push(
        "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL",
        Some("回调地址不可达"),
    ));
    assert_eq!(
        o.next_action(),
        NextAction::FixDeveloperConfig("回调地址不可达".into())
    );
    o.apply_push(&push("APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS", None));
    assert_eq!(o.next_action(), NextAction::CreateService);
    o.submitted(OnboardingStep::PaymentService);
    assert_eq!(
        o.next_action(),
        NextAction::WaitFor(OnboardingStep::PaymentService)
    );
    o.apply_push(&push("APP_PAYMENT_SOMETHING_NEW", None));
    assert_eq!(
        o.payment_service,
        StepState::UnderAudit,
        "unknown events change nothing"
    );
    o.refresh(&tp).await.unwrap();
    assert_eq!(o.next_action(), NextAction::Done);
    t.assert_done();
}
