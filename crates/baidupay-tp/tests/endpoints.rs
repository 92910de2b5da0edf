//! Every remaining endpoint's exact request, and the seed's finance examples through the
//! client (the model tests decode every seed 004 example on their own).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use baidupay_model::cashier::{ApplyRefundRequest, BillKind, RefundType};
use baidupay_model::tp::{
    DevelopConfigRequest, FinanceRangeRequest, IncomeDetailRequest, PaymentDays,
    PaymentServiceRequest, PaymentServiceUpdateRequest, TpErrorCode,
};
use baidupay_model::{AppKey, BizRefundBatchId, OrderId, Secret, TpOrderId, UserId};
use baidupay_openapi::StaticToken;
use baidupay_tp::{SERVICE_PATH, TP_PAY_PATH, TpClient};
use baidupay_transport::replay::{Expect, ReplayTransport};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../vectors/tp/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const OK: &str = r#"{"errno":0,"msg":"success"}"#;

fn service() -> PaymentServiceRequest {
    PaymentServiceRequest {
        app_name: "测试".into(),
        service_phone: "13514310000".into(),
        bank_account: "北京百度网讯科技有限公司".into(),
        bank_card: "110902160610510".into(),
        bank_name: "招商银行".into(),
        bank_branch: "招商银行股份有限公司北京双榆树支行".into(),
        open_province: "北京市".into(),
        open_city: "海淀区".into(),
        payment_days: PaymentDays::T7,
        commission_rate: 6,
        pool_cash_pledge: 1000,
        day_max_frozen_amount: 10000,
    }
}

fn range() -> FinanceRangeRequest {
    FinanceRangeRequest {
        current_page: 1,
        page_size: 10,
        start_time: "2019-05-01".parse().unwrap(),
        end_time: "2019-06-30".parse().unwrap(),
    }
}

