//! Alipay types: every response example of seed 002 and alipay-jsapi.md sections 2 and 8
//! decodes and re-encodes equivalently; the real N-1 notify parses; request builders produce the
//! documented biz_content; validation names the field.
//!
//! Fixture notes: seed 002 prints codes in lower case (`acq.access_forbidden`, `jsapi_pay`);
//! the platform and the other sources use upper case, which the enums use. Its request example
//! passes both buyer_id and buyer_open_id although the table says "二选一" (one of the two):
//! it decodes, and `validate` flags it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baidupay_model::alipay::*;
use baidupay_model::{
    AlipayUserId, Error, Fen, OutRequestNo, OutTradeNo, TradeNo, Yuan, YuanAmount,
};
use common::{fixture, form, round_trip, vector};
use serde_json::Value;

/// The `<method>_response` object of a whole response body, as JSON text.
fn response_object(body: &str, key: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap();
    v.get(key)
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .to_string()
}

fn field_of(e: Error) -> &'static str {
    match e {
        Error::InvalidField { field, .. } => field,
        other => panic!("{other:?}"),
    }
}

#[test]
fn create_responses() {
    for (f, body) in [
        ("x1", vector("alipay/responses/x1.json")),
        ("x3", vector("alipay/responses/x3.json")),
        ("seed", fixture("alipay/seed_create_response.json")),
    ] {
        let key = TradeCreate::response_key();
        assert_eq!(key, "alipay_trade_create_response");
        let r: TradeCreateResponse = round_trip(&response_object(&body, &key));
        assert!(r.common.is_success(), "{f}");
        assert!(r.common.check().is_ok());
        assert!(r.trade_no.is_some() && r.out_trade_no.is_some(), "{f}");
    }
}

#[test]
fn query_response_with_escapes_and_pay_response() {
    let r: TradeQueryResponse = round_trip(&response_object(
        &vector("alipay/responses/x2.json"),
        &TradeQuery::response_key(),
    ));
    assert_eq!(r.extra["subject"], "测试");
    assert_eq!(r.extra["qr"], "https://qr.alipay.com/bax01");
    // V-4: a real alipay.trade.pay response, same field style as trade.query
    let v4: TradeQueryResponse = round_trip(&vector("alipay/responses/v4-content.json"));
    assert_eq!(v4.total_amount, Some("0.01".parse().unwrap()));
    assert_eq!(v4.point_amount, Some(YuanAmount::ZERO));
    assert_eq!(v4.fund_bill_list.len(), 1);
    assert_eq!(v4.fund_bill_list[0].fund_channel, "PCREDIT");
    assert_eq!(v4.fund_bill_list[0].amount.fen(), Fen::new(1));
    assert_eq!(
        v4.buyer_user_id,
        Some(AlipayUserId::new("2088102363632794").unwrap())
    );
    assert_eq!(v4.gmt_payment.as_deref(), Some("2019-08-29 20:14:05"));
}

#[test]
fn signed_error_responses_are_typed() {
    let r: ResponseCommon = round_trip(&response_object(
        &vector("alipay/responses/v2.json"),
        "alipay_security_risk_content_analyze_response",
    ));
    assert_eq!(r.code, AlipayCode::InvalidParameter);
    assert_eq!(r.sub_code, Some(SubCode::InvalidSignature));
    let e = r.check().unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("alipay error 40002 (非法的参数 (invalid parameter)): Invalid Arguments (isv.invalid-signature: 验签出错"), "{text}");
    assert!(text.contains("hint:"), "{text}");
    let r: ResponseCommon = round_trip(&response_object(
        &vector("alipay/responses/v3.json"),
        "alipay_security_risk_content_analyze_response",
    ));
    assert_eq!(r.sub_code, Some(SubCode::DecryptionError));
    let r: ResponseCommon = round_trip(&response_object(
        &fixture("alipay/spec_error_response.json"),
        "error_response",
    ));
    assert_eq!(r.sub_code, Some(SubCode::CodeInvalid));
    let r: TradeCreateResponse = round_trip(&response_object(
        &fixture("alipay/spec_precreate_failure.json"),
        "alipay_trade_precreate_response",
    ));
    assert_eq!(r.common.code, AlipayCode::BusinessFailed);
    assert_eq!(r.common.sub_code, Some(SubCode::TotalFeeExceed));
    assert_eq!(
        r.common.sub_code.as_ref().unwrap().remedy(),
        Some("修改订单金额再发起请求")
    );
    assert_eq!(r.trade_no, None);
    // V-1 is another API's response: its extra field is kept
    let r: TradeCreateResponse = round_trip(&response_object(
        &vector("alipay/responses/v1.json"),
        "alipay_open_file_upload_response",
    ));
    assert_eq!(r.extra["file_id"], "CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr");
}

