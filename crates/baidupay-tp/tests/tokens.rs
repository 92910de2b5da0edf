//! The TP token chain: ticket → TP token → authorizer token from a code → refresh with the
//! single-use refresh token, each new one handed to the caller to persist.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use baidupay_model::Secret;
use baidupay_tp::{AuthorizerTokens, ComponentToken, TpClient};
use baidupay_transport::ManualClock;
use baidupay_transport::replay::{Expect, ReplayTransport};

#[tokio::test]
async fn chain_from_ticket_to_refreshed_authorizer_token() {
    let t = Arc::new(ReplayTransport::new([
        Expect::get("/public/2.0/smartapp/auth/tp/token")
            .query(&[("client_id", "TPKEY"), ("ticket", "TICKET-1")])
            .respond_json(r#"{"errno":0,"msg":"success","data":{"access_token":"42.tp","expires_in":2592000,"scope":"smartapp_tp_smtapp_common public"}}"#),
        Expect::get("/rest/2.0/oauth/token")
            .query(&[("access_token", "42.tp"), ("code", "CODE"), ("grant_type", "app_to_tp_authorization_code")])
            .respond_json(r#"{"access_token":"45.a1","refresh_token":"46.r1","expires_in":3600}"#),
        Expect::get("/rest/2.0/smartapp/pay/paymentservice/auditstatus")
            .query(&[("access_token", "45.a1")])
            .respond_json(r#"{"errno":0,"msg":"success","data":{"status":1,"fail_reason":""}}"#),
        Expect::get("/rest/2.0/oauth/token")
            .query(&[("access_token", "42.tp"), ("refresh_token", "46.r1"), ("grant_type", "app_to_tp_refresh_token")])
            .respond_json(r#"{"access_token":"45.a2","refresh_token":"46.r2","expires_in":3600}"#),
        Expect::get("/rest/2.0/smartapp/pay/paymentservice/auditstatus")
            .query(&[("access_token", "45.a2")])
            .respond_json(r#"{"errno":0,"msg":"success","data":{"status":2,"fail_reason":""}}"#),
    ]));
    let clock = Arc::new(ManualClock::new(1_700_000_000));
    let component = Arc::new(
        ComponentToken::new(t.clone(), "https://openapi.baidu.com", "TPKEY")
            .with_clock(clock.clone()),
    );
    // no ticket yet: a clear error, nothing sent
    let e = component.token().await.unwrap_err();
    assert!(e.to_string().contains("ticket"), "{e}");
    assert!(t.requests().is_empty());
    component.set_ticket(Secret::new("TICKET-1"));

    let persisted: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = persisted.clone();
    let tokens = Arc::new(
        AuthorizerTokens::from_authorization_code(
            component.clone(),
            &Secret::new("CODE"),
            Arc::new(move |r: &Secret| sink.lock().unwrap().push(r.expose().to_owned())),
        )
        .await
        .unwrap(),
    );
    let tp = TpClient::new("https://openapi.baidu.com", t.clone(), tokens.clone());
    assert_eq!(tp.service_audit_status().await.unwrap().status.code(), 1);
    clock.advance(Duration::from_secs(3600));
    assert_eq!(tp.service_audit_status().await.unwrap().status.code(), 2);
    assert_eq!(
        *persisted.lock().unwrap(),
        ["46.r1", "46.r2"],
        "every single-use refresh token is handed back"
    );
    assert!(
        !format!("{tokens:?}").contains("46.r"),
        "tokens never in Debug"
    );
    t.assert_done();
}
