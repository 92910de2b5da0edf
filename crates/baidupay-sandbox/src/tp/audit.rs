//! The TP audits: the control API that authorizes a mini program without the chain
//! (`POST /sandbox/tp/apps`, a shortcut) and decides audits (`POST /sandbox/tp/audit`), putting a submitted step under audit, deciding
//! it (by hand or after `tp_audit_delay`), pushing the event to the TP, and opening the
//! payment service as a cashier merchant when it passes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use baidupay_crypto::PublicKey;
use serde_json::{Value, json};

use crate::callback::CallbackKind;
use crate::request::{absolute_url, json_id};
use crate::respond::{bad_request, control_error, json_response, ok, store_failed};
use crate::state::tp::{Audit, Onboarding, Program, Stage, Step};
use crate::state::{Inner, Merchant};
use crate::store::Change;
use crate::sync::{Unpoisoned, lock, values};
use crate::time::beijing_time;
use crate::tp::common::{current_row, install, new_grant, owe, program_row, send};
use crate::tp::platform::stopped;

/// How long the shortcut's authorizer tokens live (no refresh token comes with them).
const SHORTCUT_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 86_400);

/// Puts `step` under audit with `fields`, unless `gate` (run under the program's lock, on its
/// state as it is) answers an error first; then, with `tp_audit_delay`, lets it pass by itself.
pub(crate) fn submit(
    inner: &Arc<Inner>,
    program: &Arc<Program>,
    step: Step,
    fields: HashMap<String, String>,
    gate: impl FnOnce(&Onboarding) -> Option<Response>,
) -> Response {
    {
        let mut s = lock(&program.state);
        if let Some(refused) = gate(&s) {
            return refused;
        }
        let mut next = s.clone();
        *next.stage_mut(step) = Some(Stage {
            audit: Audit::Pending,
            reason: String::new(),
            fields,
            submitted: inner.now_unix(),
        });
        if let Err(e) = change(inner, program, &mut s, next) {
            return store_failed(&e);
        }
    }
    if let Some(delay) = inner.config.tp_audit_delay {
        auto_pass(inner, program, step, delay);
    }
    ok(Value::Null)
}

/// Makes `next` the onboarding state of `p` (whose state `s` the caller holds), stored first.
///
/// # Errors
/// Why it could not be stored (nothing changed).
pub(crate) fn change(
    inner: &Inner,
    p: &Program,
    s: &mut Onboarding,
    next: Onboarding,
) -> Result<(), String> {
    inner.store(&[current_row(inner, p, &next)?])?;
    *s = next;
    Ok(())
}

/// `POST /sandbox/tp/apps`: the shortcut that authorizes a mini program without the chain and
/// hands out a 30-day authorizer token.
pub(crate) async fn authorize_app(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(app_id) = json_id(&v, "app_id") else {
        return bad_request("app_id (a number) is required");
    };
    let (tp_app_id, event_url, platform) = match v.get("client_id").and_then(Value::as_str) {
        Some(client_id) => {
            let Some(pl) = inner.tp.platform(client_id) else {
                return control_error(
                    StatusCode::NOT_FOUND,
                    format!("no registered platform {client_id}"),
                );
            };
            (pl.tp_app_id, pl.event_url.clone(), Some(pl))
        }
        None => {
            let Some(tp_app_id) = json_id(&v, "tp_app_id") else {
                return bad_request(
                    "client_id (a registered platform) or tp_app_id (a number) and event_url are required",
                );
            };
            let Some(event_url) = v
                .get("event_url")
                .and_then(Value::as_str)
                .filter(|u| absolute_url(u))
            else {
                return bad_request("event_url must be an absolute http(s) URL");
            };
            (tp_app_id, event_url.to_owned(), None)
        }
    };
    let client_id = platform.as_ref().map(|p| p.client_id.clone());
    let program = Arc::new(Program {
        app_id,
        tp_app_id,
        event_url,
        platform,
        token: Mutex::default(),
        state: Mutex::default(),
    });
    let (token, expires) = new_grant(&inner, SHORTCUT_TOKEN_LIFETIME);
    {
        let mut programs = inner.tp.programs.write_or_recover();
        if programs.contains_key(&app_id) {
            return control_error(
                StatusCode::CONFLICT,
                format!("mini program {app_id} is already authorized"),
            );
        }
        let state = lock(&program.state);
        let stored = program_row(&inner, &program, &state, &token, Some(expires))
            .and_then(|row| inner.store(&[row]));
        if let Err(e) = stored {
            return store_failed(&e);
        }
        install(&inner, &program, &state, &token, expires);
        drop(state);
        programs.insert(app_id, program.clone());
    }
    json_response(
        StatusCode::CREATED,
        &json!({"app_id": app_id, "tp_app_id": tp_app_id, "client_id": client_id,
                "access_token": token.expose(), "expires_in": SHORTCUT_TOKEN_LIFETIME.as_secs()}),
    )
}