#[test]
fn unknown_codes_and_statuses_are_kept() {
    let r: TradeQueryResponse = serde_json::from_str(
        r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.SOMETHING_NEW","trade_status":"TRADE_PENDING_REVIEW"}"#,
    )
    .unwrap();
    assert_eq!(
        r.common.sub_code,
        Some(SubCode::Unknown("ACQ.SOMETHING_NEW".into()))
    );
    assert_eq!(
        r.trade_status,
        Some(TradeStatus::Unknown("TRADE_PENDING_REVIEW".into()))
    );
    assert!(!r.trade_status.unwrap().is_paid());
    assert!(SubCode::KNOWN.len() >= 50);
    for c in SubCode::KNOWN {
        assert_eq!(&SubCode::from_code(c.code()), c);
        assert!(c.description().is_some(), "{c:?}");
        if c.code().starts_with("ACQ.") {
            assert!(
                c.remedy().is_some(),
                "seed 002 gives every ACQ code a remedy: {c:?}"
            );
        }
    }
}

#[test]
fn amounts_in_responses_are_strict() {
    for bad in [r#""88.8""#, r#""1e3""#, "88.88", r#""-1.00""#] {
        let json = format!(r#"{{"code":"10000","msg":"Success","total_amount":{bad}}}"#);
        assert!(
            serde_json::from_str::<TradeQueryResponse>(&json).is_err(),
            "{bad} accepted"
        );
    }
    let biz = fixture("alipay/seed_create_biz_content.json").replace("88.88", "88.8");
    assert!(serde_json::from_str::<TradeCreate>(&biz).is_err());
}

#[test]
fn seed_request_example_decodes_and_is_flagged() {
    let t: TradeCreate = round_trip(&fixture("alipay/seed_create_biz_content.json"));
    assert_eq!(t.total_amount.fen(), Fen::new(8888));
    assert_eq!(t.discountable_amount, Some("80.00".parse().unwrap()));
    assert_eq!(
        t.extend_params
            .as_ref()
            .unwrap()
            .trade_component_order_id
            .as_deref(),
        Some("2023060801502300000008810000005657")
    );
    assert_eq!(
        field_of(t.validate().unwrap_err()),
        "buyer_id",
        "both buyer ids given"
    );
}

#[test]
fn create_builder_matches_the_signing_vector() {
    let t = TradeCreate::new(
        OutTradeNo::new("20240513000001").unwrap(),
        "88.88".parse().unwrap(),
        "测试商品",
        Buyer::OpenId("074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5".into()),
    )
    .unwrap()
    .op_app_id("2021000122671080");
    // alipay-jsapi.md 8.1: the biz_content of the JSAPI signing vector, byte for byte
    assert_eq!(
        serde_json::to_string(&t).unwrap(),
        r#"{"out_trade_no":"20240513000001","total_amount":"88.88","subject":"测试商品","product_code":"JSAPI_PAY","op_app_id":"2021000122671080","buyer_open_id":"074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5"}"#
    );
    assert_eq!(TradeCreate::METHOD, "alipay.trade.create");
}

#[test]
fn create_validation_names_the_field() {
    let base = || {
        TradeCreate::new(
            OutTradeNo::new("T1").unwrap(),
            "10.00".parse().unwrap(),
            "iphone6 16g",
            Buyer::BuyerId(AlipayUserId::new("2088102146225135").unwrap()),
        )
        .unwrap()
    };
    base().validate().unwrap();
    let yuan = |s: &str| s.parse::<Yuan>().unwrap();
    let cases: Vec<(TradeCreate, &str)> = vec![
        (base().timeout_express("1.5h"), "timeout_express"),
        (base().timeout_express("16d"), "timeout_express"),
        (base().timeout_express("0m"), "timeout_express"),
        (base().time_expire("2021-12-31 24:00:00"), "time_expire"),
        (base().time_expire("2021/12/31 10:05:00"), "time_expire"),
        (base().body("x".repeat(129)), "body"),
        (base().passback_params("x".repeat(513)), "passback_params"),
        (base().op_app_id("app-1"), "op_app_id"),
        (
            base().discount_split(Some(yuan("8.00")), Some(yuan("1.00"))),
            "discountable_amount",
        ),
        (
            base()
                .disable_pay_channels("pcredit")
                .enable_pay_channels("moneyfund"),
            "enable_pay_channels",
        ),
    ];
    for (t, field) in cases {
        assert_eq!(field_of(t.validate().unwrap_err()), field);
    }
    for ok in ["1m", "90m", "15d", "360h", "1c"] {
        base().timeout_express(ok).validate().unwrap();
    }
    base()
        .time_expire("2021-12-31 10:05:00")
        .validate()
        .unwrap();
    base()
        .discount_split(Some(yuan("8.00")), Some(yuan("2.00")))
        .validate()
        .unwrap();
    for bad in ["a/b", "a=b", "a&b", ""] {
        let e = TradeCreate::new(
            OutTradeNo::new("T1").unwrap(),
            yuan("1.00"),
            bad,
            Buyer::OpenId("o".into()),
        )
        .unwrap_err();
        assert_eq!(field_of(e), "subject", "{bad:?}");
    }
    assert_eq!(
        field_of(
            TradeCreate::new(
                OutTradeNo::new("T1").unwrap(),
                yuan("1.00"),
                "x".repeat(257),
                Buyer::OpenId("o".into())
            )
            .unwrap_err()
        ),
        "subject"
    );
}

#[test]
fn companion_requests() {
    let out = OutTradeNo::new("20150320010101001").unwrap();
    let q = TradeQuery::new(TradeRef::OutTradeNo(out.clone())).query_options(["fund_bill_list"]);
    assert_eq!(
        serde_json::to_string(&q).unwrap(),
        r#"{"out_trade_no":"20150320010101001","query_options":["fund_bill_list"]}"#
    );
    let c = TradeClose::new(TradeRef::TradeNo(
        TradeNo::new("2015042321001004720200028594").unwrap(),
    ));
    assert_eq!(
        serde_json::to_string(&c).unwrap(),
        r#"{"trade_no":"2015042321001004720200028594"}"#
    );
    let r = TradeRefund::new(
        TradeRef::OutTradeNo(out.clone()),
        "0.01".parse().unwrap(),
        OutRequestNo::new("R1").unwrap(),
    )
    .reason("正常退款");
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"refund_amount":"0.01","out_trade_no":"20150320010101001","out_request_no":"R1","refund_reason":"正常退款"}"#
    );
    assert_eq!(TradeRefund::METHOD, "alipay.trade.refund");
    assert_eq!(
        RefundQuery::response_key(),
        "alipay_trade_fastpay_refund_query_response"
    );
    let b = BillDownloadUrlQuery::new(BillType::Trade, "2019-08").unwrap();
    assert_eq!(
        serde_json::to_string(&b).unwrap(),
        r#"{"bill_type":"trade","bill_date":"2019-08"}"#
    );
    assert_eq!(
        field_of(BillDownloadUrlQuery::new(BillType::Signcustomer, "2019-13").unwrap_err()),
        "bill_date"
    );
    let empty: TradeQuery = serde_json::from_str(r#"{"query_options":["x"]}"#).unwrap();
    assert_eq!(field_of(empty.validate().unwrap_err()), "out_trade_no");
}

