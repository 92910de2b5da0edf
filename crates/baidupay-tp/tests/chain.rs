//! The TP token chain step by step: each request exactly (path, query, resend mark) and each
//! answer decoded, errors included.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use baidupay_model::Secret;
use baidupay_model::envelope::ApiError;
use baidupay_openapi::OpenApiError;
use baidupay_tp::store::{TokenKey, TokenStore};
use baidupay_tp::{
    MemoryTokenStore, OAUTH_TOKEN_PATH, PRE_AUTH_CODE_PATH, TP_TOKEN_PATH, TpAuth, TpClient,
    TpError,
};
use baidupay_transport::ManualClock;
use support::{APP, Answer, BASE, Fake, NOW, REFRESHED, Seen, TP_TOKEN, seeded, stored};

const AUDIT_PATH: &str = "/rest/2.0/smartapp/pay/paymentservice/auditstatus";
const AUDIT_OK: &str = r#"{"errno":0,"msg":"success","data":{"status":1,"fail_reason":""}}"#;

fn seen(path: &str, query: &[(&str, &str)], idempotent: bool) -> Seen {
    let mut query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    query.sort();
    Seen {
        path: path.to_owned(),
        query,
        idempotent,
    }
}

fn chain(fake: &Arc<Fake>, clock: &Arc<ManualClock>) -> (TpAuth, Arc<dyn TokenStore>) {
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let auth = TpAuth::new("TPKEY", BASE, fake.clone(), store.clone(), clock.clone());
    (auth, store)
}

