//! Every implemented endpoint's exact request and response decoding with ReplayTransport; the
//! TV-1 orderInfo signature; the token cache (single flight, expiry, "token expired" answer).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use baidupay_cashier::{
    CashierClient, CashierConfig, CashierError, ClientCredentialsProvider, LegacyHost,
    OpenApiError, StaticToken,
};
use baidupay_crypto::{Algorithm, PrivateKey, PublicKey, Rules, Verifier};
use baidupay_model::cashier::{
    ApplyRefundRequest, BillKind, ClientCredentials, PayStatus, RefundQueryStatus, RefundType,
};
use baidupay_model::{
    AppKey, BaiduErrno, BizRefundBatchId, ClientId, DealId, Fen, OrderId, PayAppId, Secret,
    TpOrderId, UserId,
};
use baidupay_transport::replay::{Expect, ReplayTransport};
use baidupay_transport::{ErrorKind, ManualClock, Transport};

/// The error and every source under it, one per line (what a log of the chain shows).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out.push('\n');
        out.push_str(&s.to_string());
        next = s.source();
    }
    out
}

const TV1_SIGNATURE: &str = "TN0ZNPyQeTnPjCN5hUa7JwrXOhR8uDASXPazidVQHFSiGCH5aouBkVvJxtf8PeqzGYWAASwS2oOt2eJfunzC5dTFd/pWJeJToMgCSgRY7KtQUCCDnMrtpqiMAf+dLiXps3HpWhVB4CK6MXfHc64ejP5a2fu5bg8B0BTcHrqaGc0=";
const PAY: &str = "/rest/2.0/smartapp/pay/paymentservice";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../vectors/baidu/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn config() -> CashierConfig {
    CashierConfig::new(
        AppKey::new("MMMabc").unwrap(),
        DealId::new(470_193_086),
        PrivateKey::parse(fixture("tv1-doc2021-private-pkcs1.pem")).unwrap(),
    )
    .app_id(PayAppId::new(10026))
}

fn client(t: Arc<ReplayTransport>) -> CashierClient {
    CashierClient::new(config(), t, Arc::new(StaticToken(Secret::new("T0"))))
}

#[test]
fn order_info_reproduces_tv1() {
    let c = client(Arc::new(ReplayTransport::default()));
    let info = c
        .order_info(
            TpOrderId::new("3028903626").unwrap(),
            Fen::new(11300),
            "爱鲜蜂",
        )
        .unwrap();
    assert_eq!(info.rsa_sign, TV1_SIGNATURE);
    let biz = info.biz_info().unwrap();
    assert_eq!(biz.tp_data.total_amount, Fen::new(11300));
    assert_eq!(biz.tp_data.tp_order_id, "3028903626");
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["signFieldsRange"], "1");
    assert_eq!(json["totalAmount"], "11300");
    assert!(json["bizInfo"].is_string());
}

