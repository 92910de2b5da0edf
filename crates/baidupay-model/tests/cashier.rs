//! Every JSON example of baidu-cashier.md sections 3-7 decodes, re-encodes to an equivalent
//! document, and carries the documented values; the callbacks parse from the real TV-2 notify
//! and the doc demo.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baidupay_model::callback::{PaymentNotification, RefundAuditRequest};
use baidupay_model::cashier::{
    AccessToken, ApplyRefundResult, BillList, BizInfo, LegacyOrderDetailData, LegacyPayStatus,
    LegacyRefundStatus, OrderDetail, OrderInfo, OrderInfoDraft, Params, PayStatus,
    RefundQueryStatus, RefundRecord, VerificationStatus,
};
use baidupay_model::envelope::{ApiError, Envelope, decode_baidu, decode_oauth};
use baidupay_model::{AppKey, DealId, Fen, OrderId, TpOrderId, UserId};
use common::{fixture, form, round_trip, vector};

#[test]
fn token_response_and_error() {
    let t: AccessToken = round_trip(&fixture("baidu/token.json"));
    assert_eq!(t.expires_in, 86400);
    assert_eq!(
        t.access_token.expose(),
        "1.a6b7dbd428f731035f771b8d15063f61.86400.1292922000-2346678-124328"
    );
    assert!(
        !format!("{t:?}").contains("a6b7dbd4"),
        "token leaked into Debug"
    );
    let e = decode_oauth::<AccessToken>(fixture("baidu/token_error.json").as_bytes(), "token")
        .unwrap_err();
    assert_eq!(
        e,
        ApiError::OAuth {
            error: "invalid_client".into(),
            error_description: "unknown client id".into()
        }
    );
}

#[test]
fn order_info_tv1_fields_and_doc_biz_info() {
    let draft = OrderInfoDraft::new(
        AppKey::new("MMMabc").unwrap(),
        DealId::new(470_193_086),
        Fen::new(11300),
        TpOrderId::new("3028903626").unwrap(),
        "爱鲜蜂",
    )
    .unwrap();
    assert_eq!(
        draft
            .sign_params()
            .map(|(k, v)| format!("{k}={v}"))
            .join("&"),
        "appKey=MMMabc&dealId=470193086&totalAmount=11300&tpOrderId=3028903626"
    );
    let doc_biz: BizInfo = round_trip(&fixture("baidu/biz_info_doc.json"));
    let info = draft
        .return_data(doc_biz.tp_data.return_data.clone().unwrap())
        .into_order_info("SIG".into())
        .unwrap();
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(
        json["dealId"], "470193086",
        "ids go to the front end as strings"
    );
    assert_eq!(json["totalAmount"], "11300");
    assert_eq!(json["signFieldsRange"], "1");
    assert!(json["bizInfo"].is_string(), "bizInfo is a JSON string");
    let biz = info.biz_info().unwrap();
    assert_eq!(biz.tp_data.total_amount, Fen::new(11300));
    assert_eq!(biz.tp_data.rsa_sign, "SIG");
    assert_eq!(biz.tp_data.return_data, doc_biz.tp_data.return_data);
    let back: OrderInfo = round_trip(&json.to_string());
    assert_eq!(back, info);
}

#[test]
fn order_info_demo_has_placeholder_biz_info() {
    let info: OrderInfo = round_trip(&fixture("baidu/order_info_demo.json"));
    assert_eq!(info.total_amount, Fen::new(1));
    assert_eq!(info.app_key, "MMMzUX");
    assert_eq!(
        info.sign_fields_range, None,
        "the DEMO predates signFieldsRange"
    );
    let names: Vec<_> = info.sign_params().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["appKey", "dealId", "tpOrderId"]);
    // The DEMO README elides bizInfo as `{...}`: not JSON, which the cashier rejects (errCode 6).
    assert!(info.biz_info().is_err());
}

#[test]
fn find_order_doc_sample() {
    let env: Envelope<OrderDetail> = round_trip(&fixture("baidu/find_order_doc.json"));
    let d = env.data;
    assert_eq!(d.order_id, OrderId::new(0));
    assert_eq!(
        d.app_key.as_ref().map(AppKey::as_str),
        Some("0"),
        "doc sample sends appKey as 0"
    );
    assert_eq!(d.open_id.as_deref(), Some("0"));
    assert_eq!(d.status, PayStatus::Unknown(0));
    assert_eq!(d.tp_order_id, "string");
    assert_eq!(d.total_money, Some(Fen::ZERO));
    let again: OrderDetail = decode_baidu(
        fixture("baidu/find_order_doc.json").as_bytes(),
        "findByTpOrderId",
    )
    .unwrap();
    assert_eq!(again, d);
}

