//! Test doubles shared by the token-chain tests: a scripted fake transport that records every
//! request with its idempotency mark, and seeding helpers.

#![allow(dead_code, unreachable_pub)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baidupay_model::Secret;
use baidupay_tp::TpAuth;
use baidupay_tp::store::{TokenKey, TokenStore, Tokens};
use baidupay_transport::{ErrorKind, ManualClock, Transport, TransportError, is_idempotent};
use bytes::Bytes;
use http::{Request, Response};

pub const BASE: &str = "https://openapi.baidu.com";
pub const NOW: i64 = 1_700_000_000;
pub const APP: u64 = 7;

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub path: String,
    /// Sorted `(name, value)` pairs (the test values need no decoding).
    pub query: Vec<(String, String)>,
    pub idempotent: bool,
}

impl Seen {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A canned answer.
#[derive(Debug, Clone)]
pub enum Answer {
    Json(&'static str),
    Fail(ErrorKind),
}

/// Answers each path from its own queue (a path whose queue is empty gets HTTP 500), after
/// `delay`, and records every request.
#[derive(Debug, Default)]
pub struct Fake {
    delay: Duration,
    answers: Mutex<HashMap<String, VecDeque<Answer>>>,
    seen: Mutex<Vec<Seen>>,
}

impl Fake {
    pub fn new(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    pub fn on(self, path: &str, answer: Answer) -> Self {
        self.answers
            .lock()
            .unwrap()
            .entry(path.to_owned())
            .or_default()
            .push_back(answer);
        self
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }
}

#[async_trait::async_trait]
impl Transport for Fake {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        let mut query: Vec<(String, String)> = request
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        query.sort();
        let path = request.uri().path().to_owned();
        self.seen.lock().unwrap().push(Seen {
            path: path.clone(),
            query,
            idempotent: is_idempotent(&request),
        });
        let answer = self
            .answers
            .lock()
            .unwrap()
            .get_mut(&path)
            .and_then(VecDeque::pop_front);
        tokio::time::sleep(self.delay).await;
        match answer {
            Some(Answer::Json(body)) => Ok(Response::new(Bytes::from_static(body.as_bytes()))),
            Some(Answer::Fail(kind)) => Err(TransportError::new(kind, "scripted failure")),
            None => Ok(Response::builder()
                .status(500)
                .body(Bytes::from_static(b"unexpected request"))
                .unwrap()),
        }
    }
}

pub const TP_TOKEN: &str = r#"{"errno":0,"msg":"success","data":{"access_token":"42.tp","expires_in":2592000,"scope":"smartapp_tp_smtapp_common public"}}"#;
pub const REFRESHED: &str = r#"{"access_token":"45.a2","refresh_token":"46.r2","expires_in":3600}"#;

/// A chain on `store` whose TP token and mini program `APP`'s tokens (`45.a1`/`46.r1`, version
/// 1) are stored and expire in an hour.
pub async fn seeded(
    transport: Arc<dyn Transport>,
    store: Arc<dyn TokenStore>,
    clock: Arc<ManualClock>,
) -> TpAuth {
    store.set_ticket(&Secret::new("TICKET")).await.unwrap();
    store
        .put(
            TokenKey::Component,
            &Tokens::new(Secret::new("42.tp"), None, NOW + 2_592_000),
        )
        .await
        .unwrap();
    store
        .put(
            TokenKey::Authorizer(APP),
            &Tokens::new(Secret::new("45.a1"), Some(Secret::new("46.r1")), NOW + 3600),
        )
        .await
        .unwrap();
    TpAuth::new("TPKEY", BASE, transport, store, clock)
}

/// The stored authorizer record of `APP`: (access, refresh, version).
pub async fn stored(store: &dyn TokenStore) -> (String, String, u64) {
    let r = store
        .load(TokenKey::Authorizer(APP))
        .await
        .unwrap()
        .unwrap();
    (
        r.tokens.access_token.expose().to_owned(),
        r.tokens
            .refresh_token
            .as_ref()
            .map(|s| s.expose().to_owned())
            .unwrap_or_default(),
        r.version,
    )
}
