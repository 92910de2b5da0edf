//! The third-party-platform steps of `baidupay demo`: the authorization chain from the first
//! sealed ticket push (registration, ticket, component token, pre-authorization code,
//! consent, authorizer tokens, a refresh), then the onboarding of the authorized mini program
//! through its three audited steps, each decided through the sandbox and pushed to the TP's
//! event URL.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use baidupay_crypto::PrivateKey;
use baidupay_model::Secret;
use baidupay_model::tp::{OpenStatus, TpAuditEvent, TpAuditPush};
use baidupay_notify::{TpEvent, TpEventKeys};
use baidupay_tp::{AUTHORIZATION_CONSOLE, MemoryTokenStore, TpAuth, TpClient};
use baidupay_transport::{HyperTransport, SystemClock};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{Demo, eventually, expect, fail, post_json};
use crate::error::CliError;

const TP_MINI_APP: u64 = 16_011_111;
const TP_CLIENT_ID: &str = "demo-tp-client";
const TP_MSG_TOKEN: &str = "demo-tp-token";
const TP_REDIRECT: &str = "https://tp.example/authorized";

/// The first characters of a secret, for a step line.
fn head(s: &Secret) -> String {
    format!("{}…", s.expose().chars().take(12).collect::<String>())
}

/// What the TP's event server has received: tickets handed to the chain, authorization
/// events, audit pushes (all opened with the TP's keys).
struct Inbox {
    tickets: Arc<AtomicUsize>,
    events: mpsc::UnboundedReceiver<TpEvent>,
    audits: Arc<Mutex<Vec<TpAuditPush>>>,
}

/// Registers the TP with the sandbox (which generates its EncodingAESKey) for event URLs on
/// a loopback port bound first, then serves them with those keys: `/auth` on
/// `tp_event_route` (tickets go to `auth`), `/events` opening the audit pushes.
async fn register(
    http: &HyperTransport,
    base: &str,
    auth: &TpAuth,
) -> super::Step<(Inbox, SocketAddr)> {
    let listener = expect(
        tokio::net::TcpListener::bind("127.0.0.1:0").await,
        "binding",
    )?;
    let addr = expect(listener.local_addr(), "address")?;
    let (status, v) = post_json(
        http,
        &format!("{base}/sandbox/tp/platforms"),
        &json!({"client_id": TP_CLIENT_ID, "token": TP_MSG_TOKEN, "tp_app_id": 888,
                "auth_event_url": format!("http://{addr}/auth"),
                "event_url": format!("http://{addr}/events")}),
    )
    .await?;
    let Some(aes_key) = v["aes_key"].as_str().filter(|_| status == 201) else {
        return fail(format!("expected 201 with an aes_key, got {status}: {v}"));
    };
    let keys = expect(
        TpEventKeys::new(TP_MSG_TOKEN, aes_key, TP_CLIENT_ID),
        "the TP's keys",
    )?;
    let (tx, events) = mpsc::unbounded_channel();
    let inbox = Inbox {
        tickets: Arc::default(),
        events,
        audits: Arc::default(),
    };
    let (chain, tickets) = (auth.clone(), inbox.tickets.clone());
    let on_event = move |event: TpEvent| {
        let (chain, tickets, tx) = (chain.clone(), tickets.clone(), tx.clone());
        async move {
            let TpEvent::Ticket(push) = event else {
                return tx.send(event).is_ok();
            };
            let stored = chain.on_ticket(&push.ticket).await.is_ok();
            if stored {
                tickets.fetch_add(1, Ordering::SeqCst);
            }
            stored
        }
    };
    let (opener, audits) = (keys.clone(), inbox.audits.clone());
    let router = axum::Router::new()
        .route(
            "/auth",
            baidupay_notify::axum::tp_event_route(keys, on_event),
        )
        .route(
            "/events",
            axum::routing::post(move |body: Bytes| {
                let (opener, audits) = (opener.clone(), audits.clone());
                async move {
                    let Ok(push) = baidupay_notify::tp::parse_audit_push(&opener, &body) else {
                        return "fail";
                    };
                    audits
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(push);
                    baidupay_notify::tp::TP_ACK
                }
            }),
        );
    // the first ticket was pushed at once: it waits in the listen backlog until now
    let limits = baidupay_notify::axum::ServerLimits::default();
    tokio::spawn(baidupay_notify::axum::serve(listener, router, limits).into_future());
    Ok((inbox, addr))
}

