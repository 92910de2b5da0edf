//! The vectors of alipay-jsapi.md section 8 through the client: request signing (8.1, R-3 byte
//! for byte), real Alipay-signed responses (8.2, error responses included), the extractor cases
//! (8.3) and certificate serial numbers (8.5); plus the key mix-ups the configuration refuses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use baidupay_alipay::{AlipayClient, AlipayConfig, AlipayError, ConfigError};
use baidupay_crypto::{PrivateKey, PublicKey};
use baidupay_model::AlipayAppId;
use baidupay_model::alipay::{Buyer, SubCode, TradeCreate};
use baidupay_model::{OutTradeNo, Yuan};
use baidupay_transport::ManualClock;
use baidupay_transport::replay::ReplayTransport;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn text(path: &str) -> String {
    String::from_utf8(fixture(path)).unwrap()
}

fn app_id() -> AlipayAppId {
    AlipayAppId::new("2021000122671080").unwrap()
}

/// A client whose app key is `app` and whose Alipay public key is `alipay`.
fn client(app: &str, alipay: &[u8]) -> AlipayClient {
    let config = AlipayConfig::from_keys(app_id(), fixture(app), alipay)
        .unwrap()
        .notify_url("https://api.example.com/alipay/notify")
        .clock(Arc::new(ManualClock::new(1_715_593_760))); // 2024-05-13 17:49:20 UTC+8
    AlipayClient::new(config, Arc::new(ReplayTransport::default()))
}

const R3_SIGN: &str = "PIhyKRPh846vSA1sx6qNeDAgD8bKAVGrJ/CBzAI5Us+5NZuuBSamd8oZPdrb+aAMcvUglVt0rgsmV0Pqn00CvKePLUgwCSq4Ezm2EcPolVaYasn1cnk/6ZqBqDUVWp0yISb5DQ06EP8Re+qahiAesSXL/HQY3vYrkMNumQnKCorqSg87ABRJMyYRbI5r5cG3hAYG+uoLOsJ9d0YAZdg/IilodXxzdhfh4upsJEAMxaWmsnTE1PUjT8u0Tp2MGhp8FMw85gjAAlqvIkQDlitWMEb4Za+n60ZRbB5bkJ/uVZ9Od5W2KG0dS4Ul7sDoXIrAJXFDG1c12xkyjKPtQojr1Q==";

#[test]
fn r3_trade_create_is_signed_byte_for_byte() {
    let c = client(
        "node_app-private-key.pem",
        &fixture("node_alipay-public-key.pem"),
    );
    let order = TradeCreate::new(
        OutTradeNo::new("20240513000001").unwrap(),
        "88.88".parse::<Yuan>().unwrap(),
        "测试商品",
        Buyer::OpenId("074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5".into()),
    )
    .unwrap()
    .op_app_id("2021000122671080");
    let p = c.prepare(&order).unwrap();
    let expected = text("jsapi_content.txt");
    assert_eq!(p.canonical_string(), expected.trim_end_matches('\n'));
    let sign = p.params().iter().find(|(k, _)| *k == "sign").unwrap();
    assert_eq!(sign.1, R3_SIGN);
    assert_eq!(
        p.biz_content().unwrap(),
        r#"{"out_trade_no":"20240513000001","total_amount":"88.88","subject":"测试商品","product_code":"JSAPI_PAY","op_app_id":"2021000122671080","buyer_open_id":"074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5"}"#
    );
    // on the wire: common parameters (charset included) and sign in the query, biz_content in
    // the body, `+` and `/` of the signature percent-encoded
    let req = p.to_http().unwrap();
    let query = req.uri().query().unwrap();
    assert!(query.contains("charset=utf-8"));
    assert!(query.contains("timestamp=2024-05-13+17%3A49%3A20"));
    assert!(query.contains("sign=PIhyKRPh846vSA1sx6qNeDAgD8bKAVGrJ%2FCBzAI5Us%2B5"));
    assert!(!query.contains("biz_content"));
    let body = std::str::from_utf8(req.body()).unwrap();
    assert!(body.starts_with("biz_content=%7B%22out_trade_no%22%3A%2220240513000001%22"));
    assert_eq!(
        req.headers()["content-type"],
        "application/x-www-form-urlencoded;charset=utf-8"
    );
    // trade.create is never marked for automatic resending
    assert!(!baidupay_transport::is_idempotent(&req));
}

