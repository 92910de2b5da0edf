//! `App::refund_alipay` against a scripted gateway: an unknown outcome (`ACQ.SYSTEM_ERROR`, a
//! timeout) is queried before any retry, a retry carries the same `out_request_no`, and a
//! refund is never made twice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, OnceLock};

use baidupay_alipay::{AlipayClient, AlipayConfig};
use baidupay_crypto::{Algorithm, PrivateKey, Signer};
use baidupay_example_merchant::{AlipayRefundError, AlipayRefunded, App, OrderState};
use baidupay_model::alipay::TradeNotification;
use baidupay_model::{AlipayAppId, Fen, OutRequestNo, TpOrderId};
use baidupay_transport::ErrorKind;
use baidupay_transport::replay::{Expect, ReplayTransport};

const APP_ID: &str = "2021000122671080";
const REFUND: &str = "alipay.trade.refund";
const REFUND_QUERY: &str = "alipay.trade.fastpay.refund.query";

fn keys() -> &'static (PrivateKey, PrivateKey) {
    static K: OnceLock<(PrivateKey, PrivateKey)> = OnceLock::new();
    K.get_or_init(|| {
        (
            PrivateKey::generate(2048).unwrap(),
            PrivateKey::generate(2048).unwrap(),
        )
    })
}

fn client(t: &Arc<ReplayTransport>) -> AlipayClient {
    let (app, alipay) = keys();
    let config = AlipayConfig::new(
        AlipayAppId::new(APP_ID).unwrap(),
        app.clone(),
        alipay.public_key().clone(),
    )
    .unwrap();
    AlipayClient::new(config, t.clone())
}

/// A gateway answer signed by the test's "Alipay" key.
fn answer(method: &str, content: &str) -> String {
    let sig = Signer::new(keys().1.clone(), Algorithm::RsaSha256)
        .sign_base64(content.as_bytes())
        .unwrap();
    format!(
        r#"{{"{}_response":{content},"sign":"{sig}"}}"#,
        method.replace('.', "_")
    )
}

fn gateway(method: &str, content: &str) -> Expect {
    Expect::post("/gateway.do").respond_json(answer(method, content))
}

const SYSTEM_ERROR: &str = r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.SYSTEM_ERROR","sub_msg":"系统异常，请重新调用"}"#;
const REFUNDED: &str = r#"{"code":"10000","msg":"Success","out_trade_no":"ALI-R1","trade_no":"2024051322001400000000000001","fund_change":"Y","refund_fee":"30.00"}"#;
const NOT_FOUND: &str =
    r#"{"code":"10000","msg":"Success","out_trade_no":"ALI-R1","out_request_no":"ALI-R1-1"}"#;
const FOUND: &str = r#"{"code":"10000","msg":"Success","out_trade_no":"ALI-R1","out_request_no":"ALI-R1-1","refund_amount":"30.00","refund_status":"REFUND_SUCCESS"}"#;