#[tokio::test]
async fn every_endpoint_sends_exactly_the_documented_request() {
    let service_form: Vec<(&str, &str)> = vec![
        ("app_name", "测试"),
        ("service_phone", "13514310000"),
        ("bank_account", "北京百度网讯科技有限公司"),
        ("bank_card", "110902160610510"),
        ("bank_name", "招商银行"),
        ("bank_branch", "招商银行股份有限公司北京双榆树支行"),
        ("open_province", "北京市"),
        ("open_city", "海淀区"),
        ("payment_days", "7"),
        ("commission_rate", "6"),
        ("pool_cash_pledge", "1000"),
        ("day_max_frozen_amount", "10000"),
    ];
    let range_q: &[(&str, &str)] = &[
        ("access_token", "AT"),
        ("current_page", "1"),
        ("page_size", "10"),
        ("start_time", "2019-05-01"),
        ("end_time", "2019-06-30"),
    ];
    let t = Arc::new(ReplayTransport::new([
        Expect::post("/rest/2.0/smartapp/pay/developconfig/submit")
            .query(&[("access_token", "AT")])
            .form(&[
                ("tp_public_key", "MIGfMA0"),
                ("pay_notify_url", "https://m.example/pay"),
                ("refund_audit_url", "https://m.example/audit"),
                ("refund_succ_url", "https://m.example/refund"),
            ])
            .respond_json(OK),
        Expect::post(format!("{SERVICE_PATH}/create"))
            .form(&service_form)
            .respond_json(OK),
        Expect::post(format!("{SERVICE_PATH}/updatebindservice"))
            .form(&service_form)
            .respond_json(OK),
        Expect::post(format!("{SERVICE_PATH}/update"))
            .form(&[
                ("app_name", "新名字"),
                ("service_phone", "13514310000"),
                ("pool_cash_pledge", "500"),
            ])
            .respond_json(OK),
        Expect::get(format!("{SERVICE_PATH}/auditstatus"))
            .respond_json(fixture("service_auditstatus.json")),
        Expect::get(format!("{SERVICE_PATH}/financebalance"))
            .query(range_q)
            .respond_json(fixture("financebalance.json")),
        Expect::get(format!("{SERVICE_PATH}/financebalance/incomedetail"))
            .query(&[
                ("access_token", "AT"),
                ("current_page", "1"),
                ("page_size", "10"),
                ("start_time", "2019-03-21"),
            ])
            .respond_json(fixture("incomedetail.json")),
        Expect::get(format!("{SERVICE_PATH}/financebalance/otherdetail"))
            .query(range_q)
            .respond_json(fixture("otherdetail.json")),
        Expect::get(format!("{SERVICE_PATH}/financeexpense"))
            .query(range_q)
            .respond_json(fixture("financeexpense.json")),
        Expect::get(format!("{SERVICE_PATH}/financeexpense/paydetail"))
            .query(&[("access_token", "AT"), ("task_id", "12688777319")])
            .respond_json(fixture("paydetail.json")),
        Expect::get(format!("{TP_PAY_PATH}/cancelOrder"))
            .query(&[
                ("access_token", "AT"),
                ("orderId", "1"),
                ("pmAppKey", "MMMabc"),
            ])
            .respond_json(r#"{"errno":0,"msg":"success","data":true}"#),
        Expect::post(format!("{TP_PAY_PATH}/applyOrderRefund"))
            .query(&[("access_token", "AT")])
            .form(&[
                ("orderId", "1"),
                ("userId", "2"),
                ("tpOrderId", "T1"),
                ("refundType", "1"),
                ("refundReason", "r"),
                ("bizRefundBatchId", "B1"),
                ("isSkipAudit", "1"), // the 2.0 default: no merchant audit
                ("pmAppKey", "MMMabc"),
            ])
            .respond_json(
                r#"{"errno":0,"msg":"success","data":{"refundBatchId":"9","refundPayMoney":1}}"#,
            ),
        Expect::get(format!("{TP_PAY_PATH}/findOrderRefund"))
            .query(&[
                ("access_token", "AT"),
                ("tpOrderId", "T1"),
                ("userId", "2"),
                ("pmAppKey", "MMMabc"),
            ])
            .respond_json(r#"{"errno":0,"msg":"success","data":null}"#),
        Expect::get(format!("{TP_PAY_PATH}/orderBill"))
            .query(&[
                ("access_token", "AT"),
                ("billTime", "2019-06-01"),
                ("pmAppKey", "MMMabc"),
            ])
            .respond_json(r#"{"errno":0,"msg":"success","data":{"data":[],"totalCount":0}}"#),
        Expect::get(format!("{TP_PAY_PATH}/capitaBill"))
            .respond_json(r#"{"errno":60019,"msg":"支付服务审核中,无法再次修改"}"#),
    ]));
    let tp = TpClient::new(
        "https://openapi.baidu.com",
        t.clone(),
        Arc::new(StaticToken(Secret::new("AT"))),
    );
    tp.submit_develop_config(&DevelopConfigRequest {
        tp_public_key: "MIGfMA0".into(),
        pay_notify_url: "https://m.example/pay".into(),
        refund_audit_url: "https://m.example/audit".into(),
        refund_succ_url: "https://m.example/refund".into(),
    })
    .await
    .unwrap();
    tp.create_service(&service()).await.unwrap();
    tp.update_bound_service(&service()).await.unwrap();
    tp.update_service(&PaymentServiceUpdateRequest {
        app_name: "新名字".into(),
        service_phone: "13514310000".into(),
        pool_cash_pledge: 500,
    })
    .await
    .unwrap();
    assert_eq!(tp.service_audit_status().await.unwrap().status.code(), 2);
    assert_eq!(tp.finance_balance(&range()).await.unwrap().data.len(), 6);
    let income = tp
        .income_detail(&IncomeDetailRequest {
            current_page: 1,
            page_size: 10,
            start_time: "2019-03-21".parse().unwrap(),
        })
        .await
        .unwrap();
    assert_eq!(income.quantity, Some(5));
    assert_eq!(
        tp.other_detail(&range()).await.unwrap().total_amount.fen(),
        -4
    );
    assert_eq!(
        tp.expenses(&range()).await.unwrap().data[0].task_id,
        12_688_777_319
    );
    assert_eq!(
        tp.pay_detail(12_688_777_319).await.unwrap().data[0].payment_status,
        "成功"
    );
    let key = || AppKey::new("MMMabc").unwrap();
    assert!(tp.cancel_order(key(), OrderId::new(1)).await.unwrap());
    let refund = ApplyRefundRequest::new(
        OrderId::new(1),
        UserId::new(2),
        TpOrderId::new("T1").unwrap(),
        BizRefundBatchId::new("B1").unwrap(),
        RefundType::UserRequested,
        "r",
        key(),
    )
    .unwrap();
    assert_eq!(
        tp.apply_refund(&refund)
            .await
            .unwrap()
            .refund_batch_id
            .as_str(),
        "9"
    );
    assert!(
        tp.find_refunds(key(), TpOrderId::new("T1").unwrap(), UserId::new(2))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        tp.bill(key(), BillKind::Order, "2019-06-01".parse().unwrap())
            .await
            .unwrap()
            .total_count,
        0
    );
    let e = tp
        .bill(key(), BillKind::Capital, "2019-06-01".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.tp_code(), Some(TpErrorCode::ServiceUnderAudit));
    t.assert_done();
}

#[tokio::test]
async fn finance_pages_end_with_the_seed_totals() {
    // the seed's financebalance example says total_count 6 with 6 rows: one page
    let t = Arc::new(ReplayTransport::new([Expect::get(format!(
        "{SERVICE_PATH}/financebalance"
    ))
    .respond_json(fixture("financebalance.json"))]));
    let tp = TpClient::new(
        "https://openapi.baidu.com",
        t.clone(),
        Arc::new(StaticToken(Secret::new("AT"))),
    );
    let pages = tp.finance_balance_pages(range()).collect().await.unwrap();
    assert_eq!(pages.len(), 1);
    t.assert_done();
}

#[tokio::test]
async fn every_validation_rule_stops_the_request_before_sending() {
    use baidupay_model::tp::{AccountCreateRequest, OrderListRequest, OrderStatusFilter};
    use baidupay_tp::TpError;
    let t = Arc::new(ReplayTransport::default());
    let tp = TpClient::new(
        "https://openapi.baidu.com",
        t.clone(),
        Arc::new(StaticToken(Secret::new("AT"))),
    );
    let account = AccountCreateRequest {
        business_scope: "软件开发".into(),
        business_province: "北京市".into(),
        business_city: "海淀区".into(),
        business_detail_address: "上地十街10号".into(),
        legal_person: "张三".into(),
        legal_id: "11010519491231002X".into(),
        id_card_front_url: "https://b.bdstatic.com/front.jpg".into(),
        id_card_back_url: "https://b.bdstatic.com/back.jpg".into(),
    };
    let field = |e: TpError| match e {
        TpError::Invalid(baidupay_model::Error::InvalidField { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    let mut a = account.clone();
    a.legal_person = "张".repeat(26);
    assert_eq!(
        field(tp.create_account(&a).await.unwrap_err()),
        "legal_person"
    );
    let mut a = account.clone();
    a.legal_id = "1101051949123100".into();
    assert_eq!(field(tp.create_account(&a).await.unwrap_err()), "legal_id");
    let mut a = account;
    a.business_scope = "x".into();
    assert_eq!(
        field(tp.create_account(&a).await.unwrap_err()),
        "business_scope"
    );
    let mut s = service();
    s.commission_rate = 10;
    assert_eq!(
        field(tp.create_service(&s).await.unwrap_err()),
        "commission_rate"
    );
    let mut s = service();
    s.payment_days = PaymentDays::Unknown(30);
    assert_eq!(
        field(tp.update_bound_service(&s).await.unwrap_err()),
        "payment_days"
    );
    let mut s = service();
    s.day_max_frozen_amount = 10_001;
    assert_eq!(
        field(tp.create_service(&s).await.unwrap_err()),
        "day_max_frozen_amount"
    );
    let d = DevelopConfigRequest {
        tp_public_key: String::new(),
        pay_notify_url: "https://m.example/pay".into(),
        refund_audit_url: "https://m.example/audit".into(),
        refund_succ_url: "https://m.example/refund".into(),
    };
    assert_eq!(
        field(tp.submit_develop_config(&d).await.unwrap_err()),
        "tp_public_key"
    );
    let list = OrderListRequest {
        status: OrderStatusFilter::All,
        start_time: 1_559_000_000_000,
        end_time: 1_559_999_999,
        current_page: 1,
        page_size: 10,
    };
    assert_eq!(field(tp.order_list(&list).await.unwrap_err()), "start_time");
    let mut r = range();
    r.end_time = "2019-04-01".parse().unwrap();
    assert_eq!(field(tp.expenses(&r).await.unwrap_err()), "end_time");
    let u = PaymentServiceUpdateRequest {
        app_name: String::new(),
        service_phone: "1".into(),
        pool_cash_pledge: 0,
    };
    assert_eq!(field(tp.update_service(&u).await.unwrap_err()), "app_name");
    assert!(
        t.requests().is_empty(),
        "no invalid request reached the transport"
    );
}
