//! TP endpoints with ReplayTransport: exact requests, seed 004 responses, error codes,
//! validation before sending, pagination that always ends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use baidupay_model::tp::{
    AccountCreateRequest, AccountStatus, OrderListRequest, OrderStatusFilter, TpErrorCode,
};
use baidupay_model::{AppKey, Secret, TpOrderId};
use baidupay_openapi::StaticToken;
use baidupay_tp::{Pages, SERVICE_PATH, TP_PAY_PATH, TpClient, TpError};
use baidupay_transport::replay::{Expect, ReplayTransport};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../vectors/tp/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn client(t: &Arc<ReplayTransport>) -> TpClient {
    TpClient::new(
        "https://openapi.baidu.com",
        t.clone(),
        Arc::new(StaticToken(Secret::new("AT"))),
    )
}

fn account() -> AccountCreateRequest {
    AccountCreateRequest {
        business_scope: "软件开发".into(),
        business_province: "北京市".into(),
        business_city: "海淀区".into(),
        business_detail_address: "上地十街10号".into(),
        legal_person: "张三".into(),
        legal_id: "11010519491231002X".into(),
        id_card_front_url: "https://b.bdstatic.com/front.jpg".into(),
        id_card_back_url: "https://b.bdstatic.com/back.jpg".into(),
    }
}