/// A merchant with the order `ALI-R1` (100.00) paid through Alipay, on a SQLite ledger in a
/// temporary directory (kept while the returned guard lives).
async fn paid_order() -> (App, TpOrderId, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let app = App::with_store(
        APP_ID,
        baidupay_example_merchant::store::open(&url).await.unwrap(),
    );
    let tp = TpOrderId::new("ALI-R1").unwrap();
    app.create_order(tp.clone(), Fen::new(10_000))
        .await
        .unwrap();
    let notify = TradeNotification::from_pairs(
        [
            ("notify_id", "n1"),
            ("notify_type", "trade_status_sync"),
            ("notify_time", "2024-05-13 17:50:00"),
            ("app_id", APP_ID),
            ("charset", "utf-8"),
            ("version", "1.0"),
            ("sign_type", "RSA2"),
            ("sign", "x"),
            ("trade_no", "2024051322001400000000000001"),
            ("out_trade_no", "ALI-R1"),
            ("trade_status", "TRADE_SUCCESS"),
            ("total_amount", "100.00"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .unwrap();
    assert!(app.on_alipay(notify).await);
    assert!(matches!(
        app.order(&tp).await.unwrap().unwrap().state,
        OrderState::PaidAlipay { .. }
    ));
    (app, tp, dir)
}

/// Checks `(method, out_request_no)` of each gateway request `t` recorded.
fn assert_calls(t: &ReplayTransport, expected: &[(&str, &str)]) {
    let calls: Vec<(String, String)> = t
        .requests()
        .iter()
        .map(|r| {
            let get = |pairs: Vec<(String, String)>, k: &str| {
                pairs.into_iter().find(|(n, _)| n == k).unwrap().1
            };
            let biz: serde_json::Value =
                serde_json::from_str(&get(r.form_pairs(), "biz_content")).unwrap();
            (
                get(r.query_pairs(), "method"),
                biz["out_request_no"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(m, n)| ((*m).to_owned(), (*n).to_owned()))
        .collect();
    assert_eq!(calls, expected);
}

fn request_no() -> OutRequestNo {
    OutRequestNo::new("ALI-R1-1").unwrap()
}

#[tokio::test]
async fn a_system_error_is_queried_then_the_same_refund_is_sent_again() {
    let (app, tp, _dir) = paid_order().await;
    let t = Arc::new(ReplayTransport::new([
        gateway(REFUND, SYSTEM_ERROR),
        gateway(REFUND_QUERY, NOT_FOUND),
        gateway(REFUND, REFUNDED),
    ]));
    let done = app
        .refund_alipay(&client(&t), &tp, request_no(), Fen::new(3_000))
        .await
        .unwrap();
    assert_eq!(done, AlipayRefunded::Answered);
    t.assert_done();
    assert_calls(
        &t,
        &[
            (REFUND, "ALI-R1-1"),
            (REFUND_QUERY, "ALI-R1-1"),
            (REFUND, "ALI-R1-1"),
        ],
    );
    let requests = t.requests();
    // the retry is the very same refund (biz_content byte for byte)
    assert_eq!(requests[0].form_pairs(), requests[2].form_pairs());
    assert_eq!(
        app.order(&tp).await.unwrap().unwrap().refunded,
        Fen::new(3_000)
    );

    // asked again: recorded, nothing is sent (an empty script fails on any request)
    let none = Arc::new(ReplayTransport::default());
    let again = app
        .refund_alipay(&client(&none), &tp, request_no(), Fen::new(3_000))
        .await
        .unwrap();
    assert_eq!(again, AlipayRefunded::AlreadyRecorded);
    assert_eq!(
        app.order(&tp).await.unwrap().unwrap().refunded,
        Fen::new(3_000)
    );
}

#[tokio::test]
async fn a_timeout_is_queried_and_a_refund_found_is_not_sent_again() {
    let (app, tp, _dir) = paid_order().await;
    let t = Arc::new(ReplayTransport::new([
        Expect::post("/gateway.do").fail(ErrorKind::Timeout),
        gateway(REFUND_QUERY, FOUND),
    ]));
    let done = app
        .refund_alipay(&client(&t), &tp, request_no(), Fen::new(3_000))
        .await
        .unwrap();
    assert_eq!(done, AlipayRefunded::FoundByQuery);
    t.assert_done();
    assert_calls(&t, &[(REFUND, "ALI-R1-1"), (REFUND_QUERY, "ALI-R1-1")]);
    assert_eq!(
        app.order(&tp).await.unwrap().unwrap().refunded,
        Fen::new(3_000)
    );
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_an_unknown_outcome_is_left_with_its_number() {
    let (app, tp, _dir) = paid_order().await;
    let refused = r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_STATUS_ERROR","sub_msg":"交易状态不合法"}"#;
    let t = Arc::new(ReplayTransport::new([gateway(REFUND, refused)]));
    let err = app
        .refund_alipay(&client(&t), &tp, request_no(), Fen::new(3_000))
        .await
        .unwrap_err();
    assert!(matches!(err, AlipayRefundError::Refused { .. }), "{err}");
    t.assert_done();

    // unknown, and the query fails too: left for later, under the same number
    let n2 = OutRequestNo::new("ALI-R1-2").unwrap();
    let t = Arc::new(ReplayTransport::new([
        gateway(REFUND, SYSTEM_ERROR),
        Expect::post("/gateway.do").fail(ErrorKind::Timeout),
    ]));
    let err = app
        .refund_alipay(&client(&t), &tp, n2.clone(), Fen::new(1_000))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AlipayRefundError::StillUnknown { out_request_no, .. } if *out_request_no == n2),
        "{err}"
    );
    t.assert_done();
    assert_eq!(app.order(&tp).await.unwrap().unwrap().refunded, Fen::ZERO);
    // run again later with that number: queried first this time round as well
    let t = Arc::new(ReplayTransport::new([
        gateway(REFUND, SYSTEM_ERROR),
        gateway(REFUND_QUERY, &FOUND.replace("ALI-R1-1", "ALI-R1-2")),
    ]));
    let done = app
        .refund_alipay(&client(&t), &tp, n2.clone(), Fen::new(1_000))
        .await
        .unwrap();
    assert_eq!(done, AlipayRefunded::FoundByQuery);
    assert_eq!(
        app.order(&tp).await.unwrap().unwrap().refunded,
        Fen::new(1_000)
    );
    // the same number for another amount is refused before anything is sent
    let none = Arc::new(ReplayTransport::default());
    let err = app
        .refund_alipay(&client(&none), &tp, n2, Fen::new(2_000))
        .await
        .unwrap_err();
    assert!(matches!(err, AlipayRefundError::Reused(_)), "{err}");
}