#[tokio::test]
async fn from_the_ticket_to_a_refreshed_authorizer_token() {
    let fake = Arc::new(
        Fake::new(Duration::ZERO)
            .on(TP_TOKEN_PATH, Answer::Json(TP_TOKEN))
            .on(
                PRE_AUTH_CODE_PATH,
                Answer::Json(
                    r#"{"errno":0,"msg":"success","data":{"pre_auth_code":"PRE-1","expires_in":1200}}"#,
                ),
            )
            .on(
                OAUTH_TOKEN_PATH,
                Answer::Json(r#"{"access_token":"45.a1","refresh_token":"46.r1","expires_in":3600}"#),
            )
            .on(OAUTH_TOKEN_PATH, Answer::Json(REFRESHED))
            .on(AUDIT_PATH, Answer::Json(AUDIT_OK))
            .on(AUDIT_PATH, Answer::Json(AUDIT_OK)),
    );
    let clock = Arc::new(ManualClock::new(NOW));
    let (auth, store) = chain(&fake, &clock);

    // no ticket yet: a clear error, nothing sent
    let e = auth.component_token().await.unwrap_err();
    assert!(
        matches!(&e, TpError::Call(OpenApiError::NotReady { .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("ticket"), "{e}");
    assert!(fake.seen().is_empty());

    auth.on_ticket(&Secret::new("TICKET-1")).await.unwrap();
    assert_eq!(auth.component_token().await.unwrap().expose(), "42.tp");
    // stored until shortly before it expires: no second fetch
    clock.advance(Duration::from_secs(2_592_000 - 301));
    assert_eq!(auth.component_token().await.unwrap().expose(), "42.tp");
    let component = store.load(TokenKey::Component).await.unwrap().unwrap();
    assert_eq!(component.tokens.expires_at, NOW + 2_592_000);
    clock.set_unix_seconds(NOW);

    let pre = auth.pre_auth_code().await.unwrap();
    assert_eq!(pre.pre_auth_code.expose(), "PRE-1");
    assert_eq!(pre.expires_in, 1200);
    assert_eq!(
        auth.authorization_url(&pre.pre_auth_code, "https://tp.example/cb?a=1&b=两"),
        "https://smartprogram.baidu.com/mappconsole/tp/authorization?client_id=TPKEY\
         &redirect_uri=https%3A%2F%2Ftp.example%2Fcb%3Fa%3D1%26b%3D%E4%B8%A4&pre_auth_code=PRE-1"
    );
    assert_eq!(
        auth.clone()
            .console_url("http://127.0.0.1:9/console?lang=zh")
            .authorization_url(&pre.pre_auth_code, "x"),
        "http://127.0.0.1:9/console?lang=zh&client_id=TPKEY&redirect_uri=x&pre_auth_code=PRE-1"
    );

    auth.authorize(APP, &Secret::new("CODE")).await.unwrap();
    assert_eq!(
        stored(&*store).await,
        ("45.a1".to_owned(), "46.r1".to_owned(), 1)
    );

    let tp = TpClient::new(BASE, fake.clone(), auth.authorizer(APP));
    assert_eq!(tp.service_audit_status().await.unwrap().status.code(), 1);
    clock.advance(Duration::from_secs(3600 - 300));
    assert_eq!(tp.service_audit_status().await.unwrap().status.code(), 1);

    assert_eq!(
        fake.seen(),
        [
            seen(
                TP_TOKEN_PATH,
                &[("client_id", "TPKEY"), ("ticket", "TICKET-1")],
                true
            ),
            seen(PRE_AUTH_CODE_PATH, &[("access_token", "42.tp")], true),
            seen(
                OAUTH_TOKEN_PATH,
                &[
                    ("access_token", "42.tp"),
                    ("code", "CODE"),
                    ("grant_type", "app_to_tp_authorization_code")
                ],
                false
            ),
            seen(AUDIT_PATH, &[("access_token", "45.a1")], true),
            seen(
                OAUTH_TOKEN_PATH,
                &[
                    ("access_token", "42.tp"),
                    ("refresh_token", "46.r1"),
                    ("grant_type", "app_to_tp_refresh_token")
                ],
                false
            ),
            seen(AUDIT_PATH, &[("access_token", "45.a2")], true),
        ]
    );
    assert_eq!(
        stored(&*store).await,
        ("45.a2".to_owned(), "46.r2".to_owned(), 2)
    );
    let debug = format!("{auth:?} {:?}", auth.authorizer(APP));
    for secret in ["42.tp", "45.a", "46.r", "TICKET", "CODE", "PRE-1"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[tokio::test]
async fn error_answers_are_decoded_and_nothing_is_stored() {
    let fake = Arc::new(
        Fake::new(Duration::ZERO)
            .on(
                TP_TOKEN_PATH,
                Answer::Json(r#"{"errno":40001,"msg":"ticket invalid"}"#),
            )
            .on(TP_TOKEN_PATH, Answer::Json(TP_TOKEN))
            .on(
                PRE_AUTH_CODE_PATH,
                Answer::Json(r#"{"errno":60001,"msg":"tp not allowed"}"#),
            )
            .on(
                OAUTH_TOKEN_PATH,
                Answer::Json(r#"{"error":"invalid_grant","error_description":"code used"}"#),
            ),
    );
    let clock = Arc::new(ManualClock::new(NOW));
    let (auth, store) = chain(&fake, &clock);
    auth.on_ticket(&Secret::new("TICKET-1")).await.unwrap();

    // the envelope's errno, and no token stored
    let e = auth.component_token().await.unwrap_err();
    let TpError::Call(call) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(call.errno(), Some(40001));
    assert_eq!(e.to_string(), "auth/tp/token: baidu refused the call");
    assert!(store.load(TokenKey::Component).await.unwrap().is_none());

    let e = auth.pre_auth_code().await.unwrap_err();
    assert_eq!(e.tp_code().map(|c| c.code()), Some(60001), "{e:?}");

    // the OAuth error shape
    let e = auth.authorize(APP, &Secret::new("CODE")).await.unwrap_err();
    let TpError::Call(call) = &e else {
        panic!("{e:?}")
    };
    match call.api_error() {
        Some(ApiError::OAuth {
            error,
            error_description,
            ..
        }) => {
            assert_eq!(error, "invalid_grant");
            assert_eq!(error_description, "code used");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        store
            .load(TokenKey::Authorizer(APP))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(fake.seen().len(), 4);
}

#[tokio::test]
async fn a_refused_tp_token_is_fetched_again_once_with_the_latest_ticket() {
    let fake = Arc::new(
        Fake::new(Duration::ZERO)
            .on(
                PRE_AUTH_CODE_PATH,
                Answer::Json(r#"{"error_code":110,"error_msg":"Access token invalid or no longer valid"}"#),
            )
            .on(
                TP_TOKEN_PATH,
                Answer::Json(r#"{"errno":0,"msg":"success","data":{"access_token":"42.tp2","expires_in":2592000}}"#),
            )
            .on(
                PRE_AUTH_CODE_PATH,
                Answer::Json(r#"{"errno":0,"msg":"success","data":{"pre_auth_code":"PRE-2","expires_in":"1200"}}"#),
            ),
    );
    let clock = Arc::new(ManualClock::new(NOW));
    let auth = seeded(
        fake.clone(),
        Arc::new(MemoryTokenStore::new()),
        clock.clone(),
    )
    .await;
    auth.on_ticket(&Secret::new("TICKET-2")).await.unwrap();
    assert_eq!(
        auth.pre_auth_code().await.unwrap().pre_auth_code.expose(),
        "PRE-2"
    );
    let paths: Vec<_> = fake
        .seen()
        .into_iter()
        .map(|s| (s.path.clone(), s.query))
        .collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert_eq!(
        fake.seen_at(TP_TOKEN_PATH)[0].param("ticket"),
        Some("TICKET-2")
    );
    assert_eq!(
        fake.seen_at(PRE_AUTH_CODE_PATH)[1].param("access_token"),
        Some("42.tp2")
    );
    assert_eq!(auth.component_token().await.unwrap().expose(), "42.tp2");
}

#[tokio::test]
async fn a_token_expired_answer_refreshes_exactly_once() {
    let fake = Arc::new(
        Fake::new(Duration::ZERO)
            .on(
                AUDIT_PATH,
                Answer::Json(r#"{"error_code":111,"error_msg":"Access token expired"}"#),
            )
            .on(OAUTH_TOKEN_PATH, Answer::Json(REFRESHED))
            .on(AUDIT_PATH, Answer::Json(AUDIT_OK))
            .on(AUDIT_PATH, Answer::Json(AUDIT_OK)),
    );
    let clock = Arc::new(ManualClock::new(NOW));
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let auth = seeded(fake.clone(), store.clone(), clock).await;
    let tp = TpClient::new(BASE, fake.clone(), auth.authorizer(APP));
    // the stored token is not due, but the API says it expired
    assert_eq!(tp.service_audit_status().await.unwrap().status.code(), 1);
    assert_eq!(tp.service_audit_status().await.unwrap().status.code(), 1);
    let refreshes = fake.seen_at(OAUTH_TOKEN_PATH);
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].param("refresh_token"), Some("46.r1"));
    let audits: Vec<_> = fake
        .seen_at(AUDIT_PATH)
        .iter()
        .map(|s| s.param("access_token").unwrap().to_owned())
        .collect();
    assert_eq!(audits, ["45.a1", "45.a2", "45.a2"]);
    assert_eq!(
        stored(&*store).await,
        ("45.a2".to_owned(), "46.r2".to_owned(), 2)
    );
}
