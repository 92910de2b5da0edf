//! Registered third-party platforms (§3.2 steps 1-3): `POST /sandbox/tp/platforms` registers
//! one and starts its ticket pushes (sealed, every `tp_ticket_interval`, to its
//! `auth_event_url`, retried until `success`, until the sandbox stops); the TP token
//! (`/public/2.0/smartapp/auth/tp/token`) is given for the newest ticket or the one before it;
//! the TP token buys pre-auth codes (`/rest/2.0/smartapp/tp/createpreauthcode`).

use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use baidupay_model::Secret;
use baidupay_notify::TpEventKeys;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::callback::CallbackKind;
use crate::deliver;
use crate::random;
use crate::request::{absolute_url, json_id, params};
use crate::respond::{
    bad_request, control_error, expired_token, invalid_token, json_response, ok, store_failed,
};
use crate::state::Inner;
use crate::state::tp::{Chain, Issued, Platform, Ticket, Tickets};
use crate::store::{Change, IssuedKind, IssuedRow, TicketsRow};
use crate::sync::{Unpoisoned, lock, values};
use crate::tp::common::sealed;

/// How long a TP access token lives (the platform's month).
pub(crate) const TP_TOKEN_LIFETIME: Duration = Duration::from_secs(2_592_000);
/// How long a pre-auth code lives.
pub(crate) const PRE_AUTH_CODE_LIFETIME: Duration = Duration::from_secs(1200);
/// The scope of a TP access token.
const TP_SCOPE: &str = "smartapp_tp_smtapp_common public";

/// `auth/tp/token` errno: `client_id` or `ticket` missing.
const ERRNO_MISSING: i64 = 40001;
/// `auth/tp/token` errno: no platform registered with this `client_id`.
const ERRNO_CLIENT: i64 = 40002;
/// `auth/tp/token` errno: the ticket is unknown or too old.
const ERRNO_TICKET: i64 = 40003;

/// A failed `auth/tp/token`: `{"errno", "msg"}` (HTTP 200).
fn token_refused(code: i64, msg: &str) -> Response {
    json_response(StatusCode::OK, &json!({"errno": code, "msg": msg}))
}

/// The registration as `POST /sandbox/tp/platforms` answers it.
fn registration(p: &Platform) -> Value {
    json!({
        "client_id": p.client_id,
        "tp_app_id": p.tp_app_id,
        "token": p.token.expose(),
        "aes_key": p.aes_key.expose(),
        "auth_event_url": p.auth_event_url,
        "event_url": p.event_url,
    })
}

/// `POST /sandbox/tp/platforms`: registers a TP and pushes it a first ticket at once.
pub(crate) async fn register(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (Some(client_id), Some(token)) = (text("client_id"), text("token")) else {
        return bad_request("client_id and token (non-empty strings) are required");
    };
    let aes_key = match v.get("aes_key") {
        None | Some(Value::Null) => random::aes_key(),
        Some(Value::String(k)) => k.clone(),
        Some(_) => return bad_request("aes_key must be a string"),
    };
    let (Some(auth_event_url), Some(event_url)) = (
        text("auth_event_url").filter(|u| absolute_url(u)),
        text("event_url").filter(|u| absolute_url(u)),
    ) else {
        return bad_request("auth_event_url and event_url must be absolute http(s) URLs");
    };
    let keys = match TpEventKeys::new(token, &aes_key, client_id) {
        Ok(keys) => keys,
        Err(e) => return bad_request(format!("aes_key: {e}")),
    };
    let tp_app_id = json_id(&v, "tp_app_id").unwrap_or(10_000_000 + inner.next_id() % 90_000_000);
    let platform = Arc::new(Platform {
        client_id: client_id.to_owned(),
        tp_app_id,
        token: Secret::new(token),
        aes_key: Secret::new(aes_key),
        keys,
        auth_event_url: auth_event_url.to_owned(),
        event_url: event_url.to_owned(),
    });
    {
        let mut platforms = inner.tp.platforms.write_or_recover();
        if platforms.contains_key(client_id) {
            return control_error(
                StatusCode::CONFLICT,
                format!("platform {client_id} is already registered"),
            );
        }
        if let Err(e) = inner.store(&[Change::Platform(platform.row())]) {
            return store_failed(&e);
        }
        platforms.insert(client_id.to_owned(), platform.clone());
    }
    spawn_tickets(&inner, platform.clone(), Duration::ZERO);
    json_response(StatusCode::CREATED, &registration(&platform))
}

