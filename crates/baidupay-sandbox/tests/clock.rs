//! Every time the sandbox uses comes from `SandboxConfig::clock`: with a `ManualClock`, token
//! expiries, timestamps and bill times move only when the test moves them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use baidupay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use baidupay_transport::{HyperTransport, ManualClock, Settings, Transport};
use bytes::Bytes;
use serde_json::{Value, json};

/// 2024-05-13 17:49:20 in Beijing.
const START: i64 = 1_715_593_760;
const PAY: &str = "/rest/2.0/smartapp/pay/paymentservice";

struct Client {
    http: HyperTransport,
    base: String,
    _running: RunningSandbox,
}

impl Client {
    async fn send(&self, method: http::Method, path_and_query: &str, json: Option<Value>) -> Value {
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path_and_query}", self.base));
        if json.is_some() {
            req = req.header(http::header::CONTENT_TYPE, "application/json");
        }
        let body = json.map_or_else(Bytes::new, |v| Bytes::from(v.to_string()));
        let answer = self.http.send(req.body(body).unwrap()).await.unwrap();
        serde_json::from_slice(answer.body()).unwrap()
    }

    async fn get(&self, path_and_query: &str) -> Value {
        self.send(http::Method::GET, path_and_query, None).await
    }

    async fn post_json(&self, path: &str, v: Value) -> Value {
        self.send(http::Method::POST, path, Some(v)).await
    }
}

async fn serve(clock: Arc<ManualClock>) -> (Sandbox, Client) {
    let sandbox = Sandbox::new(
        SandboxConfig::default()
            .clock(clock)
            .token_lifetime(Duration::from_secs(600)),
    )
    .unwrap();
    let running = sandbox.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = Client {
        http: HyperTransport::new(Settings::default().allow_http(true)).unwrap(),
        base: running.base_url().to_owned(),
        _running: running,
    };
    (sandbox, client)
}

#[tokio::test]
async fn tokens_timestamps_and_bills_follow_the_injected_clock() {
    let clock = Arc::new(ManualClock::new(START));
    let (sandbox, c) = serve(clock.clone()).await;
    let registered = c
        .post_json(
            "/sandbox/merchants",
            json!({
                "app_key": "MMMclock", "deal_id": 470000123, "app_id": 10123,
                "client_id": "clock-id", "client_secret": "clock-secret",
                "merchant_public_key": sandbox.platform_public_key().to_spki_pem(),
                "notify_url": "http://127.0.0.1:9/notify",
                "refund_audit_url": "http://127.0.0.1:9/audit",
                "refund_notify_url": "http://127.0.0.1:9/refund",
            }),
        )
        .await;
    assert_eq!(registered["app_key"], "MMMclock", "{registered}");

    let issued = c
        .get("/oauth/2.0/token?grant_type=client_credentials&client_id=clock-id&client_secret=clock-secret&scope=smartapp_snsapi_base")
        .await;
    let token = issued["access_token"].as_str().unwrap().to_owned();
    // the token names the moment it was issued, on the sandbox's clock
    assert!(token.ends_with(&format!(".{START}")), "{token}");

    let bill =
        format!("{PAY}/orderBill?access_token={token}&pmAppKey=MMMclock&billTime=2024-05-13");
    let answer = c.get(&bill).await;
    assert_eq!(answer["errno"], 0, "{answer}");
    assert_eq!(
        answer["data"]["data"][0]["createTime"],
        "2024-05-13 17:49:20"
    );

    // one second before the end of its lifetime the token still works ...
    clock.advance(Duration::from_secs(599));
    let answer = c.get(&bill).await;
    assert_eq!(answer["errno"], 0, "{answer}");
    assert_eq!(
        answer["data"]["data"][0]["createTime"],
        "2024-05-13 17:59:19"
    );

    // ... and at its end it has expired, though no real time passed
    clock.advance(Duration::from_secs(1));
    let answer = c.get(&bill).await;
    assert_eq!(answer["error_code"], 111, "{answer}");
}

#[tokio::test]
async fn tp_authorizer_tokens_expire_after_thirty_days_of_the_clock() {
    let clock = Arc::new(ManualClock::new(START));
    let (_sandbox, c) = serve(clock.clone()).await;
    let app = c
        .post_json(
            "/sandbox/tp/apps",
            json!({"app_id": 777, "tp_app_id": 888, "event_url": "http://127.0.0.1:9/events"}),
        )
        .await;
    let token = app["access_token"].as_str().unwrap().to_owned();
    let find = format!("{PAY}/findByTpOrderId?access_token={token}&pmAppKey=none&tpOrderId=x");
    // a live token without a payment service: the pay API refuses the pmAppKey, not the token
    let answer = c.get(&find).await;
    assert_eq!(answer["errno"], 10002, "{answer}");
    clock.advance(Duration::from_secs(30 * 86_400));
    let answer = c.get(&find).await;
    assert_eq!(answer["error_code"], 111, "{answer}");
}
