//! The third-party-platform onboarding end to end: the SDK's `TpClient` against the sandbox's
//! seed-004 endpoints, each audited step with its documented errors, the audit pushes at the
//! TP's event URL (sealed with the TP's keys and opened with them), and then payments of the opened service through the cashier, the TP pay
//! APIs and the paginated order list.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use baidupay_cashier::{CashierClient, CashierConfig, StaticToken};
use baidupay_e2e::*;
use baidupay_model::cashier::{BillKind, Date, PayStatus};
use baidupay_model::tp::{
    AccountStatus, FinanceRangeRequest, IncomeDetailRequest, OpenStatus, OrderListRequest,
    OrderStatusFilter, PaymentDays, TpAuditEvent, TpAuditPush, TpErrorCode,
};
use baidupay_model::{AppKey, DealId, Fen, Secret, TpOrderId};
use baidupay_notify::TpEventKeys;
use baidupay_sandbox::SandboxConfig;
use baidupay_sandbox::samples::{account_request, develop_config_request, payment_service_request};
use baidupay_tp::{TpClient, TpError};
use serde_json::json;

const MINI_APP: u64 = 16_011_111;
const TP_APP: u64 = 888;
const TP_CLIENT_ID: &str = "e2e-tp-client";

fn code(e: &TpError) -> TpErrorCode {
    e.tp_code().unwrap_or_else(|| panic!("no TP code in {e}"))
}

