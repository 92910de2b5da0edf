//! Every JSON example of seed 004 (TP payment service) decodes, re-encodes to an equivalent
//! document and carries the documented values; request builders and their validation.
//!
//! Fixture notes: the seed's dictionary example elides entries with `...` and leaves trailing
//! commas, and its push examples write `小程序appid` / `第三方平台appid` where numbers go;
//! those copies were minimally fixed into JSON (tests/fixtures/tp/dict.json, audit_push_*.json).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baidupay_model::cashier::Params;
use baidupay_model::envelope::{ApiError, Envelope, decode_baidu};
use baidupay_model::tp::*;
use baidupay_model::{Error, Fen, SignedYuan};
use common::{fixture, round_trip, vector};

fn yuan(s: &str) -> SignedYuan {
    s.parse().unwrap()
}

#[test]
fn dictionary() {
    let d: PaymentDict = round_trip(&vector("tp/dict.json"));
    assert_eq!(d.province_list[0].province_name, "澳门");
    assert_eq!(d.province_list[0].cities[0].city_name, "澳门");
    assert_eq!(d.bank_list[0].banks[0].bank_name, "北京银行");
    assert_eq!(d.commission_rate["6"], "千分之六");
    assert_eq!(d.payment_days.len(), 4);
    for code in d.payment_days.keys() {
        assert!(
            PaymentDays::from_code(code.parse().unwrap()).is_known(),
            "{code}"
        );
    }
}

#[test]
fn audit_statuses() {
    let a: Envelope<AccountAuditStatus> = round_trip(&vector("tp/account_auditstatus.json"));
    assert_eq!(a.data.status, AccountStatus::Approved);
    assert_eq!(a.data.verify_message, "审核通过");
    let s: Envelope<ServiceAuditStatus> = round_trip(&vector("tp/service_auditstatus.json"));
    assert_eq!(s.data.status, OpenStatus::Approved);
    let empty: Option<serde_json::Value> =
        decode_baidu(fixture("tp/empty_success.json").as_bytes(), "create").unwrap();
    assert_eq!(
        empty, None,
        "{{\"errno\":0,\"msg\":\"success\"}} has no data"
    );
}

#[test]
fn bound_service() {
    let b: Envelope<BoundService> = round_trip(&vector("tp/getbindservice.json"));
    let b = b.data;
    assert_eq!(b.pm_app_id, 10896);
    assert_eq!(b.deal_id, "1292243105");
    assert_eq!(b.payment_days, PaymentDays::T1);
    assert_eq!(
        (
            b.commission_rate,
            b.pool_cash_pledge,
            b.day_max_frozen_amount
        ),
        (6, 1, 10000)
    );
    assert_eq!(b.open_status, OpenStatus::Approved);
    assert_eq!(b.fail_reason, "");
}

#[test]
fn audit_push_events() {
    let p: TpAuditPush = round_trip(&vector("tp/audit_push_pass.json"));
    assert_eq!(p.event, TpAuditEvent::CreateAccountPass);
    assert!(p.event.is_pass() && !p.event.is_reject());
    assert_eq!(p.event.step(), Some(OnboardingStep::Account));
    assert_eq!(p.event_time, "2019-01-14 12:45:10");
    assert_eq!(p.reason, None);
    let f: TpAuditPush = round_trip(&vector("tp/audit_push_fail.json"));
    assert!(f.event.is_reject());
    assert_eq!(f.reason.as_deref(), Some("失败原因"));
    let events = TpAuditEvent::KNOWN;
    assert_eq!(events.len(), 6);
    let steps: std::collections::BTreeSet<_> =
        events.iter().filter_map(TpAuditEvent::step).collect();
    assert_eq!(steps.len(), 3);
    let u: TpAuditPush = serde_json::from_str(
        r#"{"appId":"1","tpAppId":2,"eventTime":"t","event":"APP_PAYMENT_NEW_THING","x":1}"#,
    )
    .unwrap();
    assert_eq!(
        u.event,
        TpAuditEvent::Unknown("APP_PAYMENT_NEW_THING".into())
    );
    assert_eq!(u.event.step(), None);
    assert_eq!(u.extra["x"], 1);
}

