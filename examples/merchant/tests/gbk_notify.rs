//! An Alipay notify in GBK (the fixture of baidupay-notify, made by its
//! `tests/fixtures/make_gbk_notify.py`) posted to the example's Alipay route over loopback:
//! verified over the GBK bytes, answered exactly `success`, and the payment applied once; the
//! same text signed as UTF-8 is refused and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use baidupay_crypto::{PrivateKey, PublicKey};
use baidupay_example_merchant::{App, OrderState, router};
use baidupay_model::{Fen, TpOrderId};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};
use baidupay_transport::{HyperTransport, Settings, Transport};
use bytes::Bytes;

fn fixture(name: &str) -> Vec<u8> {
    let full = format!(
        "{}/../../crates/baidupay-notify/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

async fn start() -> (App, SocketAddr) {
    // the fixture's app id
    let app = App::new("2021000122671080");
    let r = router(
        app.clone(),
        BaiduNotifier::new(PrivateKey::generate(1024).unwrap().public_key().clone()),
        AlipayNotifier::new(PublicKey::parse(fixture("gbk-test-public.pem")).unwrap()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, r).await });
    (app, addr)
}

async fn post(t: &HyperTransport, addr: SocketAddr, body: Vec<u8>) -> (u16, String) {
    let req = http::Request::post(format!("http://{addr}/notify/alipay"))
        // what Alipay sends for a GBK app (the route reads the charset from the body)
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=GBK",
        )
        .body(Bytes::from(body))
        .unwrap();
    let r = t.send(req).await.unwrap();
    (
        r.status().as_u16(),
        String::from_utf8(r.body().to_vec()).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gbk_alipay_notify_is_verified_acknowledged_and_applied_once() {
    let (app, addr) = start().await;
    let order = TpOrderId::new("20261205000001").unwrap();
    // 88.88 yuan, the fixture's total_amount
    app.create_order(order.clone(), Fen::new(8888))
        .await
        .unwrap();
    let t = HyperTransport::new(Settings::default().allow_http(true)).unwrap();

    // the same text signed over its UTF-8 bytes: refused, nothing applied
    let (status, _) = post(&t, addr, fixture("gbk-notify-utf8-signed.form")).await;
    assert_eq!(status, 400);
    assert_eq!(
        app.order(&order).await.unwrap().unwrap().state,
        OrderState::Created
    );
    assert_eq!(app.counters().await, (0, 0));

    // the GBK notify, twice (Alipay resends): `success` both times, one effect
    for _ in 0..2 {
        assert_eq!(
            post(&t, addr, fixture("gbk-notify.form")).await,
            (200, "success".to_owned())
        );
    }
    assert_eq!(
        app.order(&order).await.unwrap().unwrap().state,
        OrderState::PaidAlipay {
            trade_no: "2026120522001400000000000001".to_owned()
        }
    );
    assert_eq!(app.counters().await, (1, 1));
}