async fn audit(w: &World, step: &str, pass: bool, reason: &str) {
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/tp/audit"),
        &json!({"app_id": MINI_APP, "step": step, "pass": pass, "reason": reason}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mini_program_is_onboarded_step_by_step_and_then_takes_payments() {
    let w = World::start(SandboxConfig::default()).await;
    // the TP's event URLs: every audit push is opened with the TP's keys (verified, decrypted)
    // and answered `success`; tickets and authorization events are only acknowledged
    let pushes: Arc<Mutex<Vec<TpAuditPush>>> = Arc::default();
    let keys: Arc<OnceLock<TpEventKeys>> = Arc::default();
    let (seen, opener) = (pushes.clone(), keys.clone());
    let events = serve(
        axum::Router::new()
            .route(
                "/events",
                axum::routing::post(move |body: bytes::Bytes| {
                    let (seen, opener) = (seen.clone(), opener.clone());
                    async move {
                        let keys = opener.get().expect("registered before any audit");
                        let push = baidupay_notify::tp::parse_audit_push(keys, &body).unwrap();
                        seen.lock().unwrap().push(push);
                        baidupay_notify::tp::TP_ACK
                    }
                }),
            )
            .route(
                "/auth",
                axum::routing::post(|| async { baidupay_notify::tp::TP_ACK }),
            ),
    )
    .await;
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/tp/platforms"),
        &json!({"client_id": TP_CLIENT_ID, "token": "tp-token", "tp_app_id": TP_APP,
                "auth_event_url": format!("http://{events}/auth"),
                "event_url": format!("http://{events}/events")}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    keys.set(TpEventKeys::new("tp-token", v["aes_key"].as_str().unwrap(), TP_CLIENT_ID).unwrap())
        .unwrap();
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/tp/apps"),
        &json!({"app_id": MINI_APP, "client_id": TP_CLIENT_ID}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let token = v["access_token"].as_str().unwrap().to_owned();
    let tp = TpClient::new(
        w.running.base_url(),
        w.http.clone(),
        Arc::new(StaticToken(Secret::new(token))),
    );

    let dict = tp.dict().await.unwrap();
    assert!(!dict.province_list.is_empty());
    assert_eq!(dict.payment_days.get("7").map(String::as_str), Some("T+7"));

    // nothing exists yet
    assert_eq!(
        code(&tp.account_audit_status().await.unwrap_err()),
        TpErrorCode::AccountAuditMissing
    );
    assert_eq!(
        code(
            &tp.create_service(&payment_service_request())
                .await
                .unwrap_err()
        ),
        TpErrorCode::AccountNotFound
    );

    // 1. the payment account: under audit, rejected, resubmitted, approved
    tp.create_account(&account_request()).await.unwrap();
    assert_eq!(
        code(&tp.create_account(&account_request()).await.unwrap_err()),
        TpErrorCode::AccountUnderAudit
    );
    assert_eq!(
        tp.account_audit_status().await.unwrap().status,
        AccountStatus::Submitted
    );
    let config = develop_config_request(w.merchant_key.public_key().to_base64(), w.merchant);
    assert_eq!(
        code(&tp.submit_develop_config(&config).await.unwrap_err()),
        TpErrorCode::AccountUnderAudit
    );
    audit(&w, "account", false, "身份证照片不清晰").await;
    let rejected = tp.account_audit_status().await.unwrap();
    assert_eq!(rejected.status, AccountStatus::Rejected);
    assert_eq!(rejected.verify_message, "身份证照片不清晰");
    assert_eq!(
        code(&tp.submit_develop_config(&config).await.unwrap_err()),
        TpErrorCode::AccountRejected
    );
    tp.create_account(&account_request()).await.unwrap();
    audit(&w, "account", true, "").await;
    assert_eq!(
        code(&tp.create_account(&account_request()).await.unwrap_err()),
        TpErrorCode::AccountExists
    );

    // 2. the developer config
    assert_eq!(
        code(
            &tp.create_service(&payment_service_request())
                .await
                .unwrap_err()
        ),
        TpErrorCode::DeveloperConfigMissing
    );
    tp.submit_develop_config(&config).await.unwrap();
    assert_eq!(
        code(&tp.submit_develop_config(&config).await.unwrap_err()),
        TpErrorCode::DeveloperConfigUnderAudit
    );
    audit(&w, "develop_config", true, "").await;

    // 3. the payment service
    tp.create_service(&payment_service_request()).await.unwrap();
    assert_eq!(
        code(
            &tp.create_service(&payment_service_request())
                .await
                .unwrap_err()
        ),
        TpErrorCode::ServiceUnderAudit
    );
    assert_eq!(
        tp.service_audit_status().await.unwrap().status,
        OpenStatus::UnderAudit
    );
    audit(&w, "payment_service", true, "").await;
    assert_eq!(
        code(
            &tp.create_service(&payment_service_request())
                .await
                .unwrap_err()
        ),
        TpErrorCode::ServiceExists
    );
    let bound = tp.bound_service().await.unwrap();
    assert_eq!(bound.open_status, OpenStatus::Approved);
    assert_eq!(bound.payment_days, PaymentDays::T7);
    assert_eq!(
        bound.platform_public_key,
        w.sandbox.platform_public_key().to_base64()
    );

    // the pushes, in order, each answered `success`
    eventually("four pushes", || async {
        pushes.lock().unwrap().len() == 4
    })
    .await;
    let events: Vec<TpAuditEvent> = pushes
        .lock()
        .unwrap()
        .iter()
        .map(|p| p.event.clone())
        .collect();
    assert_eq!(
        events,
        [
            TpAuditEvent::CreateAccountFail,
            TpAuditEvent::CreateAccountPass,
            TpAuditEvent::DevelopConfigPass,
            TpAuditEvent::CreatePaymentPass
        ]
    );
    let first = pushes.lock().unwrap()[0].clone();
    assert_eq!((first.app_id, first.tp_app_id), (MINI_APP, TP_APP));
    assert_eq!(first.reason.as_deref(), Some("身份证照片不清晰"));

    // the opened service takes payments: orderInfo signed with the developer-config key,
    // the notify verified by the merchant with the platform key from getbindservice
    let pm_app_key = AppKey::new(bound.pm_app_key.as_str()).unwrap();
    let cashier = CashierClient::new(
        CashierConfig::new(
            pm_app_key.clone(),
            DealId::new(bound.deal_id.parse().unwrap()),
            w.merchant_key.clone(),
        )
        .api_base(w.running.base_url()),
        w.http.clone(),
        Arc::new(StaticToken(Secret::new("unused"))),
    );
    for (i, fen) in [(1, 100u64), (2, 200), (3, 300)] {
        let tp_order = TpOrderId::new(format!("TP-{i}")).unwrap();
        w.app
            .create_order(tp_order.clone(), Fen::new(fen))
            .await
            .unwrap();
        let info = cashier
            .order_info(tp_order, Fen::new(fen), "tp goods")
            .unwrap();
        let (status, v) = post_json(
            &w.http,
            &w.url("/sandbox/cashier/pay"),
            &serde_json::to_value(&info).unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{v}");
    }
    eventually("three payments applied", || async {
        w.app.counters().await.0 == 3
    })
    .await;
    let found = tp
        .find_order(pm_app_key.clone(), TpOrderId::new("TP-2").unwrap())
        .await
        .unwrap();
    assert_eq!(found.status, PayStatus::Paid);
    assert_eq!(found.total_money, Some(Fen::new(200)));

    // the order list, two per page
    let now = u64::try_from(baidupay_transport::Clock::unix_seconds(
        &baidupay_transport::SystemClock,
    ))
    .unwrap();
    let request = OrderListRequest {
        status: OrderStatusFilter::All,
        start_time: now - 3600,
        end_time: now + 3600,
        current_page: 1,
        page_size: 2,
    };
    let first_page = tp.order_list(&request).await.unwrap();
    assert_eq!(first_page.total_count, Some(3));
    assert_eq!(first_page.total_page, Some(2));
    assert_eq!(first_page.data.len(), 2);
    let pages = tp.order_pages(request).collect().await.unwrap();
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| p.data.iter().map(|o| o.tp_order_id.clone()))
        .collect();
    assert_eq!(ids, ["TP-3", "TP-2", "TP-1"]);

    // finance: today's income from the three payments, one day, its detail two per page
    let today = Date::parse(
        &baidupay_model::time::BeijingTime::from_unix(baidupay_transport::Clock::unix_seconds(
            &baidupay_transport::SystemClock,
        ))
        .date(),
    )
    .unwrap();
    let range = FinanceRangeRequest {
        current_page: 1,
        page_size: 10,
        start_time: today.clone(),
        end_time: today.clone(),
    };
    let balance = tp.finance_balance(&range).await.unwrap();
    assert_eq!(balance.income.to_string(), "6.00");
    assert_eq!(balance.data.len(), 1);
    assert_eq!(balance.period, Some(7));
    // 支付时间 as seed 004 documents it: `yyyy-MM-dd HH:mm:ss`, T+7 from today
    // (either side of a midnight that passed since the answer)
    let due = balance.payment_due.clone().unwrap();
    let now = baidupay_transport::Clock::unix_seconds(&baidupay_transport::SystemClock);
    let day = |t: i64| baidupay_model::time::BeijingTime::from_unix(t).date() + " 00:00:00";
    assert!(
        [day(now + 7 * 86_400), day(now + 6 * 86_400)].contains(&due),
        "{due}"
    );
    let detail_request = IncomeDetailRequest {
        current_page: 1,
        page_size: 2,
        start_time: today,
    };
    let detail = tp.income_detail(&detail_request).await.unwrap();
    assert_eq!(detail.total_count, Some(3));
    assert_eq!(detail.data.len(), 2);
    assert_eq!(detail.income_amount.unwrap().to_string(), "6.00");
    let all = tp
        .income_detail_pages(detail_request)
        .collect()
        .await
        .unwrap();
    let third: Vec<String> = all
        .iter()
        .flat_map(|p| p.data.iter().map(|i| i.third_order_id.clone()))
        .collect();
    assert_eq!(third, ["TP-1", "TP-2", "TP-3"]);
    assert!(tp.other_detail(&range).await.unwrap().data.is_empty());
    assert!(tp.expenses(&range).await.unwrap().data.is_empty());
    assert_eq!(
        code(&tp.pay_detail(1).await.unwrap_err()),
        TpErrorCode::NoData
    );

    // the TP order bill and capital bill of the day: GBK files with the three payments, their
    // stated totals adding up
    for kind in [BillKind::Order, BillKind::Capital] {
        let list = tp
            .bill(pm_app_key.clone(), kind, range.start_time.clone())
            .await
            .unwrap();
        let file = cashier.download_bill(&list.data[0]).await.unwrap();
        let bill = file.entries().unwrap();
        assert!(bill.totals_ok, "{kind:?}");
        assert_eq!(bill.encoding, Some(baidupay_cashier::BillEncoding::Gbk));
        let paid: Vec<(&str, u64)> = bill
            .entries
            .iter()
            .map(|e| (e.merchant_order_id.as_str(), e.amount.get()))
            .collect();
        assert_eq!(
            paid,
            [("TP-1", 100), ("TP-2", 200), ("TP-3", 300)],
            "{kind:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audits_pass_by_themselves_with_a_delay_and_bad_tokens_are_refused() {
    let w = World::start(SandboxConfig::default().tp_audit_delay(Duration::from_millis(50))).await;
    let events =
        serve(axum::Router::new().route("/events", axum::routing::post(|| async { "success" })))
            .await;
    let (_, v) = post_json(
        &w.http,
        &w.url("/sandbox/tp/apps"),
        &json!({"app_id": MINI_APP, "tp_app_id": TP_APP, "event_url": format!("http://{events}/events")}),
    )
    .await;
    let tp = TpClient::new(
        w.running.base_url(),
        w.http.clone(),
        Arc::new(StaticToken(Secret::new(
            v["access_token"].as_str().unwrap(),
        ))),
    );
    tp.create_account(&account_request()).await.unwrap();
    eventually("the account audit passes by itself", || async {
        tp.account_audit_status()
            .await
            .is_ok_and(|s| s.status == AccountStatus::Approved)
    })
    .await;
    // the platform's own checks (the SDK checks before sending, so a raw form here)
    let token = v["access_token"].as_str().unwrap();
    let (status, body) = send(
        &w.http,
        http::Method::POST,
        &w.url(&format!("/rest/2.0/smartapp/pay/account/create?access_token={token}")),
        "application/x-www-form-urlencoded",
        "business_scope=x1&business_province=a&business_city=b&business_detail_address=c&legal_person=%E5%BC%A0%E4%B8%89&legal_id=123&id_card_front_url=https%3A%2F%2Fi%2Ff&id_card_back_url=https%3A%2F%2Fi%2Fb",
    )
    .await;
    assert_eq!(status, 200);
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["errno"], 60005, "{answer}");
    let stranger = TpClient::new(
        w.running.base_url(),
        w.http.clone(),
        Arc::new(StaticToken(Secret::new("not-a-token"))),
    );
    assert!(stranger.dict().await.is_err());
    // deciding a step that is not under audit is a conflict
    let (status, _) = post_json(
        &w.http,
        &w.url("/sandbox/tp/audit"),
        &json!({"app_id": MINI_APP, "step": "payment_service", "pass": true}),
    )
    .await;
    assert_eq!(status, 409);
}