#[test]
fn order_list() {
    let o: Envelope<OrderList> = round_trip(&vector("tp/orderlist.json"));
    let o = o.data;
    assert_eq!(o.total_money.as_deref(), Some("-"));
    assert_eq!((o.total_count, o.total_page), (Some(101), Some(1)));
    assert_eq!(o.len(), 2);
    assert_eq!(o.data[0].sub_status, OrderSubStatus::AwaitingPayment);
    assert_eq!(o.data[0].total_money, Fen::new(20));
    assert_eq!(o.data[0].segment_refunded_money, None);
    assert_eq!(o.data[1].tp_order_id, "ZD1559221562189606834");
}

#[test]
fn finance_reports_in_exact_yuan() {
    let b: Envelope<FinanceBalance> = round_trip(&vector("tp/financebalance.json"));
    let b = b.data;
    assert_eq!(b.income, yuan("0.32"));
    assert_eq!(b.others.map(SignedYuan::fen), Some(-2));
    assert_eq!(b.data.len(), 6);
    let day_sum: i64 = b.data.iter().map(|d| d.income.fen()).sum();
    assert_eq!(day_sum, 32, "days add up to the total income");
    let i: Envelope<IncomeDetail> = round_trip(&vector("tp/incomedetail.json"));
    assert_eq!(i.data.quantity, Some(5));
    assert_eq!(i.data.data[0].order_id, 26_986_351_846_447);
    assert_eq!(i.data.refund_amount, Some(yuan("0.00")));
    let o: Envelope<OtherDetail> = round_trip(&vector("tp/otherdetail.json"));
    assert_eq!(o.data.total_amount.fen(), -4);
    assert!(o.data.rule_type.contains("commisionLadder"));
    let e: Envelope<ExpenseList> = round_trip(&vector("tp/financeexpense.json"));
    assert_eq!(e.data.expense_money, Some(yuan("-0.10")));
    assert_eq!(e.data.data.iter().map(|x| x.money.fen()).sum::<i64>(), -10);
    assert_eq!(e.data.data[0].task_id, 12_688_777_319);
    let p: Envelope<PayDetail> = round_trip(&vector("tp/paydetail.json"));
    assert_eq!(p.data.data[0].paid_money, yuan("0.05"));
    assert_eq!(p.data.data[0].payment_status, "成功");
}

#[test]
fn error_codes() {
    for code in 60000..=60021 {
        let c = TpErrorCode::from_code(code);
        assert!(c.is_known(), "{code}");
        assert_eq!(c.code(), code);
    }
    assert_eq!(TpErrorCode::from_code(60022), TpErrorCode::Unknown(60022));
    assert!(
        TpErrorCode::AccountExists
            .remedy()
            .unwrap()
            .contains("audit status")
    );
    let e = decode_baidu::<()>(
        r#"{"errno":60014,"msg":"开发者设置未提交"}"#.as_bytes(),
        "create",
    )
    .unwrap_err();
    let ApiError::Errno { errno, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(
        TpErrorCode::from_code(errno),
        TpErrorCode::DeveloperConfigMissing
    );
}

/// A mutation that breaks one field, and that field's name.
type Case<T> = (fn(&mut T), &'static str);

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

fn field_of(e: Error) -> &'static str {
    match e {
        Error::InvalidField { field, .. } => field,
        other => panic!("{other:?}"),
    }
}

#[test]
fn account_validation_names_the_field() {
    assert!(account().validate().is_ok());
    let names: Vec<_> = account()
        .to_params()
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(names.len(), 8);
    let cases: Vec<Case<AccountCreateRequest>> = vec![
        (|a| a.business_scope = "软".into(), "business_scope"),
        (|a| a.business_scope = "软".repeat(2001), "business_scope"),
        (|a| a.legal_person = String::new(), "legal_person"),
        (|a| a.legal_person = "张".repeat(26), "legal_person"),
        (|a| a.legal_id = "1101051949123100".into(), "legal_id"),
        (|a| a.legal_id = "11010519491231002Y".into(), "legal_id"),
        (
            |a| a.id_card_back_url = "back.jpg".into(),
            "id_card_back_url",
        ),
        (|a| a.business_city = " ".into(), "business_city"),
    ];
    for (mutate, field) in cases {
        let mut a = account();
        mutate(&mut a);
        assert_eq!(field_of(a.validate().unwrap_err()), field);
    }
    let mut a = account();
    a.business_scope = "软".repeat(2000);
    assert!(
        a.validate().is_ok(),
        "2000 characters (not bytes) are allowed"
    );
}

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
        payment_days: PaymentDays::T1,
        commission_rate: 6,
        pool_cash_pledge: 1,
        day_max_frozen_amount: 10000,
    }
}

