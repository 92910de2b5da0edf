//! Whatever a client sends, the sandbox answers with an HTTP status (never a dropped
//! connection from a panicking handler) and keeps serving.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use baidupay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use baidupay_transport::{HyperTransport, Settings, Transport};
use bytes::Bytes;
use proptest::prelude::*;

struct Served {
    runtime: tokio::runtime::Runtime,
    _running: RunningSandbox,
    base: String,
    http: HyperTransport,
}

fn served() -> &'static Served {
    static S: OnceLock<Served> = OnceLock::new();
    S.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let sandbox = Sandbox::new(SandboxConfig::default()).unwrap();
        let running = runtime
            .block_on(sandbox.start("127.0.0.1:0".parse().unwrap()))
            .unwrap();
        let base = running.base_url().to_owned();
        let http = runtime
            .block_on(async { HyperTransport::new(Settings::default().allow_http(true)) })
            .unwrap();
        Served {
            runtime,
            _running: running,
            base,
            http,
        }
    })
}

const PATHS: [&str; 14] = [
    "/gateway.do",
    "/sandbox/cashier/pay",
    "/sandbox/merchants",
    "/sandbox/alipay/apps",
    "/sandbox/alipay/pay",
    "/sandbox/tp/apps",
    "/sandbox/tp/audit",
    "/sandbox/tp/platforms",
    "/sandbox/tp/authorize",
    "/sandbox/faults",
    "/rest/2.0/smartapp/pay/paymentservice/applyOrderRefund",
    "/rest/2.0/smartapp/pay/account/create",
    "/cashier/applyOrderRefund",
    "/oauth/2.0/token",
];

fn send(path: &str, query: &str, content_type: &str, body: Vec<u8>) -> Option<u16> {
    request(http::Method::POST, path, query, content_type, body)
}

fn request(
    method: http::Method,
    path: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Option<u16> {
    let s = served();
    let uri = format!("{}{path}?{query}", s.base);
    let Ok(req) = http::Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Bytes::from(body))
    else {
        // not a valid URI: nothing can be sent (the case is skipped, not counted)
        return None;
    };
    let r = s
        .runtime
        .block_on(s.http.send(req))
        .unwrap_or_else(|e| panic!("{path}: no answer: {e}"));
    Some(r.status().as_u16())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_request_gets_an_answer(
        path in 0..PATHS.len(),
        query in "[a-zA-Z0-9_=&%+.-]{0,40}",
        json in any::<bool>(),
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            "[a-z_]{1,12}=[^&]{0,20}(&[a-z_]{1,12}=[^&]{0,20}){0,8}".prop_map(String::into_bytes),
            r#"\{"[a-z_]{1,10}": ?("[^"]{0,12}"|[0-9]{1,20}|true|null|\[\]|\{\})\}"#.prop_map(String::into_bytes),
        ],
    ) {
        let ct = if json { "application/json" } else { "application/x-www-form-urlencoded" };
        let Some(status) = send(PATHS[path], &query, ct, body) else {
            return Err(TestCaseError::reject("not a valid URI"));
        };
        prop_assert!((200..600).contains(&status));
        // and it still serves (disarming whatever a random body may have armed)
        prop_assert_eq!(
            request(http::Method::DELETE, "/sandbox/faults", "", "text/plain", Vec::new()),
            Some(200)
        );
    }
}
