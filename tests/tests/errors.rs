//! Error answers as the platforms give them. Injected ones (`POST /sandbox/faults` with `kind:
//! error`): each shape (Baidu's business envelope with a cashier or a TP code, the OpenAPI
//! gateway's, OAuth's, Alipay's) reaches the caller as the typed error, with the remedy of the
//! call that got it. And the sandbox's own: one rule table, two judges, the TP client's
//! `validate()` and the sandbox's TP handlers (over HTTP, the client's validation bypassed)
//! give the same verdict on the same forms, and the sandbox refuses with the seed's code and
//! wording.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use baidupay_alipay::{AlipayClient, AlipayConfig, Gateway};
use baidupay_crypto::{Algorithm, PrivateKey, Verifier};
use baidupay_e2e::*;
use baidupay_model::alipay::{SubCode, TradeQuery, TradeRef};
use baidupay_model::cashier::Params;
use baidupay_model::envelope::ApiError;
use baidupay_model::tp::rules::{ACCOUNT_CREATE as ACCOUNT_RULES, FieldRule};
use baidupay_model::tp::{AccountCreateRequest, TpErrorCode};
use baidupay_model::{
    AlipayAppId, AppKey, BaiduErrno, OrderId, OutTradeNo, Secret, TpOrderId, UserId,
};
use baidupay_openapi::StaticToken;
use baidupay_sandbox::SandboxConfig;
use baidupay_sandbox::samples::account_request;
use baidupay_tp::{TpClient, TpError};
use serde_json::{Value, json};

const FIND: &str = "/rest/2.0/smartapp/pay/paymentservice/findByTpOrderId";
const SYNC: &str = "/cashier/syncOrderStatus";
const ACCOUNT_CREATE: &str = "/rest/2.0/smartapp/pay/account/create";
const TP_FIND: &str = "/rest/2.0/smartapp/pay/paymentservice/tp/findByTpOrderId";
const MINI_APP: u64 = 16_022_222;
const RULES_APP: u64 = 16_033_333;

async fn arm(w: &World, fault: Value) {
    let (status, v) = post_json(&w.http, &w.url("/sandbox/faults"), &fault).await;
    assert_eq!(status, 201, "{v}");
}

