//! One rule table, two judges: the TP client's `validate()` and the sandbox's TP handlers
//! (over HTTP, the client's validation bypassed) give the same verdict on the same forms, and
//! the sandbox refuses with the seed's code and wording.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baidupay_e2e::*;
use baidupay_model::cashier::Params;
use baidupay_model::tp::rules::{ACCOUNT_CREATE, FieldRule};
use baidupay_model::tp::{AccountCreateRequest, TpErrorCode};
use baidupay_sandbox::SandboxConfig;
use baidupay_sandbox::samples::account_request;
use serde_json::{Value, json};

const CREATE: &str = "/rest/2.0/smartapp/pay/account/create";
const MINI_APP: u64 = 16_033_333;

/// The sandbox's answer to `form` posted as is.
async fn post_form(w: &World, token: &str, form: String) -> Value {
    let (status, body) = send(
        &w.http,
        http::Method::POST,
        &w.url(&format!("{CREATE}?access_token={token}")),
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
    ACCOUNT_CREATE.iter().find(|r| r.field == field).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_and_the_sandbox_judge_the_account_form_alike() {
    let w = World::start(SandboxConfig::default()).await;
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/tp/apps"),
        &json!({"app_id": MINI_APP, "tp_app_id": 888, "event_url": "http://127.0.0.1:9/events"}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let token = v["access_token"].as_str().unwrap().to_owned();

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