pub(crate) async fn decide(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let app_id = json_id(&v, "app_id");
    let step = v.get("step").and_then(Value::as_str).and_then(Step::parse);
    let (Some(app_id), Some(step), Some(pass)) =
        (app_id, step, v.get("pass").and_then(Value::as_bool))
    else {
        return bad_request(
            "app_id, step (account, develop_config, payment_service) and pass are required",
        );
    };
    let reason = v
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or(if pass { "" } else { "资料不符合要求" })
        .to_owned();
    let Some(p) = inner.tp.programs.read_or_recover().get(&app_id).cloned() else {
        return control_error(StatusCode::NOT_FOUND, format!("no mini program {app_id}"));
    };
    match settle(&inner, &p, step, pass, &reason) {
        Ok(()) => json_response(StatusCode::OK, &json!({"event": step.event(pass)})),
        Err(Unsettled::Refused(why)) => control_error(StatusCode::CONFLICT, why),
        Err(Unsettled::NotStored(why)) => store_failed(&why),
    }
}

/// Why an audit was not decided.
enum Unsettled {
    /// Not under audit, or the service cannot open.
    Refused(String),
    /// The decision could not be stored (nothing changed).
    NotStored(String),
}

/// Decides an audit under way and pushes the event (stored with the decision).
fn settle(
    inner: &Arc<Inner>,
    p: &Arc<Program>,
    step: Step,
    pass: bool,
    reason: &str,
) -> Result<(), Unsettled> {
    let push = json!({
        "appId": p.app_id,
        "tpAppId": p.tp_app_id,
        "eventTime": beijing_time(inner.now_unix()),
        "event": step.event(pass),
        "reason": if pass { Value::Null } else { Value::String(reason.to_owned()) },
    });
    let push = match push {
        Value::Object(mut o) => {
            o.retain(|_, v| !v.is_null());
            Value::Object(o)
        }
        other => other,
    };
    let owed = {
        let mut s = lock(&p.state);
        let mut next = s.clone();
        let Some(stage) = next
            .stage_mut(step)
            .as_mut()
            .filter(|st| st.audit == Audit::Pending)
        else {
            return Err(Unsettled::Refused(format!("{step:?} is not under audit")));
        };
        stage.audit = if pass { Audit::Passed } else { Audit::Rejected };
        stage.reason = reason.to_owned();
        let opened = if step == Step::PaymentService && pass {
            Some(open_service(inner, p, &mut next).map_err(Unsettled::Refused)?)
        } else {
            None
        };
        let owed = owe(
            inner,
            CallbackKind::TpAudit,
            p.app_id.to_string(),
            p.event_url.clone(),
            p.platform.as_deref(),
            &push,
        );
        let mut changes = vec![current_row(inner, p, &next).map_err(Unsettled::NotStored)?];
        changes.extend(opened.as_ref().map(|m| Change::Merchant(m.row())));
        changes.extend(owed.clone().map(Change::Owed));
        inner.store(&changes).map_err(Unsettled::NotStored)?;
        *s = next;
        if let Some(merchant) = opened {
            serve_as_merchant(inner, p, merchant);
        }
        owed
    };
    send(inner, owed);
    Ok(())
}