/// The authorizer token of mini program `app_id`, authorized by the sandbox's shortcut.
async fn authorized(w: &World, app_id: u64) -> String {
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/tp/apps"),
        &json!({"app_id": app_id, "tp_app_id": 888, "event_url": "http://127.0.0.1:9/events"}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    v["access_token"].as_str().unwrap().to_owned()
}

/// A TP client for a mini program authorized by the sandbox's shortcut.
async fn tp_client(w: &World) -> TpClient {
    let token = authorized(w, MINI_APP).await;
    TpClient::new(
        w.running.base_url(),
        w.http.clone(),
        Arc::new(StaticToken(Secret::new(token))),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_cashier_errors_are_typed_with_the_remedy_of_the_call() {
    let w = World::start(SandboxConfig::default()).await;
    let tp = TpOrderId::new("INJ-1").unwrap();

    // 10003 on a query: retry later
    arm(
        &w,
        json!({"kind": "error", "path": FIND, "errno": 10003, "msg": "系统内部错误，请稍候重试"}),
    )
    .await;
    let e = w.client.find_order(tp.clone()).await.unwrap_err();
    assert_eq!(e.baidu_errno(), Some(BaiduErrno::InternalRetry));
    assert!(e.may_have_been_sent());
    assert!(e.is_retryable());
    assert_eq!(e.remedy(), BaiduErrno::InternalRetry.remedy());

    // 10003 on cancel-consumption: the enterprise assets are short, no retry fixes it
    arm(
        &w,
        json!({"kind": "error", "path": SYNC, "errno": 10003, "msg": "系统内部错误，请稍候重试"}),
    )
    .await;
    let e = w
        .client
        .sync_order_status(OrderId::new(1), UserId::new(2))
        .await
        .unwrap_err();
    assert_eq!(e.baidu_errno(), Some(BaiduErrno::InternalRetry));
    assert!(e.may_have_been_sent());
    assert!(!e.is_retryable());
    assert_eq!(
        e.remedy(),
        Some("enterprise assets below the refund: wait for more consumed orders")
    );

    // the gateway's QPS limit
    arm(
        &w,
        json!({"kind": "error", "path": FIND, "error_code": 18, "error_msg": "Open api qps request limit reached"}),
    )
    .await;
    let e = w.client.find_order(tp.clone()).await.unwrap_err();
    assert!(
        matches!(
            e.call().and_then(|c| c.api_error()),
            Some(ApiError::Gateway { error_code: 18, .. })
        ),
        "{e:?}"
    );
    assert_eq!(e.baidu_errno(), None);
    assert!(e.may_have_been_sent());
    assert!(e.is_retryable());
    assert_eq!(e.remedy(), Some("slow down and retry"));

    // OAuth
    arm(
        &w,
        json!({"kind": "error", "path": FIND, "error": "invalid_client", "error_description": "unknown client id"}),
    )
    .await;
    let e = w.client.find_order(tp.clone()).await.unwrap_err();
    assert!(
        matches!(
            e.call().and_then(|c| c.api_error()),
            Some(ApiError::OAuth { error, .. }) if error == "invalid_client"
        ),
        "{e:?}"
    );
    assert!(e.may_have_been_sent());
    assert!(!e.is_retryable());
    assert!(
        e.remedy().is_some_and(|r| r.contains("client_secret")),
        "{:?}",
        e.remedy()
    );

    // each fault was used once: the next call is handled (no such order)
    let e = w.client.find_order(tp).await.unwrap_err();
    assert_ne!(e.remedy(), Some("slow down and retry"));
}

fn tp_code(e: &TpError) -> TpErrorCode {
    e.tp_code().unwrap_or_else(|| panic!("no TP code in {e:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_tp_errors_are_typed_and_reach_every_code() {
    let w = World::start(SandboxConfig::default()).await;
    let tp = tp_client(&w).await;

    // a TP code with its remedy
    arm(
        &w,
        json!({"kind": "error", "path": ACCOUNT_CREATE, "errno": 60003, "msg": "该账号营业执照信息不完整"}),
    )
    .await;
    let e = tp.create_account(&account_request()).await.unwrap_err();
    assert_eq!(tp_code(&e), TpErrorCode::LicenseIncomplete);
    assert!(e.may_have_been_sent());
    assert!(!e.is_retryable());
    assert_eq!(e.remedy(), TpErrorCode::LicenseIncomplete.remedy());
    assert!(e.remedy().is_some());

    // the codes no rule of the sandbox reaches, by injection (the message defaults to the
    // code table's)
    for code in [60001, 60002, 60007, 60010, 60015] {
        arm(
            &w,
            json!({"kind": "error", "path": ACCOUNT_CREATE, "errno": code}),
        )
        .await;
        let e = tp.create_account(&account_request()).await.unwrap_err();
        assert_eq!(tp_code(&e), TpErrorCode::from_code(code));
        let Some(ApiError::Errno { msg, .. }) = e.call().and_then(|c| c.api_error()) else {
            panic!("{e:?}");
        };
        assert!(
            TpErrorCode::from_code(code)
                .description()
                .is_some_and(|d| d.starts_with(msg.as_str()) && !msg.is_empty()),
            "{code}: {msg}"
        );
    }

    // a cashier code on a TP pay API keeps the cashier's meaning
    arm(
        &w,
        json!({"kind": "error", "path": TP_FIND, "errno": 10003}),
    )
    .await;
    let e = tp
        .find_order(
            AppKey::new("MMMinj").unwrap(),
            TpOrderId::new("INJ-2").unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.call().and_then(|c| c.baidu_errno()),
        Some(BaiduErrno::InternalRetry)
    );
    assert!(e.is_retryable());
    assert_eq!(e.remedy(), BaiduErrno::InternalRetry.remedy());

    // the gateway and OAuth shapes on TP paths
    arm(
        &w,
        json!({"kind": "error", "path": ACCOUNT_CREATE, "error_code": 6, "error_msg": "No permission to access data"}),
    )
    .await;
    let e = tp.create_account(&account_request()).await.unwrap_err();
    assert_eq!(e.tp_code(), None);
    assert!(e.may_have_been_sent());
    assert!(!e.is_retryable());
    assert!(
        e.remedy().is_some_and(|r| r.contains("permission")),
        "{e:?}"
    );
    arm(
        &w,
        json!({"kind": "error", "path": "/rest/2.0/smartapp/pay/paymentservice/dict",
               "error": "invalid_grant", "error_description": "refresh token used"}),
    )
    .await;
    let e = tp.dict().await.unwrap_err();
    assert!(
        matches!(
            e.call().and_then(|c| c.api_error()),
            Some(ApiError::OAuth { error, .. }) if error == "invalid_grant"
        ),
        "{e:?}"
    );
    assert!(e.may_have_been_sent());
    assert!(e.remedy().is_some_and(|r| r.contains("single-use")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_alipay_error_is_signed_and_matched_on_the_method() {
    let w = World::start(SandboxConfig::default()).await;
    let key = PrivateKey::generate(2048).unwrap();
    let app = "2021000122671099";
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/alipay/apps"),
        &json!({"app_id": app, "app_public_key": key.public_key().to_spki_pem(),
                "notify_url": format!("http://{}/notify/alipay", w.merchant)}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    arm(
        &w,
        json!({"kind": "error", "method": "alipay.trade.query", "code": "20000",
               "msg": "Service Currently Unavailable", "sub_code": "ACQ.SYSTEM_ERROR",
               "sub_msg": "系统错误", "count": 2}),
    )
    .await;

    // another method is not matched
    let (status, body) = send(
        &w.http,
        http::Method::POST,
        &w.url("/gateway.do?method=alipay.trade.close"),
        "application/x-www-form-urlencoded",
        "app_id=1",
    )
    .await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_ne!(v["alipay_trade_close_response"]["code"], "20000", "{v}");

    // the method in the form body is matched, before the request is verified; the answer is
    // laid out and signed as the gateway's
    let (status, body) = send(
        &w.http,
        http::Method::POST,
        &w.url("/gateway.do"),
        "application/x-www-form-urlencoded",
        "method=alipay.trade.query&app_id=1",
    )
    .await;
    assert_eq!(status, 200);
    let text = std::str::from_utf8(&body).unwrap();
    let v: Value = serde_json::from_str(text).unwrap();
    let answer = &v["alipay_trade_query_response"];
    assert_eq!(answer["code"], "20000", "{v}");
    assert_eq!(answer["msg"], "Service Currently Unavailable");
    assert_eq!(answer["sub_code"], "ACQ.SYSTEM_ERROR");
    assert_eq!(answer["sub_msg"], "系统错误");
    let raw = text
        .strip_prefix("{\"alipay_trade_query_response\":")
        .and_then(|rest| rest.split_once(",\"sign\":"))
        .map(|(raw, _)| raw)
        .unwrap();
    Verifier::new(w.sandbox.alipay_public_key().clone(), Algorithm::RsaSha256)
        .verify_base64(raw.as_bytes(), v["sign"].as_str().unwrap())
        .unwrap();

    // and the SDK verifies it and surfaces the sub_code
    let client = AlipayClient::new(
        AlipayConfig::new(
            AlipayAppId::new(app).unwrap(),
            key,
            w.sandbox.alipay_public_key().clone(),
        )
        .unwrap()
        .gateway(Gateway::Custom(w.url("/gateway.do")))
        .unwrap(),
        w.http.clone(),
    );
    let e = client
        .query(&TradeQuery::new(TradeRef::OutTradeNo(
            OutTradeNo::new("INJ-ALI-1").unwrap(),
        )))
        .await
        .unwrap_err();
    assert_eq!(e.sub_code(), Some(&SubCode::from_code("ACQ.SYSTEM_ERROR")));
    assert!(e.may_have_been_sent());
    let left = get_json(&w.http, &w.url("/sandbox/faults")).await;
    assert_eq!(left, json!([]), "both uses were taken");
}

/// The sandbox's answer to `form` posted as is.
async fn post_form(w: &World, token: &str, form: String) -> Value {
    let (status, body) = send(
        &w.http,
        http::Method::POST,
        &w.url(&format!("{ACCOUNT_CREATE}?access_token={token}")),
        "application/x-www-form-urlencoded",
        form,
    )
    .await;
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

fn encoded(req: &AccountCreateRequest) -> String {
    let params = req.to_params().unwrap();
    baidupay_crypto::form::encode(params.iter().map(|(k, v)| (*k, v.as_str())))
}

fn rule(field: &str) -> &'static FieldRule {
    ACCOUNT_RULES.iter().find(|r| r.field == field).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_and_the_sandbox_judge_the_account_form_alike() {
    let w = World::start(SandboxConfig::default()).await;
    let token = authorized(&w, RULES_APP).await;

    let with = |field: &str, value: &str| {
        let mut r = account_request();
        match field {
            "legal_person" => r.legal_person = value.into(),
            "legal_id" => r.legal_id = value.into(),
            "id_card_front_url" => r.id_card_front_url = value.into(),
            "business_scope" => r.business_scope = value.into(),
            other => panic!("{other}"),
        }
        r
    };
    let cases = [
        ("legal_person", String::new(), false),
        ("legal_person", "张".to_owned(), true),
        ("legal_person", "张".repeat(25), true),
        ("legal_person", "张".repeat(26), false),
        ("legal_person", "Li".to_owned(), true),
        ("legal_person", "L".to_owned(), false),
        ("legal_person", "a".repeat(50), true),
        ("legal_person", "a".repeat(51), false),
        ("legal_person", "李A".to_owned(), true),
        ("legal_person", format!("{}AB", "张".repeat(24)), true),
        ("legal_person", format!("{}A", "张".repeat(25)), false),
        ("legal_id", "123".to_owned(), false),
        ("legal_id", "11010519491231002X".to_owned(), true),
        (
            "id_card_front_url",
            "ftp://image.example/f.jpg".to_owned(),
            false,
        ),
        ("business_scope", "软".to_owned(), false),
    ];
    for (field, value, expected) in cases {
        let req = with(field, &value);
        let client = req.validate();
        let answer = post_form(&w, &token, encoded(&req)).await;
        let errno = answer["errno"].as_i64().unwrap();
        // accepted: submitted, or refused only because an earlier submission is under audit
        let sandbox = errno == 0 || errno == TpErrorCode::AccountUnderAudit.code();
        assert_eq!(
            client.is_ok(),
            expected,
            "client on {field}={value:?}: {client:?}"
        );
        assert_eq!(sandbox, expected, "sandbox on {field}={value:?}: {answer}");
        if !expected {
            let r = rule(field);
            assert!(
                matches!(&client, Err(baidupay_model::Error::InvalidField { field: f, .. }) if *f == field),
                "{client:?}"
            );
            assert_eq!(errno, r.code.code(), "{answer}");
            assert_eq!(answer["msg"], r.platform_message(), "{answer}");
        }
    }
    // the seed's own codes for the legal person and ID, with the seed's wording
    let a = post_form(&w, &token, encoded(&with("legal_person", &"张".repeat(26)))).await;
    assert_eq!(
        a,
        json!({"errno": 60004, "msg": "法人姓名限定在 2 - 50 字符", "data": {}})
    );
    let a = post_form(&w, &token, encoded(&with("legal_id", "123"))).await;
    assert_eq!(a["errno"], 60005);
    let a = post_form(&w, &token, encoded(&with("id_card_front_url", "x"))).await;
    assert_eq!(a["errno"], 60011);
    // an empty body: 60020
    let a = post_form(&w, &token, String::new()).await;
    assert_eq!(a["errno"], 60020, "{a}");
    assert_eq!(a["msg"], "Request Body 不能为空");
}