async fn verify(c: &AlipayClient, method: &'static str, body: &str) -> Result<String, AlipayError> {
    c.verify_body(method, body).await.map(|v| v.content)
}

#[tokio::test]
async fn real_alipay_responses_verify_error_responses_included() {
    // V-1: a success response
    let c = client(
        "node_app-private-key.pem",
        &fixture("node_alipay-public-key.pem"),
    );
    let v1 = verify(&c, "alipay.open.file.upload", &text("responses/v1.json"))
        .await
        .unwrap();
    assert_eq!(
        v1,
        r#"{"code":"10000","msg":"Success","file_id":"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr"}"#
    );
    // V-2: a signed business error with Chinese and &amp;: verified, then typed
    let v2 = c
        .verify_body(
            "alipay.security.risk.content.analyze",
            &text("responses/v2.json"),
        )
        .await
        .unwrap();
    let err = v2
        .check("alipay.security.risk.content.analyze")
        .unwrap_err();
    assert_eq!(err.sub_code(), Some(&SubCode::InvalidSignature));
    let msg = err.to_string();
    assert!(msg.contains("40002") && msg.contains("hint:"), "{msg}");
    // V-3: another key, a 40003
    let c3 = client(
        "node_app-private-key.pem",
        &fixture("node_alipay_stable_rsa2_public_key.pem"),
    );
    let v3 = c3
        .verify_body(
            "alipay.security.risk.content.analyze",
            &text("responses/v3.json"),
        )
        .await
        .unwrap();
    assert_eq!(
        v3.check("alipay.security.risk.content.analyze")
            .unwrap_err()
            .sub_code(),
        Some(&SubCode::DecryptionError)
    );
    // the same body checked against the wrong key is refused
    assert!(matches!(
        verify(
            &c,
            "alipay.security.risk.content.analyze",
            &text("responses/v3.json")
        )
        .await,
        Err(AlipayError::BadSignature { .. })
    ));
    // V-4: a real trade response, wrapped in its envelope
    let c4 = client(
        "node_app-private-key.pem",
        &fixture("gopay_v4_alipay_public_key.txt"),
    );
    let content = text("responses/v4-content.json");
    let content = content.trim_end();
    let body = format!(
        r#"{{"alipay_trade_pay_response":{content},"sign":"{}"}}"#,
        text("responses/v4-sign.b64").trim()
    );
    assert_eq!(
        verify(&c4, "alipay.trade.pay", &body).await.unwrap(),
        content
    );
}