/// The payment service passed: the cashier merchant the mini program becomes (its ids set in
/// `s`), to store with the decision; [`serve_as_merchant`] puts it in place once the decision is stored too.
fn open_service(inner: &Inner, p: &Program, s: &mut Onboarding) -> Result<Arc<Merchant>, String> {
    let Some(config) = s.config.as_ref() else {
        return Err("no developer config".into());
    };
    let field = |k: &str| config.fields.get(k).cloned().unwrap_or_default();
    let key = PublicKey::parse(field("tp_public_key").as_bytes())
        .map_err(|e| format!("tp_public_key: {e}"))?;
    let (notify_url, refund_audit_url, refund_notify_url) = (
        field("pay_notify_url"),
        field("refund_audit_url"),
        field("refund_succ_url"),
    );
    if s.pm_app_key.is_none() {
        s.pm_app_key = Some(format!("MMMtp{}", p.app_id));
        s.deal_id = 400_000_000 + inner.next_id() % 100_000_000;
        s.pm_app_id = 10_000 + inner.next_id() % 90_000;
    }
    let app_key = s.pm_app_key.clone().unwrap_or_default();
    let merchant = Arc::new(Merchant {
        app_key,
        deal_id: s.deal_id,
        app_id: s.pm_app_id,
        client_id: format!("tp-{}", p.app_id),
        client_secret: baidupay_model::Secret::new(crate::random::hex128()),
        key,
        notify_url,
        refund_audit_url,
        refund_notify_url,
        book: Mutex::default(),
    });
    Ok(merchant)
}

/// The opened payment service answers: `merchant` is a cashier merchant (the first one stays
/// when the service opens again) and the mini program's token calls for it.
fn serve_as_merchant(inner: &Inner, p: &Program, merchant: Arc<Merchant>) {
    let app_key = merchant.app_key.clone();
    inner
        .merchants
        .write_or_recover()
        .entry(app_key.clone())
        .or_insert(merchant);
    let token = lock(&p.token);
    if let Some(t) = lock(&inner.tokens).get_mut(token.expose())
        && !t.app_keys.contains(&app_key)
    {
        t.app_keys.push(app_key);
    }
}

/// The audit of `step` passes by itself `delay` after it was submitted, unless it was decided
/// before or this serving generation ends first (the next start arms it again: see
/// [`resume_audits`]).
fn auto_pass(inner: &Arc<Inner>, p: &Arc<Program>, step: Step, delay: Duration) {
    let (weak, p) = (Arc::downgrade(inner), p.clone());
    let mut serving = inner.serving.subscribe();
    let generation = *serving.borrow_and_update();
    tokio::spawn(async move {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stopped(&mut serving, generation) => return,
        }
        if let Some(inner) = weak.upgrade() {
            // already decided explicitly: nothing to do
            let _ = settle(&inner, &p, step, true, "");
        }
    });
}

/// With `tp_audit_delay`, arms the audits under way (a started or restarted sandbox): each
/// passes `tp_audit_delay` after it was submitted, at once when that is past.
pub(crate) fn resume_audits(inner: &Arc<Inner>) {
    let Some(delay) = inner.config.tp_audit_delay else {
        return;
    };
    let now = inner.config.clock.now();
    for p in values(&inner.tp.programs) {
        let pending: Vec<(Step, i64)> = {
            let s = lock(&p.state);
            Step::ALL
                .into_iter()
                .filter_map(|step| {
                    s.stage(step)
                        .filter(|st| st.audit == Audit::Pending)
                        .map(|st| (step, st.submitted))
                })
                .collect()
        };
        for (step, submitted) in pending {
            let due = inner.instant_at(submitted) + delay;
            auto_pass(inner, &p, step, due.saturating_duration_since(now));
        }
    }
}