#[test]
fn cancel_refund_and_bills() {
    let c: Envelope<bool> = round_trip(&fixture("baidu/cancel_order.json"));
    assert!(c.data);
    for f in ["baidu/apply_refund.json", "baidu/apply_refund_v1.json"] {
        let r: Envelope<ApplyRefundResult> = round_trip(&fixture(f));
        assert_eq!(r.data.refund_pay_money, Fen::new(9800), "{f}");
        assert_eq!(r.data.refund_batch_id.as_str(), "152713835");
    }
    let r: Envelope<Vec<RefundRecord>> = round_trip(&fixture("baidu/find_refund_doc.json"));
    assert_eq!(r.data.len(), 1);
    assert_eq!(r.data[0].refund_status, RefundQueryStatus::Unknown(0));
    assert_eq!(r.data[0].refund_batch_id.as_str(), "0");
    let b: Envelope<BillList> = round_trip(&fixture("baidu/order_bill_doc.json"));
    assert_eq!(b.data.total_count, 0);
    assert_eq!(b.data.data[0].url.as_deref(), Some("string"));
    assert_eq!(b.data.data[0].export_status, Some(0));
    let nulls: BillList = decode_baidu(
        br#"{"errno":0,"msg":"","data":{"data":null,"totalCount":"0"}}"#,
        "bill",
    )
    .unwrap();
    assert!(nulls.data.is_empty());
}

#[test]
fn legacy_query_order_detail() {
    let env: Envelope<LegacyOrderDetailData> =
        round_trip(&fixture("baidu/query_order_detail.json"));
    let d = env.data.data;
    assert_eq!(d.pay_status.status_num, LegacyPayStatus::Paid);
    assert_eq!(d.refund_status.status_num, LegacyRefundStatus::None);
    assert_eq!(d.verification.status_num, VerificationStatus::NotConsumed);
    assert_eq!(d.verification.status_desc, "无核销数据");
    assert_eq!(env.extra["serverlogid"], "3200820823");
    let s: Envelope<Vec<serde_json::Value>> = round_trip(&fixture("baidu/sync_order_status.json"));
    assert!(s.data.is_empty());
}

#[test]
fn doc_payment_notify_and_unknown_fields() {
    let mut pairs = form(&fixture("baidu/doc_payment_notify.query"));
    pairs.push(("newField".into(), "v".into()));
    let n = PaymentNotification::from_pairs(pairs).unwrap();
    assert_eq!(n.total_money, Fen::new(1600));
    assert_eq!(
        n.unit_price.and_then(|p| p.checked_mul(n.count.unwrap())),
        Some(Fen::new(1600))
    );
    assert_eq!(n.partner_id, Some(1_000_000_003));
    assert_eq!(n.extra.get("newField").map(String::as_str), Some("v"));
    assert!(n.to_pairs().contains(&("newField".into(), "v".into())));
}

#[test]
fn notify_money_is_strict() {
    for (field, bad) in [
        ("totalMoney", "16.00"),
        ("totalMoney", "-1"),
        ("payMoney", ""),
        ("orderId", "x"),
    ] {
        let pairs: Vec<_> = form(&vector("baidu/tv2-payment-notify-body.form"))
            .into_iter()
            .map(|(k, v)| {
                if k == field {
                    (k, bad.to_owned())
                } else {
                    (k, v)
                }
            })
            .collect();
        let e = PaymentNotification::from_pairs(pairs).unwrap_err();
        assert!(e.to_string().contains(field), "{field}={bad}: {e}");
    }
}

#[test]
fn refund_audit_request() {
    let r = RefundAuditRequest::from_pairs(form(
        "orderId=800020199&userId=149235070&tpOrderId=33330020199&refundBatchId=100058888&applyRefundMoney=1600&rsaSign=x",
    ))
    .unwrap();
    assert_eq!(r.apply_refund_money, Some(Fen::new(1600)));
    assert_eq!(r.refund_batch_id.as_str(), "100058888");
    assert_eq!(r.to_pairs().len(), 5);
}

#[test]
fn request_params() {
    use baidupay_model::PayAppId;
    use baidupay_model::cashier::{BillRequest, FindOrderRequest, QueryOrderDetailRequest};
    let q = QueryOrderDetailRequest::new(
        PayAppId::new(10026),
        AppKey::new("MMM4oc").unwrap(),
        OrderId::new(1_920_891_312),
        UserId::new(3_747_777_038),
    );
    assert_eq!(
        q.to_params().unwrap(),
        vec![
            ("appId", "10026".to_owned()),
            ("appKey", "MMM4oc".to_owned()),
            ("orderId", "1920891312".to_owned()),
            ("siteId", "3747777038".to_owned()),
        ]
    );
    let f = FindOrderRequest::new(
        TpOrderId::new("t1").unwrap(),
        AppKey::new("MMMabc").unwrap(),
    );
    assert_eq!(f.to_params().unwrap()[1], ("pmAppKey", "MMMabc".to_owned()));
    let b = BillRequest::new(
        "2021-03-01".parse().unwrap(),
        AppKey::new("MMMabc").unwrap(),
    );
    assert_eq!(
        b.to_params().unwrap()[0],
        ("billTime", "2021-03-01".to_owned())
    );
}