#[tokio::test]
async fn extractor_vectors_x1_x2_x3() {
    // signed with K-NODE: here K-NODE's public key plays the Alipay key
    let c = client(
        "fz_app_private_key.pem",
        &fixture("node_app-public-key.pem"),
    );
    let x1 = verify(&c, "alipay.trade.create", &text("responses/x1.json"))
        .await
        .unwrap();
    assert!(x1.starts_with(r#"{"code":"10000""#));
    // escapes and braces inside strings: verifies on the raw bytes...
    let x2_body = text("responses/x2.json");
    let x2 = verify(&c, "alipay.trade.query", &x2_body).await.unwrap();
    assert!(x2.contains(r#""ext_infos":"{\"k\":\"}{\\\"\"}""#));
    assert!(x2.contains(r#"https:\/\/qr.alipay.com\/bax01"#));
    // ...and not after re-serialization (what labrador and yansongda do)
    let parsed: serde_json::Value = serde_json::from_str(&x2_body).unwrap();
    let reserialized = format!(
        r#"{{"alipay_trade_query_response":{},"sign":{}}}"#,
        parsed["alipay_trade_query_response"], parsed["sign"]
    );
    assert!(matches!(
        verify(&c, "alipay.trade.query", &reserialized).await,
        Err(AlipayError::BadSignature { .. })
    ));
    // X-3: the cert-mode envelope (alipay_cert_sn between the response and the sign)
    let x3 = c
        .verify_body("alipay.trade.create", &text("responses/x3.json"))
        .await
        .unwrap();
    assert_eq!(x3.content, x1);
    assert_eq!(
        x3.alipay_cert_sn.as_deref(),
        Some("7513daaaa48aa3ba2e4018d84402479c")
    );
}

#[tokio::test]
async fn a_response_signed_over_slashes_verifies_when_delivered_with_escaped_slashes() {
    // the Java SDK's fallback: the content was signed with `/`, a proxy wrote `\/`
    let app = PrivateKey::generate(2048).unwrap();
    let alipay = PrivateKey::generate(2048).unwrap();
    let signer =
        baidupay_crypto::Signer::new(alipay.clone(), baidupay_crypto::Algorithm::RsaSha256);
    let signed = r#"{"code":"10000","msg":"Success","qr_code":"https://qr.alipay.com/x"}"#;
    let sent = signed.replace('/', "\\/");
    let sig = signer.sign_base64(signed.as_bytes()).unwrap();
    let body = format!(r#"{{"alipay_trade_query_response":{sent},"sign":"{sig}"}}"#);
    let config = AlipayConfig::new(app_id(), app, alipay.public_key().clone()).unwrap();
    let c = AlipayClient::new(config, Arc::new(ReplayTransport::default()));
    assert_eq!(
        c.verify_body("alipay.trade.query", &body)
            .await
            .unwrap()
            .content,
        sent
    );
}

#[test]
fn certificate_serial_numbers_from_the_three_files() {
    // K-JAVA's certificate is C-3; C-2 is an Alipay certificate; C-4 the root bundle
    let config = AlipayConfig::with_certificates(
        app_id(),
        PrivateKey::parse(fixture("java_prodcert_pkcs8.pem")).unwrap(),
        fixture("java_prodcert_app.crt"),
        fixture("node_alipayCertPublicKey_RSA2.crt"),
        fixture("node_alipayRootCert.crt"),
    )
    .unwrap();
    assert_eq!(
        config.cert_sns(),
        Some((
            "11b1abe5035f1498e334be6fc2d4943a",
            "687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6"
        ))
    );
    // both go into every request and its signature
    let c = AlipayClient::new(config, Arc::new(ReplayTransport::default()));
    let p = c
        .prepare_raw("alipay.trade.query", Some("{}".into()), false, true)
        .unwrap();
    assert!(p.canonical_string().starts_with(
        "alipay_root_cert_sn=687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6&app_cert_sn=11b1abe5035f1498e334be6fc2d4943a&app_id="
    ));
}

#[test]
fn key_mix_ups_are_refused_with_a_clear_message() {
    // the app's own public key configured as the Alipay public key
    let err = AlipayConfig::from_keys(
        app_id(),
        fixture("node_app-private-key.pem"),
        fixture("node_app-public-key.pem"),
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::AlipayKeyIsAppKey));
    assert!(err.to_string().contains("支付宝公钥"));
    // the private key pasted where the Alipay public key belongs
    let err = AlipayConfig::from_keys(
        app_id(),
        fixture("node_app-private-key.pem"),
        fixture("fz_app_private_key.pem"),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Key {
                what: "alipay public key",
                ..
            }
        ),
        "{err}"
    );
    // the public key pasted where the app private key belongs
    let err = AlipayConfig::from_keys(
        app_id(),
        fixture("node_app-public-key.pem"),
        fixture("node_alipay-public-key.pem"),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Key {
                what: "app private key",
                ..
            }
        ),
        "{err}"
    );
    // an app certificate that is not the private key's (C-1 with K-JAVA)
    let err = AlipayConfig::with_certificates(
        app_id(),
        PrivateKey::parse(fixture("java_prodcert_pkcs8.pem")).unwrap(),
        fixture("node_appCertPublicKey_2021001161683774.crt"),
        fixture("node_alipayCertPublicKey_RSA2.crt"),
        fixture("node_alipayRootCert.crt"),
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::AppCertMismatch));
    // the console's one-line PKCS#8 and the PKCS#1 PEM load alike: same key, same signature
    let one_line = PrivateKey::parse(fixture("java_prodcert_pkcs8.b64")).unwrap();
    let pem = PrivateKey::parse(fixture("java_prodcert_pkcs8.pem")).unwrap();
    assert_eq!(one_line.public_key().modulus(), pem.public_key().modulus());
    let alipay = PublicKey::parse(fixture("node_alipay-public-key.pem")).unwrap();
    assert!(AlipayConfig::new(app_id(), one_line, alipay).is_ok());
}

#[test]
fn a_custom_gateway_must_be_an_absolute_url() {
    let c = |g| {
        AlipayConfig::from_keys(
            app_id(),
            fixture("node_app-private-key.pem"),
            fixture("node_alipay-public-key.pem"),
        )
        .unwrap()
        .gateway(g)
    };
    assert!(c(baidupay_alipay::Gateway::Custom("gateway.do".into())).is_err());
    assert!(
        c(baidupay_alipay::Gateway::Custom(
            "ftp://x/gateway.do".into()
        ))
        .is_err()
    );
    let ok = c(baidupay_alipay::Gateway::Custom(
        "http://127.0.0.1:9/gateway.do".into(),
    ))
    .unwrap();
    assert_eq!(ok.gateway_url(), "http://127.0.0.1:9/gateway.do");
    let sandbox = c(baidupay_alipay::Gateway::Sandbox).unwrap();
    assert_eq!(
        sandbox.gateway_url(),
        "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
    );
}

#[test]
fn the_gateways_string_to_sign_is_compared_with_ours() {
    let c = client(
        "node_app-private-key.pem",
        &fixture("node_alipay-public-key.pem"),
    );
    let p = c
        .prepare_raw(
            "alipay.trade.query",
            Some(r#"{"out_trade_no":"T1"}"#.into()),
            false,
            true,
        )
        .unwrap();
    // the gateway quotes its string HTML-escaped, after the prefix V-2 shows
    let v2 = text("responses/v2.json");
    let prefix = v2
        .split("网关生成的验签字符串为：")
        .next()
        .and_then(|s| s.rsplit("\"sub_msg\":\"").next())
        .unwrap();
    let quote = |s: &str| {
        format!(
            "{prefix}网关生成的验签字符串为：{}",
            s.replace('&', "&amp;")
        )
    };
    let same = p
        .explain_invalid_signature(&quote(p.canonical_string()))
        .unwrap();
    assert!(same.contains("app private key does not match"), "{same}");
    let shifted = p.canonical_string().replace("17:49:20", "09:49:20");
    let diff = p.explain_invalid_signature(&quote(&shifted)).unwrap();
    assert_eq!(
        diff,
        "`timestamp`: signed \"2024-05-13 17:49:20\" but the gateway read \"2024-05-13 09:49:20\""
    );
    let dropped = p.canonical_string().replace("&charset=utf-8", "");
    assert_eq!(
        p.explain_invalid_signature(&quote(&dropped)).unwrap(),
        "the gateway did not receive `charset`"
    );
    assert_eq!(p.explain_invalid_signature("解密出错, 未知错误"), None);
    // quotes in biz_content escaped as well (`&quot;`): still the same string
    let escaped = format!(
        "{prefix}网关生成的验签字符串为：{}",
        p.canonical_string()
            .replace('&', "&amp;")
            .replace('"', "&quot;")
    );
    let same = p.explain_invalid_signature(&escaped).unwrap();
    assert!(same.contains("app private key does not match"), "{same}");
}