#[tokio::test]
async fn dict_and_status_decode_seed_examples() {
    let t = Arc::new(ReplayTransport::new([
        Expect::get(format!("{SERVICE_PATH}/dict"))
            .query(&[("access_token", "AT")])
            .respond_json(format!(
                r#"{{"errno":0,"msg":"success","data":{}}}"#,
                fixture("dict.json")
            )),
        // seed 004's example is the bare object: accepted for the dictionary alone
        Expect::get(format!("{SERVICE_PATH}/dict")).respond_json(fixture("dict.json")),
        Expect::get("/rest/2.0/smartapp/pay/account/auditstatus")
            .respond_json(fixture("account_auditstatus.json")),
        Expect::get(format!("{SERVICE_PATH}/getbindservice"))
            .respond_json(fixture("getbindservice.json")),
        // any other operation stays strict: a body without errno is not success
        Expect::get(format!("{SERVICE_PATH}/getbindservice"))
            .respond_json(r#"{"pm_app_id":1,"app_name":"x","pm_app_key":"k","platform_public_key":"p","deal_id":"1","payment_days":1,"commission_rate":6,"pool_cash_pledge":0,"day_max_frozen_amount":0,"open_status":2}"#),
    ]));
    let tp = client(&t);
    let d = tp.dict().await.unwrap();
    assert_eq!(d.bank_list[0].banks[0].bank_name, "北京银行");
    assert_eq!(tp.dict().await.unwrap(), d);
    assert_eq!(
        tp.account_audit_status().await.unwrap().status,
        AccountStatus::Approved
    );
    assert_eq!(tp.bound_service().await.unwrap().pm_app_key, "XXX");
    let e = tp.bound_service().await.unwrap_err();
    assert!(
        matches!(
            e.call(),
            Some(baidupay_openapi::OpenApiError::UnexpectedAnswer { .. })
        ),
        "{e:?}"
    );
    t.assert_done();
}

#[tokio::test]
async fn create_account_validates_then_posts_the_form() {
    let t = Arc::new(ReplayTransport::new([
        Expect::post("/rest/2.0/smartapp/pay/account/create")
            .query(&[("access_token", "AT")])
            .form(&[
                ("business_scope", "软件开发"),
                ("business_province", "北京市"),
                ("business_city", "海淀区"),
                ("business_detail_address", "上地十街10号"),
                ("legal_person", "张三"),
                ("legal_id", "11010519491231002X"),
                ("id_card_front_url", "https://b.bdstatic.com/front.jpg"),
                ("id_card_back_url", "https://b.bdstatic.com/back.jpg"),
            ])
            .respond_json(r#"{"errno":0,"msg":"success"}"#),
        Expect::post("/rest/2.0/smartapp/pay/account/create")
            .respond_json(r#"{"errno":60012,"msg":"支付账号已经存在,请勿重复创建"}"#),
    ]));
    let tp = client(&t);
    let mut bad = account();
    bad.legal_id = "123".into();
    let e = tp.create_account(&bad).await.unwrap_err();
    assert!(
        matches!(
            &e,
            TpError::Invalid(baidupay_model::Error::InvalidField {
                field: "legal_id",
                ..
            })
        ),
        "{e}"
    );
    assert!(!e.may_have_been_sent());
    assert!(
        t.requests().is_empty(),
        "nothing is sent for an invalid request"
    );
    tp.create_account(&account()).await.unwrap();
    let e = tp.create_account(&account()).await.unwrap_err();
    assert_eq!(e.tp_code(), Some(TpErrorCode::AccountExists));
    assert!(TpErrorCode::AccountExists.remedy().is_some());
    t.assert_done();
}

fn page(items: &[&str], total_count: Option<u64>) -> String {
    let orders: Vec<String> = items
        .iter()
        .map(|id| {
            format!(
                r#"{{"id":"{id}","deal_id":"1","deal_title":"t","order_id":"{id}","tp_order_id":"T{id}","sub_status":"2","total_money":"1","pay_money":"1"}}"#
            )
        })
        .collect();
    let total = total_count
        .map(|c| format!(r#","total_count":{c}"#))
        .unwrap_or_default();
    format!(
        r#"{{"errno":0,"msg":"success","data":{{"data":[{}]{total}}}}}"#,
        orders.join(",")
    )
}

fn list_request() -> OrderListRequest {
    OrderListRequest {
        status: OrderStatusFilter::All,
        start_time: 1_559_000_000,
        end_time: 1_559_999_999,
        current_page: 1,
        page_size: 2,
    }
}

fn expect_page(n: &str, body: String) -> Expect {
    Expect::get(format!("{SERVICE_PATH}/orderlist"))
        .query(&[
            ("access_token", "AT"),
            ("status", "all"),
            ("start_time", "1559000000"),
            ("end_time", "1559999999"),
            ("current_page", n),
            ("page_size", "2"),
        ])
        .respond_json(body)
}

async fn all_ids(pages: Pages<'_, baidupay_model::tp::OrderList>) -> Vec<String> {
    pages
        .collect()
        .await
        .unwrap()
        .into_iter()
        .flat_map(|p| p.data.into_iter().map(|o| o.id))
        .collect()
}

#[tokio::test]
async fn pages_stop_at_total_count() {
    let t = Arc::new(ReplayTransport::new([
        expect_page("1", page(&["1", "2"], Some(5))),
        expect_page("2", page(&["3", "4"], Some(5))),
        expect_page("3", page(&["5"], Some(5))),
    ]));
    let tp = client(&t);
    assert_eq!(
        all_ids(tp.order_pages(list_request())).await,
        ["1", "2", "3", "4", "5"]
    );
    t.assert_done();
}

#[tokio::test]
async fn pages_stop_at_an_empty_page_and_at_a_repeated_page() {
    let t = Arc::new(ReplayTransport::new([
        expect_page("1", page(&["1", "2"], None)),
        expect_page("2", page(&[], None)),
        // a server that answers page 2 with page 1 again
        expect_page("1", page(&["1", "2"], None)),
        expect_page("2", page(&["1", "2"], None)),
    ]));
    let tp = client(&t);
    assert_eq!(all_ids(tp.order_pages(list_request())).await, ["1", "2"]);
    assert_eq!(
        all_ids(tp.order_pages(list_request())).await,
        ["1", "2"],
        "the repeated page ends it"
    );
    t.assert_done();
    // the seed example says total_page 1: one page only
    let t = Arc::new(ReplayTransport::new([expect_page(
        "1",
        fixture("orderlist.json"),
    )]));
    let ids = all_ids(client(&t).order_pages(list_request())).await;
    assert_eq!(ids.len(), 2);
    t.assert_done();
}

#[tokio::test]
async fn tp_pay_variants_use_the_tp_paths() {
    let t = Arc::new(ReplayTransport::new([Expect::get(format!(
        "{TP_PAY_PATH}/findByTpOrderId"
    ))
    .query(&[
        ("access_token", "AT"),
        ("tpOrderId", "T1"),
        ("pmAppKey", "MMMabc"),
    ])
    .respond_json(
        r#"{"errno":0,"msg":"success","data":{"orderId":1,"tpOrderId":"T1","status":2}}"#,
    )]));
    let o = client(&t)
        .find_order(
            AppKey::new("MMMabc").unwrap(),
            TpOrderId::new("T1").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(o.tp_order_id, "T1");
    t.assert_done();
}