/// `GET /sandbox/tp/platforms/{client_id}`: the registration, how many tickets were pushed and
/// the mini programs authorized for it.
pub(crate) async fn show(
    State(inner): State<Arc<Inner>>,
    Path(client_id): Path<String>,
) -> Response {
    let Some(p) = inner.tp.platform(&client_id) else {
        return control_error(StatusCode::NOT_FOUND, format!("no platform {client_id}"));
    };
    let pushed = lock(&inner.tp.chain)
        .tickets
        .get(&client_id)
        .map_or(0, |t| t.pushed);
    let mut apps: Vec<u64> = inner
        .tp
        .programs
        .read_or_recover()
        .values()
        .filter(|a| {
            a.platform
                .as_ref()
                .is_some_and(|x| x.client_id == client_id)
        })
        .map(|a| a.app_id)
        .collect();
    apps.sort_unstable();
    let mut v = registration(&p);
    v["tickets_pushed"] = json!(pushed);
    v["apps"] = json!(apps);
    json_response(StatusCode::OK, &v)
}

/// `POST /sandbox/tp/platforms/{client_id}/ticket`: pushes a fresh ticket now (the previous
/// newest becomes the previous one) and answers once it was acknowledged or given up.
pub(crate) async fn push_now(
    State(inner): State<Arc<Inner>>,
    Path(client_id): Path<String>,
) -> Response {
    let Some(p) = inner.tp.platform(&client_id) else {
        return control_error(StatusCode::NOT_FOUND, format!("no platform {client_id}"));
    };
    let acknowledged = push_ticket(&inner, &p).await;
    json_response(StatusCode::OK, &json!({"acknowledged": acknowledged}))
}

/// The tickets of `client_id` as stored.
fn tickets_row(inner: &Inner, client_id: &str, t: &Tickets) -> Change {
    let row = |x: &Option<Ticket>| {
        x.as_ref()
            .map(|x| (x.value.clone(), inner.unix_at(x.issued)))
    };
    Change::Tickets(TicketsRow {
        client_id: client_id.to_owned(),
        latest: row(&t.latest),
        previous: row(&t.previous),
        pushed: t.pushed,
    })
}

/// Makes a fresh ticket the platform's newest and pushes it; whether it was acknowledged. A
/// ticket that cannot be stored is not pushed (logged): the TP would hold a ticket that a
/// restart forgets.
async fn push_ticket(inner: &Arc<Inner>, p: &Platform) -> bool {
    let ticket = random::hex128();
    let now = inner.now_unix();
    {
        let mut chain = lock(&inner.tp.chain);
        let mut t = chain.tickets.get(&p.client_id).cloned().unwrap_or_default();
        t.rotate(Secret::new(ticket.clone()), inner.config.clock.now());
        if inner
            .store(&[tickets_row(inner, &p.client_id, &t)])
            .is_err()
        {
            return false;
        }
        chain.tickets.insert(p.client_id.clone(), t);
    }
    let message = json!({
        "Ticket": ticket,
        "FromUserName": "SmartAPP",
        "CreateTime": now.to_string(),
        "MsgType": "ticket",
        "Event": "push",
    });
    let Some(body) = sealed(inner, p, &message) else {
        return false;
    };
    deliver::deliver(
        inner.clone(),
        CallbackKind::TpTicket,
        p.client_id.clone(),
        p.auth_event_url.clone(),
        body,
    )
    .await
    .is_some()
}

/// Starts the ticket pushes of every registered platform (a started or restarted sandbox),
/// continuing the interval schedule: a push now if one is due (or none was pushed yet), else
/// when the newest ticket is `tp_ticket_interval` old.
pub(crate) fn resume_tickets(inner: &Arc<Inner>) {
    let now = inner.config.clock.now();
    for p in values(&inner.tp.platforms) {
        let due = lock(&inner.tp.chain)
            .tickets
            .get(&p.client_id)
            .and_then(|t| t.latest.as_ref())
            .map_or(Duration::ZERO, |t| {
                (t.issued + inner.config.tp_ticket_interval).saturating_duration_since(now)
            });
        spawn_tickets(inner, p, due);
    }
}

/// Pushes `p` a ticket after `first` and then every `tp_ticket_interval` after the previous
/// push was acknowledged or given up, until this serving generation ends (the sandbox stops)
/// or the sandbox is dropped.
fn spawn_tickets(inner: &Arc<Inner>, p: Arc<Platform>, first: Duration) {
    let weak = Arc::downgrade(inner);
    let mut serving = inner.serving.subscribe();
    let generation = *serving.borrow_and_update();
    let interval = inner.config.tp_ticket_interval;
    tokio::spawn(async move {
        if first > Duration::ZERO {
            tokio::select! {
                () = tokio::time::sleep(first) => {}
                () = stopped(&mut serving, generation) => return,
            }
        }
        loop {
            if !run_until_stopped(&weak, &mut serving, generation, &p).await {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = stopped(&mut serving, generation) => return,
            }
        }
    });
}

