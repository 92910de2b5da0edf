//! Alipay notifies: behaviours around the real N-1 vector (its known answers, and N-2's, run from
//! `vectors/manifest.json` in `vectors.rs`): tampering, algorithms, generated notifies signed at
//! test time, and the merchant-order check.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use baidupay_crypto::{Algorithm, PrivateKey, PublicKey, Rules, Signer, form};
use baidupay_model::{AlipayUserId, OutTradeNo};
use baidupay_notify::{
    AlipayNotifier, AlipayVariant, ExpectedTrade, NotifyError, TradeMismatch, check_trade,
};

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/../../vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn n1_notifier() -> AlipayNotifier {
    let text = String::from_utf8(fixture("alipay/n1-alipay-public-key.txt")).unwrap();
    AlipayNotifier::new(PublicKey::parse(text.trim()).unwrap())
}

fn n1_body() -> String {
    String::from_utf8(fixture("alipay/n1-trade-notify-body.form"))
        .unwrap()
        .trim()
        .to_owned()
}

fn expected() -> ExpectedTrade {
    ExpectedTrade {
        app_id: "2019073166072302".into(),
        out_trade_no: OutTradeNo::new("20190815155618536-564-57").unwrap(),
        total_amount: "0.10".parse().unwrap(),
        seller_id: Some(AlipayUserId::new("2088531891668739").unwrap()),
    }
}

#[test]
fn n1_signature_plus_arriving_unescaped() {
    let body = n1_body();
    assert!(body.contains("%2B"));
    let n = n1_notifier()
        .trade(body.replace("%2B", "+").as_bytes())
        .unwrap();
    check_trade(&n, &expected()).unwrap();
}

#[test]
fn n1_tampering_and_wrong_inputs_fail() {
    let body = n1_body();
    for (from, to) in [
        ("total_amount=0.10", "total_amount=0.01"),
        ("trade_status=TRADE_SUCCESS", "trade_status=TRADE_FINISHED"),
        ("seller_id=2088531891668739", "seller_id=2088531891668730"),
        ("sign_type=RSA2", "sign_type=RSA"),
    ] {
        assert!(body.contains(from), "{from}");
        let e = n1_notifier()
            .trade(body.replace(from, to).as_bytes())
            .unwrap_err();
        assert!(matches!(e, NotifyError::BadSignature), "{from}: {e}");
    }
    let e = n1_notifier()
        .trade(format!("{body}&extra_field=x").as_bytes())
        .unwrap_err();
    assert!(matches!(e, NotifyError::BadSignature), "{e}");
    let e = n1_notifier()
        .trade(body.replace("sign_type=RSA2", "sign_type=MD5").as_bytes())
        .unwrap_err();
    assert!(matches!(e, NotifyError::UnsupportedSignType { .. }), "{e}");
    let other = AlipayNotifier::new(
        PublicKey::parse(fixture("alipay/node_alipay-notify-sign-public-key-v1.pem")).unwrap(),
    );
    assert!(
        other
            .trade(body.as_bytes())
            .unwrap_err()
            .is_forgery_suspect()
    );
    let dup = format!("{body}&trade_no=1");
    assert!(matches!(
        n1_notifier().trade(dup.as_bytes()),
        Err(NotifyError::DuplicateParameter { .. })
    ));
    let no_sign: String = body
        .split('&')
        .filter(|kv| !kv.starts_with("sign="))
        .collect::<Vec<_>>()
        .join("&");
    assert!(matches!(
        n1_notifier().trade(no_sign.as_bytes()),
        Err(NotifyError::MissingSignature { field: "sign" })
    ));
    assert!(matches!(
        n1_notifier().verify_request(Some("application/json"), body.as_bytes()),
        Err(NotifyError::UnsupportedContentType { .. })
    ));
}

#[test]
fn check_trade_names_the_difference() {
    let n = n1_notifier().trade(n1_body().as_bytes()).unwrap();
    let mut e = expected();
    e.app_id = "2021000000000000".into();
    assert!(matches!(
        check_trade(&n, &e),
        Err(TradeMismatch::AppId { .. })
    ));
    let mut e = expected();
    e.out_trade_no = OutTradeNo::new("other").unwrap();
    assert!(matches!(
        check_trade(&n, &e),
        Err(TradeMismatch::OutTradeNo { .. })
    ));
    let mut e = expected();
    e.total_amount = "0.01".parse().unwrap();
    let err = check_trade(&n, &e).unwrap_err();
    assert!(matches!(err, TradeMismatch::TotalAmount { .. }));
    assert_eq!(
        err.to_string(),
        "total_amount 0.10 differs from the order's 0.01"
    );
    let mut e = expected();
    e.seller_id = Some(AlipayUserId::new("2088000000000000").unwrap());
    assert!(matches!(
        check_trade(&n, &e),
        Err(TradeMismatch::SellerId { .. })
    ));
    let mut e = expected();
    e.seller_id = None;
    check_trade(&n, &e).unwrap();
}

fn app_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(2048).unwrap())
}

fn generated(fields: &[(&str, &str)], alg: Algorithm, rules: Rules) -> String {
    let signer = Signer::new(app_key().clone(), alg);
    let (_, sig) = signer.sign_params(rules, fields.iter().copied()).unwrap();
    let mut all = fields.to_vec();
    all.push(("sign", &sig));
    form::encode(all)
}

