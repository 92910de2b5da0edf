//! What the sandbox's integration tests share: a plain HTTP client of its API, and a TP's
//! event receiver.

#![allow(dead_code)] // each test file uses its part

use std::sync::{Arc, Mutex};
use std::time::Duration;

use baidupay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use baidupay_transport::{HyperTransport, Settings, Transport};
use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;

pub(crate) struct Client {
    pub(crate) http: HyperTransport,
    pub(crate) base: String,
}

impl Client {
    pub(crate) async fn send(
        &self,
        method: http::Method,
        path: &str,
        json: Option<Value>,
    ) -> (u16, Value) {
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if json.is_some() {
            req = req.header(http::header::CONTENT_TYPE, "application/json");
        }
        let body = json.map_or_else(Bytes::new, |v| Bytes::from(v.to_string()));
        let answer = self.http.send(req.body(body).unwrap()).await.unwrap();
        let v = serde_json::from_slice(answer.body()).unwrap_or(Value::Null);
        (answer.status().as_u16(), v)
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        self.send(http::Method::GET, path, None).await
    }

    pub(crate) async fn post_json(&self, path: &str, v: Value) -> (u16, Value) {
        self.send(http::Method::POST, path, Some(v)).await
    }

    pub(crate) async fn post_form(&self, path: &str, form: &str) -> Value {
        let req = http::Request::post(format!("{}{path}", self.base))
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(Bytes::from(form.to_owned()))
            .unwrap();
        let answer = self.http.send(req).await.unwrap();
        serde_json::from_slice(answer.body()).unwrap()
    }
}

/// The TP's two event URLs: every body POSTed to them, tagged with the path, answered
/// `success` (or `fail` while `refuse` holds a positive count).
pub(crate) struct Receiver {
    pub(crate) base: String,
    pub(crate) bodies: mpsc::UnboundedReceiver<(String, Bytes)>,
    pub(crate) refuse: Arc<Mutex<u32>>,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let (tx, bodies) = mpsc::unbounded_channel();
        let refuse = Arc::new(Mutex::new(0u32));
        let refusing = refuse.clone();
        let router = axum::Router::new().route(
            "/{which}",
            axum::routing::post(
                move |axum::extract::Path(which): axum::extract::Path<String>, body: Bytes| {
                    let (tx, refusing) = (tx.clone(), refusing.clone());
                    async move {
                        {
                            let mut r = refusing.lock().unwrap();
                            if *r > 0 {
                                *r -= 1;
                                return "fail";
                            }
                        }
                        let _ = tx.send((which, body));
                        "success"
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            base: format!("http://{addr}"),
            bodies,
            refuse,
        }
    }

    /// The next body POSTed to `/{which}` (others are skipped), within 10 s.
    pub(crate) async fn next(&mut self, which: &str) -> Bytes {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let (path, body) = self.bodies.recv().await.unwrap();
                if path == which {
                    return body;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("nothing arrived at /{which}"))
    }
}

pub(crate) async fn start(config: SandboxConfig) -> (Sandbox, RunningSandbox, Client) {
    let sandbox = Sandbox::new(config).unwrap();
    let running = sandbox.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = Client {
        // idle connections are dropped well before the server's 2 s idle timeout closes them, so
        // that a request never races the server's close on a reused connection
        http: HyperTransport::new(
            Settings::default()
                .allow_http(true)
                .pool_idle_timeout(Duration::from_secs(1)),
        )
        .unwrap(),
        base: running.base_url().to_owned(),
    };
    (sandbox, running, client)
}

/// `/rest/2.0/oauth/token` with the TP token `tp_token` and the `grant` parameters.
pub(crate) async fn oauth(c: &Client, tp_token: &str, grant: &str) -> (u16, Value) {
    c.get(&format!(
        "/rest/2.0/oauth/token?access_token={tp_token}&{grant}"
    ))
    .await
}

/// Calls `method` of the Alipay gateway as app `app_id`, signed with `key` (RSA2); the
/// `<method>_response` object.
pub(crate) async fn gateway(
    c: &Client,
    app_id: &str,
    key: &baidupay_crypto::PrivateKey,
    method: &str,
    biz: &Value,
) -> Value {
    let mut params: Vec<(String, String)> = [
        ("app_id", app_id),
        ("method", method),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", "2026-12-05 10:00:00"),
        ("version", "1.0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    params.push(("biz_content".to_owned(), biz.to_string()));
    let signed = baidupay_crypto::canonical_string(
        baidupay_crypto::Rules::Alipay,
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .unwrap();
    let sign = baidupay_crypto::Signer::new(key.clone(), baidupay_crypto::Algorithm::RsaSha256)
        .sign_base64(signed.as_bytes())
        .unwrap();
    params.push(("sign".to_owned(), sign));
    let answer = c
        .post_form(
            "/gateway.do",
            &baidupay_crypto::form::encode(params.iter().map(|(k, v)| (k, v))),
        )
        .await;
    answer[format!("{}_response", method.replace('.', "_"))].clone()
}
