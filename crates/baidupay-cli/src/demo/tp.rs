//! The third-party-platform onboarding steps of `baidupay demo`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use baidupay_crypto::PrivateKey;
use baidupay_model::tp::{OpenStatus, TpAuditEvent, TpAuditPush};
use baidupay_notify::TpEventKeys;
use baidupay_tp::TpClient;
use baidupay_transport::HyperTransport;
use bytes::Bytes;
use serde_json::json;

use super::{Demo, eventually, expect, fail, post_json, serve};
use crate::error::CliError;

const TP_MINI_APP: u64 = 16_011_111;
const TP_CLIENT_ID: &str = "demo-tp-client";

/// The TP onboarding of a mini program: authorization, then the three audited steps, each
/// decided through the sandbox and pushed to the TP's event URL.
#[allow(clippy::too_many_lines)] // one block per step, in order
pub(super) async fn tp_steps(
    d: &mut Demo,
    http: &Arc<HyperTransport>,
    base: &str,
    merchant_key: &PrivateKey,
    merchant: SocketAddr,
) -> Result<(), CliError> {
    let pushes: Arc<Mutex<Vec<TpAuditPush>>> = Arc::default();
    let keys: Arc<OnceLock<TpEventKeys>> = Arc::default();
    let tp = d
        .step("TP: authorize a mini program (event URL, token)", async {
            let (seen, opener) = (pushes.clone(), keys.clone());
            // the audit pushes come sealed with the TP's keys: opened, verified, typed
            let router = axum::Router::new()
                .route(
                    "/events",
                    axum::routing::post(move |body: Bytes| {
                        let (seen, opener) = (seen.clone(), opener.clone());
                        async move {
                            let Some(keys) = opener.get() else {
                                return "fail";
                            };
                            match baidupay_notify::tp::parse_audit_push(keys, &body) {
                                Ok(push) => {
                                    seen.lock()
                                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                                        .push(push);
                                    baidupay_notify::tp::TP_ACK
                                }
                                Err(_) => "fail",
                            }
                        }
                    }),
                )
                // ticket pushes and authorization events: acknowledged, not needed here
                .route(
                    "/auth",
                    axum::routing::post(|| async { baidupay_notify::tp::TP_ACK }),
                );
            let addr = serve(router).await?;
            let (status, v) = post_json(
                http,
                &format!("{base}/sandbox/tp/platforms"),
                &json!({"client_id": TP_CLIENT_ID, "token": "demo-tp-token", "tp_app_id": 888,
                        "auth_event_url": format!("http://{addr}/auth"),
                        "event_url": format!("http://{addr}/events")}),
            )
            .await?;
            let Some(aes_key) = v["aes_key"].as_str().filter(|_| status == 201) else {
                return fail(format!("expected 201 with an aes_key, got {status}: {v}"));
            };
            let opened = expect(
                TpEventKeys::new("demo-tp-token", aes_key, TP_CLIENT_ID),
                "the TP's keys",
            )?;
            let _ = keys.set(opened);
            let (status, v) = post_json(
                http,
                &format!("{base}/sandbox/tp/apps"),
                &json!({"app_id": TP_MINI_APP, "client_id": TP_CLIENT_ID}),
            )
            .await?;
            let Some(token) = v["access_token"].as_str().filter(|_| status == 201) else {
                return fail(format!("expected 201 with a token, got {status}: {v}"));
            };
            let tp = TpClient::new(
                base,
                http.clone(),
                Arc::new(baidupay_cashier::StaticToken(baidupay_model::Secret::new(
                    token,
                ))),
            );
            Ok((tp, format!("app {TP_MINI_APP}, sealed events at {addr}")))
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
        let pushes = pushes.clone();
        async move {
            let arrived = eventually(|| async {
                pushes
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
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