#[test]
fn refund_responses() {
    let r: TradeRefundResponse = round_trip(
        r#"{"code":"10000","msg":"Success","buyer_logon_id":"854***@qq.com","fund_change":"N","out_trade_no":"T1","refund_fee":"0.01","send_back_fee":"0.00","trade_no":"2019082922001432790585537960"}"#,
    );
    assert_eq!(
        r.fund_change,
        Some(FundChange::No),
        "an idempotent replay moves no money"
    );
    assert_eq!(r.refund_fee.map(YuanAmount::fen), Some(Fen::new(1)));
    let q: RefundQueryResponse = round_trip(
        r#"{"code":"10000","msg":"Success","out_request_no":"R1","out_trade_no":"T1","refund_amount":"0.01","total_amount":"0.10"}"#,
    );
    assert_eq!(q.refund_status, None, "absent: not (yet) successful");
    let q: RefundQueryResponse = round_trip(
        r#"{"code":"10000","msg":"Success","out_request_no":"R1","refund_status":"REFUND_SUCCESS"}"#,
    );
    assert_eq!(q.refund_status, Some(RefundStatus::RefundSuccess));
    let b: BillDownloadUrlResponse = round_trip(
        r#"{"code":"10000","msg":"Success","bill_download_url":"http://dwbillcenter.alipay.com/downloadBillFile.resource?x=1","bill_file_code":"EMPTY_DATA_WITH_BILL_FILE"}"#,
    );
    assert_eq!(
        b.bill_file_code.as_deref(),
        Some("EMPTY_DATA_WITH_BILL_FILE")
    );
}