/// One ticket push, abandoned when the generation ends; false when the pushes must end.
async fn run_until_stopped(
    weak: &Weak<Inner>,
    serving: &mut watch::Receiver<u64>,
    generation: u64,
    p: &Platform,
) -> bool {
    let Some(inner) = weak.upgrade() else {
        return false;
    };
    tokio::select! {
        _ = push_ticket(&inner, p) => true,
        () = stopped(serving, generation) => false,
    }
}

/// Resolves when the serving generation is no longer `generation` (or the sandbox is gone).
pub(crate) async fn stopped(serving: &mut watch::Receiver<u64>, generation: u64) {
    while *serving.borrow_and_update() == generation {
        if serving.changed().await.is_err() {
            return;
        }
    }
}

/// A TP access token or pre-auth code as stored.
pub(crate) fn issued_row(inner: &Inner, kind: IssuedKind, value: &str, i: &Issued) -> Change {
    Change::Issued(IssuedRow {
        kind,
        value: Secret::new(value),
        client_id: i.client_id.clone(),
        expires_at: inner.unix_at(i.expires),
        used: i.used,
    })
}

/// Issues `value` (a TP token or a pre-auth code) to `client_id`, stored first.
///
/// # Errors
/// Why it could not be stored (nothing issued).
fn issue(
    inner: &Inner,
    chain: &mut Chain,
    kind: IssuedKind,
    value: &str,
    client_id: &str,
) -> Result<(), String> {
    let (lifetime, map) = match kind {
        IssuedKind::TpToken => (TP_TOKEN_LIFETIME, &mut chain.tp_tokens),
        IssuedKind::PreAuthCode => (PRE_AUTH_CODE_LIFETIME, &mut chain.pre_auth_codes),
    };
    let issued = Issued {
        client_id: client_id.to_owned(),
        expires: inner.deadline(lifetime),
        used: false,
    };
    inner.store(&[issued_row(inner, kind, value, &issued)])?;
    map.insert(value.to_owned(), issued);
    Ok(())
}

/// The platform of a TP access token: the gateway's 110 when unknown, 111 when expired.
pub(crate) fn tp_client(
    inner: &Inner,
    chain: &Chain,
    token: &str,
) -> Result<String, Box<Response>> {
    let Some(t) = chain.tp_tokens.get(token) else {
        return Err(Box::new(invalid_token()));
    };
    if inner.passed(t.expires) {
        return Err(Box::new(expired_token()));
    }
    Ok(t.client_id.clone())
}

/// `GET /public/2.0/smartapp/auth/tp/token?client_id=&ticket=`: a TP access token for the
/// newest ticket, or the one before it while it is younger than twice `tp_ticket_interval`.
pub(crate) async fn tp_token(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), None);
    let get = |k: &str| p.get(k).map(String::as_str).filter(|s| !s.is_empty());
    let (Some(client_id), Some(ticket)) = (get("client_id"), get("ticket")) else {
        return token_refused(ERRNO_MISSING, "client_id and ticket are required");
    };
    if !inner.tp.platforms.read_or_recover().contains_key(client_id) {
        return token_refused(
            ERRNO_CLIENT,
            "invalid client_id: no such third-party platform",
        );
    }
    let token = random::token("42");
    {
        let mut chain = lock(&inner.tp.chain);
        let now = inner.config.clock.now();
        if !chain.ticket_accepted(client_id, ticket, now, inner.config.tp_ticket_interval) {
            return token_refused(
                ERRNO_TICKET,
                "invalid ticket: unknown, or superseded and older than twice the push interval",
            );
        }
        if let Err(e) = issue(&inner, &mut chain, IssuedKind::TpToken, &token, client_id) {
            return store_failed(&e);
        }
    }
    ok(json!({
        "access_token": token,
        "expires_in": TP_TOKEN_LIFETIME.as_secs(),
        "scope": TP_SCOPE,
    }))
}

/// `GET /rest/2.0/smartapp/tp/createpreauthcode?access_token=<TP token>`: a single-use
/// pre-auth code living 1200 s.
pub(crate) async fn pre_auth_code(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), None);
    let token = p.get("access_token").map(String::as_str).unwrap_or("");
    let code = random::hex128();
    {
        let mut chain = lock(&inner.tp.chain);
        let client_id = match tp_client(&inner, &chain, token) {
            Ok(c) => c,
            Err(refused) => return *refused,
        };
        if let Err(e) = issue(
            &inner,
            &mut chain,
            IssuedKind::PreAuthCode,
            &code,
            &client_id,
        ) {
            return store_failed(&e);
        }
    }
    ok(json!({"pre_auth_code": code, "expires_in": PRE_AUTH_CODE_LIFETIME.as_secs()}))
}