/// `GET /sandbox/tp/apps/{app_id}`.
async fn app_counts(http: &HyperTransport, base: &str) -> super::Step<Value> {
    let req = expect(
        http::Request::get(format!("{base}/sandbox/tp/apps/{TP_MINI_APP}")).body(Bytes::new()),
        "request",
    )?;
    let r = expect(
        baidupay_transport::Transport::send(http, req).await,
        "sandbox/tp/apps",
    )?;
    Ok(serde_json::from_slice(r.body()).unwrap_or(Value::Null))
}

/// The TP: the authorization chain from the first ticket, then the onboarding of the mini
/// program on its authorizer tokens.
#[allow(clippy::too_many_lines)] // one block per step, in order
pub(super) async fn tp_steps(
    d: &mut Demo,
    http: &Arc<HyperTransport>,
    base: &str,
    merchant_key: &PrivateKey,
    merchant: SocketAddr,
) -> Result<(), CliError> {
    let auth = TpAuth::new(
        TP_CLIENT_ID,
        base,
        http.clone(),
        Arc::new(MemoryTokenStore::new()),
        Arc::new(SystemClock),
    );
    let mut inbox = d
        .step("TP: platform registration (sealed event URLs)", async {
            let (inbox, addr) = register(http, base, &auth).await?;
            Ok((inbox, format!("{TP_CLIENT_ID}, events at {addr}")))
        })
        .await?;
    d.step("TP: ticket push opened, handed to the chain", async {
        let tickets = inbox.tickets.clone();
        if !eventually(|| async { tickets.load(Ordering::SeqCst) > 0 }).await {
            return fail("no ticket push arrived");
        }
        Ok(((), "ticket stored".to_owned()))
    })
    .await?;
    d.step("TP: component token (auth/tp/token)", async {
        let t = expect(auth.component_token().await, "auth/tp/token")?;
        Ok(((), head(&t)))
    })
    .await?;
    let pre = d
        .step("TP: pre-auth code and authorization URL", async {
            let pre = expect(auth.pre_auth_code().await, "tp/createpreauthcode")?;
            let url = auth.authorization_url(&pre.pre_auth_code, TP_REDIRECT);
            let expected = format!("{AUTHORIZATION_CONSOLE}?client_id={TP_CLIENT_ID}&");
            if !url.starts_with(&expected) {
                return fail(format!("unexpected authorization URL {url}"));
            }
            Ok((pre.pre_auth_code, format!("{expected}…")))
        })
        .await?;
    let code = d
        .step("TP: admin consents, AUTHORIZED event opened", async {
            let (status, v) = post_json(
                http,
                &format!("{base}/sandbox/tp/authorize"),
                &json!({"pre_auth_code": pre.expose(), "app_id": TP_MINI_APP,
                        "redirect_uri": TP_REDIRECT}),
            )
            .await?;
            if status != 200 {
                return fail(format!("consent: expected 200, got {status}: {v}"));
            }
            let event =
                tokio::time::timeout(std::time::Duration::from_secs(5), inbox.events.recv()).await;
            let Ok(Some(TpEvent::Authorized(e))) = event else {
                return fail(format!("expected an AUTHORIZED event, got {event:?}"));
            };
            let Some(code) = e.authorization_code.filter(|_| e.app_id == TP_MINI_APP) else {
                return fail(format!("the event carries no code for app {TP_MINI_APP}"));
            };
            let detail = format!("app {TP_MINI_APP}, code {}", head(&code));
            Ok((code, detail))
        })
        .await?;
    let first = d
        .step("TP: authorizer tokens (oauth/token, code)", async {
            expect(auth.authorize(TP_MINI_APP, &code).await, "oauth/token")?;
            let t = expect(auth.authorizer_token(TP_MINI_APP).await, "authorizer token")?;
            let detail = head(&t);
            Ok((t, detail))
        })
        .await?;
    let tp = TpClient::new(base, http.clone(), auth.authorizer(TP_MINI_APP));
    d.step("TP: token expired: one refresh, call retried", async {
        // the platform refuses the token once, as it does when one expires early
        let (status, v) = post_json(
            http,
            &format!("{base}/sandbox/faults"),
            &json!({"kind": "token_expired", "path": "/rest/2.0/smartapp/pay/paymentservice/dict"}),
        )
        .await?;
        if status != 201 {
            return fail(format!("arming the fault: {status} {v}"));
        }
        expect(tp.dict().await, "paymentservice/dict")?;
        let now = expect(auth.authorizer_token(TP_MINI_APP).await, "authorizer token")?;
        let counts = app_counts(http, base).await?;
        if now == first || counts["refreshes"] != 1 || counts["refresh_reuses"] != 0 {
            return fail(format!(
                "expected a new token after one refresh, got {counts}"
            ));
        }
        Ok(((), "refreshes 1, reuses 0".to_owned()))
    })
    .await?;
    let decide = |step: &'static str| {
        let http = http.clone();
        let base = base.to_owned();
        async move {
            let (status, v) = post_json(
                &http,
                &format!("{base}/sandbox/tp/audit"),
                &json!({"app_id": TP_MINI_APP, "step": step, "pass": true}),
            )
            .await?;
            if status != 200 {
                return fail(format!("audit {step}: {status} {v}"));
            }
            Ok(())
        }
    };
    let pushed = |event: TpAuditEvent| {
        let pushes = inbox.audits.clone();
        async move {
            let arrived = eventually(|| async {
                pushes
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .iter()
                    .any(|p| p.event == event)
            })
            .await;
            if arrived {
                Ok(())
            } else {
                fail(format!("no {} push arrived", event.code()))
            }
        }
    };
    d.step("TP: payment account, audited, pushed", async {
        let req = baidupay_sandbox::samples::account_request();
        expect(tp.create_account(&req).await, "pay/account/create")?;
        decide("account").await?;
        pushed(TpAuditEvent::CreateAccountPass).await?;
        Ok(((), "APP_PAYMENT_CREATE_ACCOUNT_PASS".to_owned()))
    })
    .await?;
    d.step("TP: developer config, audited, pushed", async {
        let req = baidupay_sandbox::samples::develop_config_request(
            merchant_key.public_key().to_base64(),
            merchant,
        );
        expect(tp.submit_develop_config(&req).await, "developconfig/submit")?;
        decide("develop_config").await?;
        pushed(TpAuditEvent::DevelopConfigPass).await?;
        Ok(((), "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS".to_owned()))
    })
    .await?;
    d.step("TP: payment service, audited, pushed, bound", async {
        let req = baidupay_sandbox::samples::payment_service_request();
        expect(tp.create_service(&req).await, "paymentservice/create")?;
        decide("payment_service").await?;
        pushed(TpAuditEvent::CreatePaymentPass).await?;
        let bound = expect(tp.bound_service().await, "getbindservice")?;
        if bound.open_status != OpenStatus::Approved {
            return fail(format!(
                "expected open_status 2, got {:?}",
                bound.open_status
            ));
        }
        Ok((
            (),
            format!("pmAppKey {}, dealId {}", bound.pm_app_key, bound.deal_id),
        ))
    })
    .await?;
    Ok(())
}