#[test]
fn service_validation() {
    assert!(service().validate().is_ok());
    let p = service().to_params().unwrap();
    assert!(p.contains(&("commission_rate", "6".into())));
    assert!(p.contains(&("payment_days", "1".into())));
    let cases: Vec<Case<PaymentServiceRequest>> = vec![
        (|s| s.commission_rate = 10, "commission_rate"),
        (|s| s.day_max_frozen_amount = 10001, "day_max_frozen_amount"),
        (|s| s.payment_days = PaymentDays::Unknown(3), "payment_days"),
        (|s| s.bank_card = "6222 0000".into(), "bank_card"),
        (|s| s.app_name = String::new(), "app_name"),
    ];
    for (mutate, field) in cases {
        let mut s = service();
        mutate(&mut s);
        assert_eq!(field_of(s.validate().unwrap_err()), field);
    }
    let d = DevelopConfigRequest {
        tp_public_key: "MIGf...".into(),
        pay_notify_url: "https://m.example/pay".into(),
        refund_audit_url: "https://m.example/audit".into(),
        refund_succ_url: "ftp://m.example/refund".into(),
    };
    assert_eq!(field_of(d.validate().unwrap_err()), "refund_succ_url");
    let u = PaymentServiceUpdateRequest {
        app_name: "x".into(),
        service_phone: String::new(),
        pool_cash_pledge: 0,
    };
    assert_eq!(field_of(u.validate().unwrap_err()), "service_phone");
}

#[test]
fn list_requests() {
    let o = OrderListRequest {
        status: OrderStatusFilter::All,
        start_time: 1_559_000_000,
        end_time: 1_559_999_999,
        current_page: 1,
        page_size: 10,
    };
    assert!(o.validate().is_ok());
    assert_eq!(o.to_params().unwrap()[0], ("status", "all".into()));
    let only = OrderListRequest {
        status: OrderStatusFilter::Only(OrderSubStatus::Refunded),
        ..o.clone()
    };
    assert_eq!(only.to_params().unwrap()[0], ("status", "5".into()));
    let ms = OrderListRequest {
        start_time: 1_559_000_000_000,
        ..o.clone()
    };
    assert_eq!(
        field_of(ms.validate().unwrap_err()),
        "start_time",
        "milliseconds are refused"
    );
    let rev = OrderListRequest {
        end_time: 1_558_000_000,
        ..o.clone()
    };
    assert_eq!(field_of(rev.validate().unwrap_err()), "end_time");
    let p0 = OrderListRequest {
        current_page: 0,
        ..o
    };
    assert_eq!(field_of(p0.validate().unwrap_err()), "current_page");
    let f = FinanceRangeRequest {
        current_page: 1,
        page_size: 10,
        start_time: "2019-01-02".parse().unwrap(),
        end_time: "2019-01-01".parse().unwrap(),
    };
    assert_eq!(field_of(f.validate().unwrap_err()), "end_time");
    assert!("2019-1-2".parse::<baidupay_model::cashier::Date>().is_err());
    assert_eq!(
        PayDetailRequest {
            task_id: 12_688_777_319
        }
        .to_params()
        .unwrap()[0]
            .1,
        "12688777319"
    );
}

#[test]
fn token_chain() {
    let t: TpToken = decode_baidu(
        br#"{"errno":0,"msg":"success","data":{"access_token":"42.12835b16c449ae00f7d9a61570516b4f.2592000.1535536744.aPk4Eh420Yt-2JdTBB_F-34gJWz93WxN4e9rQhN","expires_in":2592000,"scope":"smartapp_tp_smtapp_common public"}}"#,
        "tp token",
    )
    .unwrap();
    assert_eq!(t.expires_in, 2_592_000);
    assert!(!format!("{t:?}").contains("12835b16"));
    let a: AuthorizerToken = baidupay_model::envelope::decode_oauth(
        br#"{"access_token":"45.x","refresh_token":"46.y","expires_in":3600}"#,
        "oauth token",
    )
    .unwrap();
    assert_eq!(a.refresh_token.expose(), "46.y");
    let p: PreAuthCode = decode_baidu(
        br#"{"errno":0,"msg":"success","data":{"pre_auth_code":"c","expires_in":1200}}"#,
        "x",
    )
    .unwrap();
    assert_eq!(p.expires_in, 1200);
}