#[tokio::test]
async fn find_order_cancel_and_bills_exact_requests() {
    let t = Arc::new(ReplayTransport::new([
        Expect::get(format!("{PAY}/findByTpOrderId"))
            .query(&[("access_token", "T0"), ("tpOrderId", "3028903626"), ("pmAppKey", "MMMabc")])
            .respond_json(r#"{"errno":0,"msg":"success","data":{"orderId":2645985458,"tpOrderId":"3028903626","status":2,"totalMoney":11300,"appKey":"MMMabc","dealId":"470193086"}}"#),
        Expect::get(format!("{PAY}/cancelOrder"))
            .query(&[("access_token", "T0"), ("orderId", "2645985458"), ("pmAppKey", "MMMabc")])
            .respond_json(r#"{"errno":0,"msg":"success","data":true}"#),
        Expect::get(format!("{PAY}/capitaBill"))
            .query(&[("access_token", "T0"), ("billTime", "2021-03-01"), ("pmAppKey", "MMMabc")])
            .respond_json(r#"{"errno":0,"msg":"success","data":{"data":[{"createTime":"2021-03-02 01:00:00","downloadName":"capital.csv","exportStatus":2,"url":"https://x/y"}],"totalCount":1}}"#),
        Expect::get(format!("{PAY}/findOrderRefund"))
            .query(&[("access_token", "T0"), ("tpOrderId", "3028903626"), ("userId", "149235070"), ("pmAppKey", "MMMabc")])
            .respond_json(r#"{"errno":0,"msg":"success","data":[{"bizRefundBatchId":"R1","orderId":2645985458,"refundBatchId":"152713835","refundStatus":2,"userId":149235070}]}"#),
    ]));
    let c = client(t.clone());
    let o = c
        .find_order(TpOrderId::new("3028903626").unwrap())
        .await
        .unwrap();
    assert_eq!(
        (o.order_id, o.status),
        (OrderId::new(2_645_985_458), PayStatus::Paid)
    );
    assert!(c.cancel_order(OrderId::new(2_645_985_458)).await.unwrap());
    let b = c
        .bill(BillKind::Capital, "2021-03-01".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(b.data[0].url.as_deref(), Some("https://x/y"));

    let r = c
        .find_refunds(
            TpOrderId::new("3028903626").unwrap(),
            UserId::new(149_235_070),
        )
        .await
        .unwrap();
    assert_eq!(r[0].refund_status, RefundQueryStatus::Succeeded);
    t.push(
        Expect::get("/y").respond(200, "#Dealid:[470193086]\n交易时间,百度订单号,订单金额(元)\n2021-03-01 10:00:00,2645985458,113.00\n"),
    );
    let file = c.download_bill(&b.data[0]).await.unwrap();
    let parsed = file.parsed.unwrap();
    assert_eq!(parsed.rows[0]["订单金额(元)"], "113.00");
    assert!(file.bytes.starts_with(b"#Dealid"));
    t.assert_done();
}

#[tokio::test]
async fn refund_is_a_form_post_and_errors_are_typed() {
    let t = Arc::new(ReplayTransport::new([
        Expect::post(format!("{PAY}/applyOrderRefund"))
            .query(&[("access_token", "T0")])
            .header("content-type", "application/x-www-form-urlencoded")
            .form(&[
                ("orderId", "800020199"), ("userId", "149235070"), ("tpOrderId", "33330020199"),
                ("refundType", "1"), ("refundReason", "用户取消"), ("bizRefundBatchId", "R-1"),
                ("isSkipAudit", "1"), ("applyRefundMoney", "100"), ("pmAppKey", "MMMabc"),
            ])
            .respond_json(r#"{"errno":0,"msg":"success","data":{"refundBatchId":"152713835","refundPayMoney":100}}"#),
        Expect::post(format!("{PAY}/applyOrderRefund"))
            .respond_json(r#"{"errno":10002,"msg":"已消费订单不允许退款","data":""}"#),
        Expect::post(format!("{PAY}/applyOrderRefund")).fail(ErrorKind::Connect),
        Expect::post(format!("{PAY}/applyOrderRefund")).respond(502, "<html>bad gateway access_token=T0</html>"),
    ]));
    let c = client(t.clone());
    let req = ApplyRefundRequest::new(
        OrderId::new(800_020_199),
        UserId::new(149_235_070),
        TpOrderId::new("33330020199").unwrap(),
        BizRefundBatchId::new("R-1").unwrap(),
        RefundType::UserRequested,
        "用户取消",
        AppKey::new("MMMabc").unwrap(),
    )
    .unwrap()
    .partial(Fen::new(100))
    .unwrap()
    .skip_audit(true);
    let ok = c.apply_refund(&req).await.unwrap();
    assert_eq!(ok.refund_pay_money, Fen::new(100));
    let e = c.apply_refund(&req).await.unwrap_err();
    assert_eq!(e.baidu_errno(), Some(BaiduErrno::SystemError));
    assert!(e.may_have_been_sent());
    assert!(chain(&e).contains("hint:"), "{}", chain(&e));
    assert!(
        !e.to_string().contains("hint:"),
        "the cause is only in source(): {e}"
    );
    let e = c.apply_refund(&req).await.unwrap_err();
    assert!(
        !e.may_have_been_sent(),
        "a refused connection sent nothing: {e}"
    );
    let e = c.apply_refund(&req).await.unwrap_err();
    assert!(
        matches!(
            e,
            CashierError::Call(OpenApiError::UnexpectedAnswer { status: 502, .. })
        ),
        "{e}"
    );
    assert!(!e.to_string().contains("T0"), "token leaked: {e}");
    t.assert_done();
}

#[tokio::test]
async fn legacy_apis_are_signed() {
    let t = Arc::new(ReplayTransport::new([
        Expect::get("/platform/entity/openapi/queryorderdetail").respond_json(
            r#"{"errno":0,"errmsg":"成功","msg":"成功","data":{"data":{"payStatus":{"statusNum":1,"statusDesc":"支付成功"},"refundStatus":{"statusNum":-1,"statusDesc":"未退费"},"verification":{"statusNum":-1,"statusDesc":"无核销数据"}}}}"#,
        ),
        Expect::post("/cashier/syncOrderStatus").respond_json(r#"{"errno": 0, "msg": "success", "data": []}"#),
        Expect::post("/nop/server/rest").respond_json(r#"{"errno": 0, "msg": "success", "data": []}"#),
    ]));
    let c = client(t.clone());
    let d = c
        .query_order_detail(OrderId::new(1_920_891_312), UserId::new(3_747_777_038))
        .await
        .unwrap();
    assert_eq!(d.pay_status.status_desc, "支付成功");
    c.sync_order_status(OrderId::new(2_636_635_856), UserId::new(4_188_819_900))
        .await
        .unwrap();
    let old = CashierClient::new(
        config().legacy_host(LegacyHost::Nuomi(baidupay_cashier::NUOMI_REST.into())),
        t.clone(),
        Arc::new(StaticToken(Secret::new("T0"))),
    );
    old.sync_order_status(OrderId::new(2_636_635_856), UserId::new(4_188_819_900))
        .await
        .unwrap();
    let verifier = Verifier::new(
        PublicKey::parse(fixture("tv1-doc2021-public.pem")).unwrap(),
        Algorithm::RsaSha1,
    );
    let reqs = t.requests();
    assert_eq!(reqs[0].uri.host(), Some("dianshang.baidu.com"));
    assert_eq!(reqs[1].uri.host(), Some("etrade-api.baidu.com"));
    for (i, sig_field, expect_method) in [
        (0, "sign", false),
        (1, "rsaSign", false),
        (2, "rsaSign", true),
    ] {
        let r = &reqs[i];
        let pairs = if i == 0 {
            r.query_pairs()
        } else {
            r.form_pairs()
        };
        let sig = pairs
            .iter()
            .find(|(k, _)| k == sig_field)
            .unwrap()
            .1
            .clone();
        verifier
            .verify_params(Rules::Baidu, pairs.iter().map(|(k, v)| (k, v)), &sig)
            .unwrap_or_else(|e| panic!("{sig_field} does not verify: {e}"));
        assert_eq!(
            pairs
                .iter()
                .any(|(k, v)| k == "method" && v == "nuomi.cashier.syncorderstatus"),
            expect_method
        );
    }
    assert!(
        reqs[0]
            .query_pairs()
            .contains(&("siteId".into(), "3747777038".into()))
    );
    assert!(reqs[1].form_pairs().contains(&("type".into(), "3".into())));
    t.assert_done();
}

/// Counts the token requests it answers (each with a new token), answers every API call.
#[derive(Debug, Default)]
struct CountingBaidu {
    tokens: AtomicU64,
    expire_next_call: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl Transport for CountingBaidu {
    async fn send(
        &self,
        req: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, baidupay_transport::TransportError> {
        let body = if req.uri().path() == "/oauth/2.0/token" {
            tokio::time::sleep(Duration::from_millis(20)).await; // let the others pile up
            let n = self.tokens.fetch_add(1, Ordering::SeqCst) + 1;
            format!(r#"{{"access_token":"T{n}","expires_in":3600}}"#)
        } else if self.expire_next_call.swap(false, Ordering::SeqCst) {
            r#"{"error_code":111,"error_msg":"Access token expired"}"#.to_owned()
        } else {
            let token = req.uri().query().unwrap_or("").to_owned();
            format!(r#"{{"errno":0,"msg":"{token}","data":true}}"#)
        };
        Ok(http::Response::new(bytes::Bytes::from(body)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_cache_single_flight_expiry_and_expired_answer() {
    let baidu = Arc::new(CountingBaidu::default());
    let clock = Arc::new(ManualClock::new(1_700_000_000));
    let creds = ClientCredentials::new(
        ClientId::new("Va5yQRHlA4Fq4eR").unwrap(),
        Secret::new("0rDSjzQ20XUj5itV7WRtznPQS"),
    );
    let tokens = Arc::new(
        ClientCredentialsProvider::new(baidu.clone(), "https://openapi.baidu.com", creds)
            .with_clock(clock.clone()),
    );
    let c = CashierClient::new(config(), baidu.clone(), tokens.clone());
    // 20 concurrent calls: one token request
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.cancel_order(OrderId::new(1)).await.unwrap()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(baidu.tokens.load(Ordering::SeqCst), 1);
    // shortly before expiry (3600 s, refreshed 300 s early): still cached, then refreshed once
    clock.advance(Duration::from_secs(3299));
    c.cancel_order(OrderId::new(1)).await.unwrap();
    assert_eq!(baidu.tokens.load(Ordering::SeqCst), 1);
    clock.advance(Duration::from_secs(2));
    c.cancel_order(OrderId::new(1)).await.unwrap();
    c.cancel_order(OrderId::new(1)).await.unwrap();
    assert_eq!(baidu.tokens.load(Ordering::SeqCst), 2);
    // Baidu says "expired": exactly one refresh and one retry
    baidu.expire_next_call.store(true, Ordering::SeqCst);
    assert!(c.cancel_order(OrderId::new(1)).await.unwrap());
    assert_eq!(baidu.tokens.load(Ordering::SeqCst), 3);
    assert!(
        !format!("{tokens:?}").contains("0rDSjzQ20"),
        "client secret leaked into Debug"
    );
}

#[tokio::test]
async fn client_credentials_constructor_fetches_then_calls() {
    let t = Arc::new(ReplayTransport::new([
        Expect::get("/oauth/2.0/token").respond_json(r#"{"access_token":"TT","expires_in":86400}"#),
        Expect::get(format!("{PAY}/cancelOrder"))
            .query(&[
                ("access_token", "TT"),
                ("orderId", "1"),
                ("pmAppKey", "MMMabc"),
            ])
            .respond_json(r#"{"errno":0,"msg":"success","data":false}"#),
    ]));
    let c = CashierClient::with_client_credentials(
        config().api_base("http://127.0.0.1:8700/"),
        t.clone(),
        ClientId::new("Va5yQRHlA4Fq4eR").unwrap(),
        Secret::new("S"),
    );
    assert!(!c.cancel_order(OrderId::new(1)).await.unwrap());
    assert_eq!(
        t.requests()[0].uri.host(),
        Some("127.0.0.1"),
        "the sandbox base is used for tokens too"
    );
    t.assert_done();
}

#[tokio::test]
async fn token_request_is_exact() {
    let t = Arc::new(ReplayTransport::new([Expect::get("/oauth/2.0/token")
        .query(&[
            ("grant_type", "client_credentials"),
            ("client_id", "Va5yQRHlA4Fq4eR"),
            ("client_secret", "S"),
            ("scope", "smartapp_snsapi_base"),
        ])
        .respond_json(
            r#"{"error":"invalid_client","error_description":"unknown client id"}"#,
        )]));
    let p = ClientCredentialsProvider::new(
        t.clone(),
        "https://openapi.baidu.com/",
        ClientCredentials::new(ClientId::new("Va5yQRHlA4Fq4eR").unwrap(), Secret::new("S")),
    );
    let e = baidupay_cashier::TokenProvider::access_token(&p)
        .await
        .unwrap_err();
    assert!(chain(&e).contains("invalid_client"), "{}", chain(&e));
    t.assert_done();
}

#[test]
fn check_order_names_each_broken_item() {
    let c = client(Arc::new(ReplayTransport::default()));
    let key = PublicKey::parse(fixture("tv1-doc2021-public.pem")).unwrap();
    let info = serde_json::to_value(
        c.order_info(
            TpOrderId::new("3028903626").unwrap(),
            Fen::new(11300),
            "爱鲜蜂",
        )
        .unwrap(),
    )
    .unwrap();
    let failed = |v: &serde_json::Value, k: &PublicKey| -> Vec<&'static str> {
        baidupay_cashier::check_order_info(v, k)
            .into_iter()
            .filter(|c| !c.ok)
            .map(|c| c.name)
            .collect()
    };
    assert!(
        failed(&info, &key).is_empty(),
        "SDK output passes: {:?}",
        failed(&info, &key)
    );
    assert_eq!(baidupay_cashier::check_order_info(&info, &key).len(), 7);

    let mut object = info.clone();
    object["bizInfo"] = serde_json::from_str(info["bizInfo"].as_str().unwrap()).unwrap();
    assert_eq!(
        failed(&object, &key),
        [
            "bizInfo is a string holding a JSON object",
            "bizInfo.tpData agrees with the signed fields"
        ]
    );

    let mut amount = info.clone();
    amount["totalAmount"] = "11400".into();
    assert_eq!(
        failed(&amount, &key),
        [
            "bizInfo.tpData agrees with the signed fields",
            "rsaSign verifies with the merchant public key"
        ]
    );

    let other = PrivateKey::generate(1024).unwrap();
    assert_eq!(
        failed(&info, other.public_key()),
        ["rsaSign verifies with the merchant public key"]
    );

    let mut range = info.clone();
    range["signFieldsRange"] = "0".into();
    assert_eq!(failed(&range, &key), ["signFieldsRange is 1"]);

    assert_eq!(
        failed(&serde_json::json!("x"), &key),
        ["orderInfo is a JSON object"]
    );
}

#[tokio::test]
async fn order_bill_and_legacy_refund_exact_requests() {
    let t = Arc::new(ReplayTransport::new([
        Expect::get(format!("{PAY}/orderBill"))
            .query(&[("access_token", "T0"), ("billTime", "2021-03-01"), ("pmAppKey", "MMMabc")])
            .respond_json(r#"{"errno":0,"msg":"success","data":{"data":null,"totalCount":0}}"#),
        Expect::post("/cashier/applyOrderRefund")
            .header("content-type", "application/x-www-form-urlencoded")
            .respond_json(r#"{"errno":0,"msg":"success","data":{"refundBatchId":"152713835","refundPayMoney":"9800"}}"#),
    ]));
    let c = CashierClient::new(
        config().platform_key(PublicKey::parse(fixture("tv1-doc2021-public.pem")).unwrap()),
        t.clone(),
        Arc::new(StaticToken(Secret::new("T0"))),
    );
    assert!(c.config().platform_public_key().is_some());
    let b = c
        .bill(BillKind::Order, "2021-03-01".parse().unwrap())
        .await
        .unwrap();
    assert!(b.data.is_empty(), "null list reads as empty");
    let req = baidupay_model::cashier::LegacyRefundRequest::new(
        OrderId::new(800_200_451),
        UserId::new(2_250_333_905),
        TpOrderId::new("10000234").unwrap(),
        RefundType::CustomerService,
        "充值未到账",
        AppKey::new("MMM4hG").unwrap(),
    )
    .unwrap()
    .partial(
        Fen::new(9800),
        BizRefundBatchId::new("12132434546634535").unwrap(),
    )
    .unwrap();
    let r = c.legacy_refund(&req).await.unwrap();
    assert_eq!(
        r.refund_pay_money,
        Fen::new(9800),
        "the 1.0 answer sends the amount as a string"
    );
    let sent = &t.requests()[1];
    let pairs = sent.form_pairs();
    for expected in [
        ("orderId", "800200451"),
        ("userId", "2250333905"),
        ("refundType", "2"),
        ("refundReason", "充值未到账"),
        ("tpOrderId", "10000234"),
        ("appKey", "MMM4hG"),
        ("applyRefundMoney", "9800"),
        ("bizRefundBatchId", "12132434546634535"),
    ] {
        assert!(
            pairs.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} in {pairs:?}"
        );
    }
    assert!(
        !pairs.iter().any(|(k, _)| k == "method"),
        "the etrade host takes no method"
    );
    let sig = &pairs.iter().find(|(k, _)| k == "rsaSign").unwrap().1;
    Verifier::new(
        PublicKey::parse(fixture("tv1-doc2021-public.pem")).unwrap(),
        Algorithm::RsaSha1,
    )
    .verify_params(Rules::Baidu, pairs.iter().map(|(k, v)| (k, v)), sig)
    .unwrap();
    t.assert_done();
}
