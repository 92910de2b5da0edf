//! The vectors of alipay-jsapi.md section 8 through the client, run from
//! `vectors/manifest.json`: request signing (8.1, R-3 byte for byte), real Alipay-signed
//! responses (8.2, error responses included), the extractor cases (8.3) and certificate mode
//! (8.5); plus the request on the wire and the key mix-ups the configuration refuses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../vectors/support.rs"]
mod vectors;

use std::sync::Arc;

use baidupay_alipay::{AlipayClient, AlipayConfig, AlipayError, ConfigError};
use baidupay_crypto::{PrivateKey, PublicKey};
use baidupay_model::AlipayAppId;
use baidupay_model::alipay::{Buyer, TradeCreate};
use baidupay_model::{OutTradeNo, Yuan};
use baidupay_transport::ManualClock;
use baidupay_transport::replay::ReplayTransport;
use vectors::Vector;

fn fixture(path: &str) -> Vec<u8> {
    vectors::read(&format!("alipay/{path}"))
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

#[test]
fn r3_trade_create_on_the_wire() {
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
    // the typed builder gives R-3's string (the runner signs it from the raw biz_content)
    assert_eq!(p.canonical_string(), text("jsapi_content.txt").trim_end());
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

// ------------------------------------------------------------------------------------------
// The runner

/// The method names of the manifest live as long as the test.
fn method(v: &Vector) -> &'static str {
    let m = v.param_str("method").expect("method");
    Box::leak(m.to_owned().into_boxed_str())
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

/// R-3: the client builds the string from the raw biz_content and signs it.
fn request(v: &Vector) -> Result<(), String> {
    let config = AlipayConfig::from_keys(
        AlipayAppId::new(v.param_str("app_id").unwrap()).unwrap(),
        v.file("private_key"),
        v.file("alipay_public_key"),
    )
    .unwrap()
    .notify_url(v.param_str("notify_url").unwrap())
    .clock(Arc::new(ManualClock::new(
        v.param("unix_time").and_then(|t| t.as_i64()).unwrap(),
    )));
    let c = AlipayClient::new(config, Arc::new(ReplayTransport::default()));
    let biz = v.param_str("biz_content").map(str::to_owned);
    let p = c
        .prepare_raw(method(v), biz, true, false)
        .map_err(|e| format!("{e:?}"))?;
    let want = v.expect_text("sign_string").unwrap();
    if p.canonical_string() != want.trim_end() {
        return Err(format!("sign string: {}", p.canonical_string()));
    }
    let sign = p.params().iter().find(|(k, _)| *k == "sign").unwrap();
    if Some(sign.1.as_str()) != v.expect_str("signature") {
        return Err(format!("signature: {}", sign.1));
    }
    Ok(())
}

/// A signed response through `verify_body`: the verified content, its codes, the cert SN.
fn response(v: &Vector) -> Result<(), String> {
    let method = method(v);
    let alipay_key = v.file("public_key");
    // the app key must not be the key the response is checked with (the config refuses that)
    let node = fixture("node_app-private-key.pem");
    let app = if PrivateKey::parse(&node).unwrap().public_key()
        == &PublicKey::parse(&alipay_key).unwrap()
    {
        fixture("fz_app_private_key.pem")
    } else {
        node
    };
    let config = AlipayConfig::from_keys(app_id(), app, alipay_key).unwrap();
    let c = AlipayClient::new(config, Arc::new(ReplayTransport::default()));
    let body = if v.file_path("body").is_some() {
        v.body()
    } else {
        format!(
            r#"{{"{}_response":{},"sign":"{}"}}"#,
            method.replace('.', "_"),
            v.tamper(&v.file_text("content")).trim_end(),
            v.file_text("signature").trim()
        )
    };
    let result = block_on(c.verify_body(method, &body));
    let kind = |e: &AlipayError| match e {
        AlipayError::BadSignature { .. } => Some("bad-signature"),
        _ => None,
    };
    let Some(verified) = vectors::outcome(v, result, kind)? else {
        return Ok(());
    };
    if let Some(want) = v.expect_text("content")
        && verified.content != want.trim_end()
    {
        return Err(format!("content: {}", verified.content));
    }
    if verified.alipay_cert_sn.as_deref() != v.expect_str("alipay_cert_sn") {
        return Err(format!("alipay_cert_sn: {:?}", verified.alipay_cert_sn));
    }
    let checked = verified.check(method);
    match (v.expect_str("code"), v.expect_str("sub_code"), checked) {
        (Some("10000"), None, Ok(())) => Ok(()),
        (Some(_), Some(sub), Err(e)) if e.sub_code().map(|s| s.code()) == Some(sub) => Ok(()),
        (code, sub, got) => Err(format!("want code {code:?} / {sub:?}, got {got:?}")),
    }
}

/// Certificate mode: the SNs of the configuration, and in every request's signed string.
fn cert_mode(v: &Vector) -> Result<(), String> {
    let config = AlipayConfig::with_certificates(
        app_id(),
        PrivateKey::parse(v.file("app_key")).unwrap(),
        v.file("app_cert"),
        v.file("alipay_cert"),
        v.file("root_cert"),
    );
    let kind = |e: &ConfigError| match e {
        ConfigError::AppCertMismatch => Some("app-cert-mismatch"),
        _ => None,
    };
    let Some(config) = vectors::outcome(v, config, kind)? else {
        return Ok(());
    };
    let (app_sn, root_sn) = (
        v.expect_str("app_cert_sn").unwrap(),
        v.expect_str("root_cert_sn").unwrap(),
    );
    if config.cert_sns() != Some((app_sn, root_sn)) {
        return Err(format!("cert_sns: {:?}", config.cert_sns()));
    }
    let c = AlipayClient::new(config, Arc::new(ReplayTransport::default()));
    let p = c
        .prepare_raw("alipay.trade.query", Some("{}".into()), false, true)
        .unwrap();
    let prefix = format!("alipay_root_cert_sn={root_sn}&app_cert_sn={app_sn}&app_id=");
    if !p.canonical_string().starts_with(&prefix) {
        return Err(format!("signed string: {}", p.canonical_string()));
    }
    Ok(())
}

#[test]
fn every_client_vector() {
    let ran = vectors::run(&["request", "response", "cert-mode"], |v| {
        match v.kind.as_str() {
            "request" => request(v),
            "response" => response(v),
            "cert-mode" => cert_mode(v),
            other => Err(format!("no runner for {other}")),
        }
    });
    assert!(ran["response"] >= 11, "{ran:?}");
}