const TRADE: &[(&str, &str)] = &[
    ("notify_type", "trade_status_sync"),
    ("notify_id", "n1"),
    ("notify_time", "2024-05-13 17:49:20"),
    ("app_id", "2021000122671080"),
    ("trade_no", "2024051322001400000000000001"),
    ("out_trade_no", "20240513000001"),
    ("trade_status", "TRADE_SUCCESS"),
    ("total_amount", "88.88"),
    ("subject", "测试 & = + %"),
    ("passback_params", "merchantbiztype%3D3c%26no%3D1"),
    (
        "fund_bill_list",
        r#"[{"amount":"88.88","fundChannel":"PCREDIT"}]"#,
    ),
];

#[test]
fn generated_rsa2_and_legacy_rsa() {
    let notifier = AlipayNotifier::new(app_key().public_key().clone());
    let mut f = TRADE.to_vec();
    f.push(("sign_type", "RSA2"));
    let n = notifier
        .trade(generated(&f, Algorithm::RsaSha256, Rules::AlipayNotify).as_bytes())
        .unwrap();
    assert_eq!(n.subject.as_deref(), Some("测试 & = + %"));
    assert_eq!(
        n.passback_params.as_deref(),
        Some("merchantbiztype%3D3c%26no%3D1"),
        "not decoded twice"
    );
    assert_eq!(
        n.passback_params_decoded().unwrap().as_deref(),
        Some("merchantbiztype=3c&no=1")
    );
    assert_eq!(n.fund_bills().unwrap()[0].fund_channel, "PCREDIT");
    let mut f = TRADE.to_vec();
    f.push(("sign_type", "RSA"));
    let body = generated(&f, Algorithm::RsaSha1, Rules::AlipayNotify);
    let v = notifier.verify(body.as_bytes()).unwrap();
    assert_eq!(v.algorithm(), Algorithm::RsaSha1);
    // an RSA2 signature presented as RSA fails
    let mut f = TRADE.to_vec();
    f.push(("sign_type", "RSA2"));
    let body = generated(&f, Algorithm::RsaSha256, Rules::AlipayNotify)
        .replace("sign_type=RSA2", "sign_type=RSA");
    assert!(matches!(
        notifier.trade(body.as_bytes()),
        Err(NotifyError::BadSignature)
    ));
}

#[test]
fn empty_values_and_cert_sn_variants() {
    let notifier = AlipayNotifier::new(app_key().public_key().clone());
    // signed with empties kept (easysdk style)
    let mut f = TRADE.to_vec();
    f.push(("body", ""));
    let body = generated(&f, Algorithm::RsaSha256, Rules::AlipayNotifyKeepEmpty);
    let v = notifier.verify(body.as_bytes()).unwrap();
    assert_eq!(v.variant(), AlipayVariant::V1KeepEmpty);
    assert_eq!(v.get("body"), Some(""));
    // a field the signature does not cover, added to that notify, is refused whatever its
    // name: `rsaSign` is Baidu's signature field, not Alipay's (found by fuzzing: it used to
    // verify and come back among the verified pairs)
    for extra in ["rsaSign=x", "rsaSign=", "sign_type2=RSA2"] {
        let forged = format!("{body}&{extra}");
        assert!(
            matches!(
                notifier.verify(forged.as_bytes()),
                Err(NotifyError::BadSignature)
            ),
            "{extra}"
        );
    }
    // and the field is covered when it was signed
    let mut f = TRADE.to_vec();
    f.extend([("body", ""), ("rsaSign", "x")]);
    let body = generated(&f, Algorithm::RsaSha256, Rules::AlipayNotifyKeepEmpty);
    let v = notifier.verify(body.as_bytes()).unwrap();
    assert_eq!(v.variant(), AlipayVariant::V1KeepEmpty);
    assert_eq!(v.get("rsaSign"), Some("x"));
    // signed without alipay_cert_sn, which is then not returned
    let signed = generated(TRADE, Algorithm::RsaSha256, Rules::AlipayNotify);
    let body = format!("{signed}&alipay_cert_sn=7513daaaa48aa3ba2e4018d84402479c");
    let v = notifier.verify(body.as_bytes()).unwrap();
    assert_eq!(v.variant(), AlipayVariant::V1WithoutCertSn);
    assert_eq!(
        v.get("alipay_cert_sn"),
        None,
        "unsigned fields are never returned"
    );
    // with V1 rules, an empty field is not covered and not returned
    let mut f = TRADE.to_vec();
    f.push(("gmt_close", ""));
    let v = notifier
        .verify(generated(&f, Algorithm::RsaSha256, Rules::AlipayNotify).as_bytes())
        .unwrap();
    assert_eq!(v.variant(), AlipayVariant::V1);
    assert_eq!(v.get("gmt_close"), None);
}

#[test]
fn http_glue_answers_success_only_when_handled() {
    use baidupay_notify::http::handle_alipay;
    let req = http::Request::post("/notify/alipay?sign=forged")
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(bytes::Bytes::from(n1_body()))
        .unwrap();
    let resp = handle_alipay(&n1_notifier(), &req, |n| n.is_paid(), |e| panic!("{e}"));
    assert_eq!(
        (resp.status().as_u16(), resp.body().as_ref()),
        (200, b"success".as_ref())
    );
    let resp = handle_alipay(&n1_notifier(), &req, |_| false, |e| panic!("{e}"));
    assert_eq!(resp.body().as_ref(), b"failure");
    let forged = http::Request::post("/notify/alipay")
        .body(bytes::Bytes::from(
            n1_body().replace("total_amount=0.10", "total_amount=9.99"),
        ))
        .unwrap();
    let mut refused = false;
    let resp = handle_alipay(
        &n1_notifier(),
        &forged,
        |_| panic!("unverified"),
        |_| refused = true,
    );
    assert_eq!(resp.status().as_u16(), 400);
    assert!(refused);
}
