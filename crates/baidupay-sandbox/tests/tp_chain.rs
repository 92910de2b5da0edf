//! The TP authorization chain over plain HTTP, as a third-party platform meets it: register,
//! receive and open the sealed ticket push, TP token, pre-auth code, consent, the sealed
//! authorization event, code exchange, refresh, revocation, and every refusal on the way. No
//! SDK client code: raw requests, and the envelopes opened with `TpEventKeys`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use baidupay_notify::{TpEvent, TpEventKeys};
use baidupay_sandbox::{CallbackKind, SandboxConfig};
use baidupay_transport::ManualClock;
use serde_json::{Value, json};
use support::{Client, Receiver, oauth, start};

/// 2024-05-13 17:49:20 in Beijing.
const START: i64 = 1_715_593_760;
const CLIENT_ID: &str = "tp-client-key";
const MINI_APP: u64 = 16_022_222;

/// Registers the TP (a generated aes_key) and returns its keys.
async fn register(c: &Client, r: &Receiver) -> TpEventKeys {
    let (status, v) = c
        .post_json(
            "/sandbox/tp/platforms",
            json!({"client_id": CLIENT_ID, "token": "tp-msg-token", "tp_app_id": 888,
                   "auth_event_url": format!("{}/auth", r.base),
                   "event_url": format!("{}/events", r.base)}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let aes_key = v["aes_key"].as_str().unwrap();
    assert_eq!(aes_key.len(), 43);
    assert!(aes_key.bytes().all(|b| b.is_ascii_alphanumeric()));
    TpEventKeys::new("tp-msg-token", aes_key, CLIENT_ID).unwrap()
}

fn ticket_of(keys: &TpEventKeys, body: &[u8]) -> String {
    match keys.open(body).unwrap() {
        TpEvent::Ticket(t) => {
            assert_eq!(t.from_user_name.as_deref(), Some("SmartAPP"));
            assert!(t.create_time.is_some());
            t.ticket.expose().to_owned()
        }
        other => panic!("not a ticket: {other:?}"),
    }
}

async fn tp_token(c: &Client, client_id: &str, ticket: &str) -> Value {
    let (status, v) = c
        .get(&format!(
            "/public/2.0/smartapp/auth/tp/token?client_id={client_id}&ticket={ticket}"
        ))
        .await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn pre_auth_code(c: &Client, tp_token: &str) -> String {
    let (_, v) = c
        .get(&format!(
            "/rest/2.0/smartapp/tp/createpreauthcode?access_token={tp_token}"
        ))
        .await;
    assert_eq!(v["errno"], 0, "{v}");
    assert_eq!(v["data"]["expires_in"], 1200);
    v["data"]["pre_auth_code"].as_str().unwrap().to_owned()
}

async fn authorize(c: &Client, code: &str) -> (u16, Value) {
    c.post_json(
        "/sandbox/tp/authorize",
        json!({"pre_auth_code": code, "app_id": MINI_APP,
               "redirect_uri": "https://tp.example/authorized?state=1"}),
    )
    .await
}

async fn app_counts(c: &Client) -> Value {
    let (status, v) = c.get(&format!("/sandbox/tp/apps/{MINI_APP}")).await;
    assert_eq!(status, 200, "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // the chain, in order
async fn the_authorization_chain_runs_end_to_end_and_refuses_what_the_platform_refuses() {
    let clock = Arc::new(ManualClock::new(START));
    let (sandbox, _running, c) = start(
        SandboxConfig::default()
            .clock(clock.clone())
            .tp_audit_delay(Duration::from_millis(10)),
    )
    .await;
    let mut r = Receiver::start().await;
    let keys = register(&c, &r).await;

    // the first ticket arrives at once, sealed with the TP's keys
    let first = ticket_of(&keys, &r.next("auth").await);
    let v = tp_token(&c, CLIENT_ID, &first).await;
    assert_eq!(v["errno"], 0, "{v}");
    assert_eq!(v["data"]["expires_in"], 2_592_000);
    assert_eq!(v["data"]["scope"], "smartapp_tp_smtapp_common public");
    assert_eq!(tp_token(&c, "someone-else", &first).await["errno"], 40002);
    assert_eq!(tp_token(&c, CLIENT_ID, "forged").await["errno"], 40003);
    let (_, v) = c
        .get("/public/2.0/smartapp/auth/tp/token?client_id=x")
        .await;
    assert_eq!(v["errno"], 40001, "{v}");

    // a second ticket: the first stays good for twice the interval, then only the newest
    let (_, v) = c
        .post_json(
            &format!("/sandbox/tp/platforms/{CLIENT_ID}/ticket"),
            json!({}),
        )
        .await;
    assert_eq!(v["acknowledged"], true, "{v}");
    let second = ticket_of(&keys, &r.next("auth").await);
    assert_ne!(first, second);
    assert_eq!(tp_token(&c, CLIENT_ID, &first).await["errno"], 0);
    clock.advance(Duration::from_secs(1200));
    assert_eq!(tp_token(&c, CLIENT_ID, &first).await["errno"], 40003);
    let v = tp_token(&c, CLIENT_ID, &second).await;
    assert_eq!(v["errno"], 0, "{v}");
    let tp = v["data"]["access_token"].as_str().unwrap().to_owned();
    let (_, platform) = c.get(&format!("/sandbox/tp/platforms/{CLIENT_ID}")).await;
    assert_eq!(platform["tickets_pushed"], 2, "{platform}");

    // pre-auth code, consent, the AUTHORIZED event carrying the code
    let (_, v) = c
        .get("/rest/2.0/smartapp/tp/createpreauthcode?access_token=forged")
        .await;
    assert_eq!(v["error_code"], 110, "{v}");
    let pre = pre_auth_code(&c, &tp).await;
    let (status, consent) = authorize(&c, &pre).await;
    assert_eq!(status, 200, "{consent}");
    let code = consent["authorization_code"].as_str().unwrap().to_owned();
    assert_eq!(
        consent["redirect"],
        format!("https://tp.example/authorized?state=1&authorization_code={code}&expires_in=600")
    );
    let TpEvent::Authorized(event) = keys.open(&r.next("auth").await).unwrap() else {
        panic!("not AUTHORIZED");
    };
    assert_eq!(event.app_id, MINI_APP);
    assert_eq!(event.tp_app_id, Some(888));
    assert_eq!(event.authorization_code.unwrap().expose(), code);
    assert_eq!(event.authorization_code_expires_in, Some(600));
    let (status, v) = authorize(&c, &pre).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"], "pre_auth_code already used");

    // the code buys the first pair, once
    let (status, pair) = oauth(
        &c,
        &tp,
        &format!("grant_type=app_to_tp_authorization_code&code={code}"),
    )
    .await;
    assert_eq!(status, 200, "{pair}");
    assert_eq!(pair["expires_in"], 3600);
    let (status, v) = oauth(
        &c,
        &tp,
        &format!("grant_type=app_to_tp_authorization_code&code={code}"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(v["error"], "invalid_grant");
    assert_eq!(v["error_description"], "authorization code already used");

    // the authorizer token calls the TP APIs; their audit pushes are sealed too
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let status_path =
        |t: &str| format!("/rest/2.0/smartapp/pay/account/auditstatus?access_token={t}");
    assert_eq!(c.get(&status_path(&access)).await.1["errno"], 60006);
    let account = "business_scope=%E8%BD%AF%E4%BB%B6&business_province=a&business_city=b&business_detail_address=c&legal_person=%E6%9D%8E%E5%9B%9B&legal_id=11010119900307663X&id_card_front_url=https%3A%2F%2Fi.example%2Ff.jpg&id_card_back_url=https%3A%2F%2Fi.example%2Fb.jpg";
    let v = c
        .post_form(
            &format!("/rest/2.0/smartapp/pay/account/create?access_token={access}"),
            account,
        )
        .await;
    assert_eq!(v["errno"], 0, "{v}");
    let audit = keys.open(&r.next("events").await).unwrap();
    let push = audit.as_payment_audit().expect("a payment audit event");
    assert_eq!(push.event.code(), "APP_PAYMENT_CREATE_ACCOUNT_PASS");

    // the authorizer token expires: 111, and one refresh gives a new pair
    clock.advance(Duration::from_secs(3600));
    assert_eq!(c.get(&status_path(&access)).await.1["error_code"], 111);
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let grant = format!("grant_type=app_to_tp_refresh_token&refresh_token={refresh}");
    let (status, renewed) = oauth(&c, &tp, &grant).await;
    assert_eq!(status, 200, "{renewed}");
    let new_access = renewed["access_token"].as_str().unwrap();
    assert_ne!(new_access, access);
    assert_ne!(renewed["refresh_token"], pair["refresh_token"]);
    assert_eq!(c.get(&status_path(new_access)).await.1["errno"], 0);
    assert_eq!(c.get(&status_path(&access)).await.1["error_code"], 110);
    let counts = app_counts(&c).await;
    assert_eq!(
        (
            &counts["code_exchanges"],
            &counts["refreshes"],
            &counts["refresh_reuses"]
        ),
        (&json!(1), &json!(1), &json!(0)),
        "{counts}"
    );
    // the used refresh token is refused, and the attempt counted
    let (status, v) = oauth(&c, &tp, &grant).await;
    assert_eq!(status, 400);
    assert_eq!(
        v,
        json!({"error": "invalid_grant", "error_description": "refresh token already used"})
    );
    assert_eq!(app_counts(&c).await["refresh_reuses"], 1);
    assert_eq!(app_counts(&c).await["refreshes"], 1);

    // an expired pre-auth code; then re-consent: UPDATE_AUTHORIZED, the old refresh token dies
    let stale = pre_auth_code(&c, &tp).await;
    clock.advance(Duration::from_secs(1200));
    let (status, v) = authorize(&c, &stale).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"], "pre_auth_code expired (it lives 1200 s)");
    let (status, v) = authorize(&c, &pre_auth_code(&c, &tp).await).await;
    assert_eq!(status, 200, "{v}");
    assert!(matches!(
        keys.open(&r.next("auth").await).unwrap(),
        TpEvent::UpdateAuthorized(_)
    ));
    // an authorization code that was never exchanged expires
    clock.advance(Duration::from_secs(600));
    let (status, v) = oauth(
        &c,
        &tp,
        &format!(
            "grant_type=app_to_tp_authorization_code&code={}",
            v["authorization_code"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(v["error_description"], "authorization code expired");

    // revocation: UNAUTHORIZED, the live refresh token is refused
    let live = renewed["refresh_token"].as_str().unwrap();
    let (status, v) = c
        .send(
            http::Method::DELETE,
            &format!("/sandbox/tp/authorize/{MINI_APP}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let TpEvent::Unauthorized(gone) = keys.open(&r.next("auth").await).unwrap() else {
        panic!("not UNAUTHORIZED");
    };
    assert_eq!(gone.app_id, MINI_APP);
    assert!(gone.authorization_code.is_none());
    let (status, v) = oauth(
        &c,
        &tp,
        &format!("grant_type=app_to_tp_refresh_token&refresh_token={live}"),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(app_counts(&c).await["authorized"], false);

    // the TP token itself expires after its month
    clock.advance(Duration::from_secs(2_592_000));
    let (_, v) = c
        .get(&format!(
            "/rest/2.0/smartapp/tp/createpreauthcode?access_token={tp}"
        ))
        .await;
    assert_eq!(v["error_code"], 111, "{v}");

    // every push is in the delivery log, sealed, acknowledged (the last one is recorded once
    // its answer is read)
    let acknowledged = |k: CallbackKind| {
        let log = sandbox.deliveries();
        log.iter().filter(|d| d.kind == k && d.acknowledged).count()
    };
    for _ in 0..100 {
        if acknowledged(CallbackKind::TpAuthorization) == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(acknowledged(CallbackKind::TpTicket), 2);
    assert_eq!(acknowledged(CallbackKind::TpAuthorization), 3);
    assert_eq!(acknowledged(CallbackKind::TpAudit), 1);
    let log = sandbox.deliveries();
    assert!(log.iter().all(|d| keys.open(d.body.as_bytes()).is_ok()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_checked() {
    let (_sandbox, _running, c) = start(SandboxConfig::default()).await;
    let r = Receiver::start().await;
    let mut registration = json!({"client_id": "tp-x", "token": "t",
        "aes_key": "too-short", "auth_event_url": format!("{}/auth", r.base),
        "event_url": format!("{}/events", r.base)});
    let (status, v) = c
        .post_json("/sandbox/tp/platforms", registration.clone())
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().unwrap().starts_with("aes_key"), "{v}");
    let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    registration["aes_key"] = json!(key);
    let (status, v) = c
        .post_json("/sandbox/tp/platforms", registration.clone())
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["aes_key"], key);
    let (status, _) = c.post_json("/sandbox/tp/platforms", registration).await;
    assert_eq!(status, 409);
    let (status, _) = c
        .post_json(
            "/sandbox/tp/platforms",
            json!({"client_id": "tp-y", "token": "t", "auth_event_url": "/relative",
                   "event_url": "http://127.0.0.1:9/e"}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = c.get("/sandbox/tp/platforms/nobody").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_come_on_the_interval_are_retried_until_success_and_stop_with_the_sandbox() {
    let (sandbox, running, c) = start(
        SandboxConfig::default()
            .tp_ticket_interval(Duration::from_millis(100))
            .retry_schedule([0, 20, 20, 20].map(Duration::from_millis)),
    )
    .await;
    let mut r = Receiver::start().await;
    *r.refuse.lock().unwrap() = 1;
    let keys = register(&c, &r).await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(ticket_of(&keys, &r.next("auth").await));
    }
    seen.dedup();
    assert_eq!(seen.len(), 3, "each push carries a fresh ticket");
    // the first push was refused once, then sent again
    let first: Vec<_> = sandbox
        .deliveries()
        .into_iter()
        .filter(|d| d.kind == CallbackKind::TpTicket && d.attempt <= 2)
        .take(2)
        .collect();
    assert!(
        !first[0].acknowledged && first[0].response == "fail",
        "{first:?}"
    );
    assert!(first[1].acknowledged && first[1].body == first[0].body);

    running.stop().await;
    // whatever was in flight lands; then nothing more
    tokio::time::sleep(Duration::from_millis(300)).await;
    while r.bodies.try_recv().is_ok() {}
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(r.bodies.try_recv().is_err(), "a ticket after the stop");
}