#[test]
fn real_n1_notify_parses_every_field() {
    let n =
        TradeNotification::from_pairs(form(&vector("alipay/n1-trade-notify-body.form"))).unwrap();
    assert_eq!(n.notify_type, "trade_status_sync");
    assert_eq!(n.notify_id, "2019081500222155624068450559358070");
    assert_eq!(n.notify_time, "2019-08-15 15:56:25");
    assert_eq!(n.app_id, "2019073166072302");
    assert_eq!(n.auth_app_id.as_deref(), Some("2019073166072302"));
    assert_eq!(n.charset.as_deref(), Some("utf-8"));
    assert_eq!(n.version.as_deref(), Some("1.0"));
    assert_eq!(n.sign_type.as_deref(), Some("RSA2"));
    assert_eq!(n.trade_no, "2019081522001468450512505578");
    assert_eq!(n.out_trade_no, "20190815155618536-564-57");
    assert_eq!(
        n.buyer_id,
        Some(AlipayUserId::new("2088102534368455").unwrap())
    );
    assert_eq!(n.buyer_logon_id.as_deref(), Some("xud***@126.com"));
    assert_eq!(
        n.seller_id,
        Some(AlipayUserId::new("2088531891668739").unwrap())
    );
    assert_eq!(
        n.seller_email.as_deref(),
        Some("z97-yuquerevenue@service.aliyun.com")
    );
    assert_eq!(n.trade_status, TradeStatus::TradeSuccess);
    assert!(n.is_paid());
    assert_eq!(n.total_amount.fen(), Fen::new(10));
    assert_eq!(n.receipt_amount.map(YuanAmount::fen), Some(Fen::new(10)));
    assert_eq!(n.invoice_amount.map(YuanAmount::fen), Some(Fen::new(10)));
    assert_eq!(n.buyer_pay_amount.map(YuanAmount::fen), Some(Fen::new(10)));
    assert_eq!(n.point_amount, Some(YuanAmount::ZERO));
    assert_eq!(n.subject.as_deref(), Some("语雀空间 500人规模"));
    assert_eq!(n.gmt_create.as_deref(), Some("2019-08-15 15:56:22"));
    assert_eq!(n.gmt_payment.as_deref(), Some("2019-08-15 15:56:24"));
    assert_eq!(
        n.fund_bill_list.as_deref(),
        Some(r#"[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]"#)
    );
    let bills = n.fund_bills().unwrap();
    assert_eq!(bills[0].fund_channel, "ALIPAYACCOUNT");
    assert_eq!(bills[0].amount.fen(), Fen::new(10));
    assert!(
        n.extra.is_empty(),
        "every N-1 field is typed: {:?}",
        n.extra
    );
}

#[test]
fn notify_passback_and_unknown_fields() {
    let mut pairs = form(&vector("alipay/n1-trade-notify-body.form"));
    pairs.push(("passback_params".into(), "%7B%22user_id%22%3A1%7D".into()));
    pairs.push(("brand_new".into(), "x".into()));
    pairs.push(("gmt_close".into(), String::new()));
    let n = TradeNotification::from_pairs(pairs).unwrap();
    assert_eq!(
        n.passback_params.as_deref(),
        Some("%7B%22user_id%22%3A1%7D"),
        "verbatim, decoded once"
    );
    assert_eq!(
        n.passback_params_decoded().unwrap().as_deref(),
        Some(r#"{"user_id":1}"#)
    );
    assert_eq!(n.extra["brand_new"], "x");
    assert_eq!(n.gmt_close, None, "empty is absent");
    let mut bad = form(&vector("alipay/n1-trade-notify-body.form"));
    for p in &mut bad {
        if p.0 == "total_amount" {
            p.1 = "0.1".into();
        }
    }
    let e = TradeNotification::from_pairs(bad).unwrap_err();
    assert_eq!(field_of(e), "total_amount");
}
