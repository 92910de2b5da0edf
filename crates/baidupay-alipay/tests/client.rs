//! Every operation's exact request (query, form body, signature) and response decoding with
//! `ReplayTransport`; the failure paths (signed business errors, unsigned, tampered, duplicated
//! keys, HTTP errors); certificate mode with a rotated Alipay certificate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use baidupay_alipay::{AlipayCertFetcher, AlipayClient, AlipayConfig, AlipayError, Gateway};
use baidupay_crypto::{Algorithm, PrivateKey, Signer, Verifier};
use baidupay_model::alipay::{
    BillDownloadUrlQuery, BillType, Buyer, FundChange, RefundQuery, RefundStatus, SubCode,
    TradeClose, TradeCreate, TradeQuery, TradeRef, TradeRefund, TradeStatus,
};
use baidupay_model::{AlipayAppId, OutRequestNo, OutTradeNo, Secret, TradeNo, Yuan};
use baidupay_transport::ErrorKind;
use baidupay_transport::ManualClock;
use baidupay_transport::replay::{Expect, Recorded, ReplayTransport};

fn keys() -> &'static (PrivateKey, PrivateKey) {
    static K: OnceLock<(PrivateKey, PrivateKey)> = OnceLock::new();
    K.get_or_init(|| {
        (
            PrivateKey::generate(2048).unwrap(),
            PrivateKey::generate(2048).unwrap(),
        )
    })
}

fn config() -> AlipayConfig {
    let (app, alipay) = keys();
    AlipayConfig::new(
        AlipayAppId::new("2021000122671080").unwrap(),
        app.clone(),
        alipay.public_key().clone(),
    )
    .unwrap()
    .notify_url("https://shop.example/alipay/notify")
    .clock(Arc::new(ManualClock::new(1_715_593_760)))
}

fn client(t: &Arc<ReplayTransport>) -> AlipayClient {
    AlipayClient::new(config(), t.clone())
}

/// A gateway answer signed by the test's "Alipay" key, laid out as the gateway does.
fn answer(method: &str, content: &str) -> String {
    let sig = Signer::new(keys().1.clone(), Algorithm::RsaSha256)
        .sign_base64(content.as_bytes())
        .unwrap();
    format!(
        r#"{{"{}_response":{content},"sign":"{sig}"}}"#,
        method.replace('.', "_")
    )
}

/// Checks the recorded request independently of the client: common parameters in the query,
/// `biz_content` (exactly `biz`) in the body, and a signature that the app public key verifies
/// over the sorted, non-empty pairs of both.
fn check_request(r: &Recorded, method: &str, biz: &str, extra: &[(&str, &str)]) {
    assert_eq!(r.method, http::Method::POST);
    assert!(r.uri.path().ends_with("/gateway.do"), "{}", r.uri);
    let query = r.query_pairs();
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut expected = vec![
        ("app_id", "2021000122671080"),
        ("charset", "utf-8"),
        ("format", "JSON"),
        ("method", method),
        ("sign_type", "RSA2"),
        ("timestamp", "2024-05-13 17:49:20"),
        ("version", "1.0"),
    ];
    expected.extend_from_slice(extra);
    for (k, v) in &expected {
        assert_eq!(get(k), Some(*v), "query parameter {k}");
    }
    assert_eq!(query.len(), expected.len() + 1, "{query:?}");
    assert_eq!(
        r.form_pairs(),
        vec![("biz_content".to_owned(), biz.to_owned())]
    );
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| k != "sign")
        .cloned()
        .chain(r.form_pairs())
        .filter(|(_, v)| !v.is_empty())
        .collect();
    pairs.sort();
    let content = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    Verifier::new(keys().0.public_key().clone(), Algorithm::RsaSha256)
        .verify_base64(content.as_bytes(), get("sign").unwrap())
        .unwrap();
}

#[tokio::test]
async fn trade_create_request_and_response() {
    let content = r#"{"code":"10000","msg":"Success","out_trade_no":"T20240513000001","trade_no":"2024051322001400000000000001"}"#;
    let t = Arc::new(ReplayTransport::new([Expect::post("/gateway.do")
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=utf-8",
        )
        .respond_json(answer("alipay.trade.create", content))]));
    let order = TradeCreate::new(
        OutTradeNo::new("T20240513000001").unwrap(),
        "0.01".parse::<Yuan>().unwrap(),
        "Iphone6 16G",
        Buyer::BuyerId("2088102146225135".parse().unwrap()),
    )
    .unwrap()
    .op_app_id("2021000122671080")
    .timeout_express("90m");
    let r = client(&t).create(&order).await.unwrap();
    assert_eq!(r.trade_no.unwrap().as_str(), "2024051322001400000000000001");
    t.assert_done();
    check_request(
        &t.requests()[0],
        "alipay.trade.create",
        r#"{"out_trade_no":"T20240513000001","total_amount":"0.01","subject":"Iphone6 16G","product_code":"JSAPI_PAY","op_app_id":"2021000122671080","buyer_id":"2088102146225135","timeout_express":"90m"}"#,
        &[("notify_url", "https://shop.example/alipay/notify")],
    );
}

#[tokio::test]
async fn trade_query_close_refund_refund_query_and_bill() {
    let query = r#"{"code":"10000","msg":"Success","trade_no":"2024051322001400000000000001","out_trade_no":"T1","buyer_logon_id":"159****5620","trade_status":"TRADE_SUCCESS","total_amount":"88.88","buyer_pay_amount":"88.88","point_amount":"0.00","invoice_amount":"88.88","send_pay_date":"2024-05-13 17:50:02","receipt_amount":"88.88","buyer_user_id":"2088101117955611","fund_bill_list":[{"fund_channel":"ALIPAYACCOUNT","amount":"88.88"}]}"#;
    let close = r#"{"code":"10000","msg":"Success","trade_no":"2024051322001400000000000002","out_trade_no":"T2"}"#;
    let refund = r#"{"code":"10000","msg":"Success","trade_no":"2024051322001400000000000001","out_trade_no":"T1","buyer_logon_id":"159****5620","fund_change":"Y","refund_fee":"10.00","gmt_refund_pay":"2024-05-14 10:00:00","buyer_user_id":"2088101117955611"}"#;
    let rquery = r#"{"code":"10000","msg":"Success","trade_no":"2024051322001400000000000001","out_trade_no":"T1","out_request_no":"R1","total_amount":"88.88","refund_amount":"10.00","refund_status":"REFUND_SUCCESS"}"#;
    let bill = r#"{"code":"10000","msg":"Success","bill_download_url":"http://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade&userId=20885&fileType=csv.zip&bizDates=20240513&downloadFileName=20885_20240513.csv.zip&fileId=%2Ftrade%2F20885%2F20240513&timestamp=1715600000&token=abc"}"#;
    let t = Arc::new(ReplayTransport::new([
        Expect::post("/gateway.do").respond_json(answer("alipay.trade.query", query)),
        Expect::post("/gateway.do").respond_json(answer("alipay.trade.close", close)),
        Expect::post("/gateway.do").respond_json(answer("alipay.trade.refund", refund)),
        Expect::post("/gateway.do")
            .respond_json(answer("alipay.trade.fastpay.refund.query", rquery)),
        Expect::post("/gateway.do").respond_json(answer(
            "alipay.data.dataservice.bill.downloadurl.query",
            bill,
        )),
        Expect::get("/downloadBillFile.resource")
            .respond(200, &b"PK\x03\x04zip bytes"[..])
            .respond_header(
                "content-disposition",
                "attachment; filename=\"20885_20240513.csv.zip\"",
            ),
    ]));
    let c = client(&t);
    let t1 = || TradeRef::OutTradeNo(OutTradeNo::new("T1").unwrap());

    let q = c
        .query(&TradeQuery::new(t1()).query_options(["fund_bill_list"]))
        .await
        .unwrap();
    assert_eq!(q.trade_status, Some(TradeStatus::TradeSuccess));
    assert_eq!(q.total_amount.unwrap().to_string(), "88.88");
    assert_eq!(q.fund_bill_list.len(), 1);

    let cl = c
        .close(&TradeClose::new(TradeRef::TradeNo(
            TradeNo::new("2024051322001400000000000002").unwrap(),
        )))
        .await
        .unwrap();
    assert_eq!(cl.out_trade_no.unwrap().as_str(), "T2");

    let rf = c
        .refund(
            &TradeRefund::new(
                t1(),
                "10.00".parse().unwrap(),
                OutRequestNo::new("R1").unwrap(),
            )
            .reason("正常退款"),
        )
        .await
        .unwrap();
    assert_eq!(rf.fund_change, Some(FundChange::Yes));
    assert_eq!(rf.refund_fee.unwrap().to_string(), "10.00");

    let rq = c
        .refund_query(&RefundQuery::new(t1(), OutRequestNo::new("R1").unwrap()))
        .await
        .unwrap();
    assert_eq!(rq.refund_status, Some(RefundStatus::RefundSuccess));

    let b = c
        .bill_download_url(&BillDownloadUrlQuery::new(BillType::Trade, "2024-05-13").unwrap())
        .await
        .unwrap();
    let file = c
        .download_bill(b.bill_download_url.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(file.file_name.as_deref(), Some("20885_20240513.csv.zip"));
    assert!(file.bytes.starts_with(b"PK"));
    t.assert_done();

    let r = t.requests();
    check_request(
        &r[0],
        "alipay.trade.query",
        r#"{"out_trade_no":"T1","query_options":["fund_bill_list"]}"#,
        &[],
    );
    check_request(
        &r[1],
        "alipay.trade.close",
        r#"{"trade_no":"2024051322001400000000000002"}"#,
        &[],
    );
    check_request(
        &r[2],
        "alipay.trade.refund",
        r#"{"refund_amount":"10.00","out_trade_no":"T1","out_request_no":"R1","refund_reason":"正常退款"}"#,
        &[],
    );
    check_request(
        &r[3],
        "alipay.trade.fastpay.refund.query",
        r#"{"out_trade_no":"T1","out_request_no":"R1"}"#,
        &[],
    );
    check_request(
        &r[4],
        "alipay.data.dataservice.bill.downloadurl.query",
        r#"{"bill_type":"trade","bill_date":"2024-05-13"}"#,
        &[],
    );
    assert_eq!(r[5].method, http::Method::GET);
}

#[test]
fn queries_and_refunds_are_idempotent_create_is_not() {
    let c = client(&Arc::new(ReplayTransport::default()));
    let t1 = || TradeRef::OutTradeNo(OutTradeNo::new("T1").unwrap());
    let idem = |p: baidupay_alipay::PreparedRequest| {
        baidupay_transport::is_idempotent(&p.to_http().unwrap())
    };
    assert!(idem(c.prepare(&TradeQuery::new(t1())).unwrap()));
    assert!(idem(
        c.prepare(&TradeRefund::new(
            t1(),
            "1.00".parse().unwrap(),
            OutRequestNo::new("R1").unwrap()
        ))
        .unwrap()
    ));
    let create = TradeCreate::new(
        OutTradeNo::new("T1").unwrap(),
        "1.00".parse().unwrap(),
        "s",
        Buyer::OpenId("o".into()),
    )
    .unwrap();
    assert!(!idem(c.prepare(&create).unwrap()));
}

#[tokio::test]
async fn a_signed_business_error_is_typed_only_after_it_verified() {
    let content = r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}"#;
    let t = Arc::new(ReplayTransport::new([
        Expect::post("/gateway.do").respond_json(answer("alipay.trade.query", content)),
        // the same error, not signed: nothing typed comes out of it
        Expect::post("/gateway.do").respond_json(format!(
            r#"{{"alipay_trade_query_response":{content},"sign":""}}"#
        )),
        // a gateway-level error_response, signed
        Expect::post("/gateway.do").respond_json({
            let c = r#"{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}"#;
            answer("x", c).replace("\"x_response\"", "\"error_response\"")
        }),
    ]));
    let c = client(&t);
    let q = TradeQuery::new(TradeRef::OutTradeNo(OutTradeNo::new("T404").unwrap()));
    let err = c.query(&q).await.unwrap_err();
    assert_eq!(err.sub_code(), Some(&SubCode::TradeNotExist));
    assert!(err.may_have_been_sent());
    let err = c.query(&q).await.unwrap_err();
    assert!(matches!(err, AlipayError::MissingSignature { .. }), "{err}");
    assert!(err.sub_code().is_none());
    let err = c.query(&q).await.unwrap_err();
    assert_eq!(err.sub_code(), Some(&SubCode::InvalidAppId));
}

#[tokio::test]
async fn tampered_duplicated_and_non_json_answers_are_refused() {
    let good = r#"{"code":"10000","msg":"Success","trade_no":"1","out_trade_no":"T1","trade_status":"WAIT_BUYER_PAY","total_amount":"1.00"}"#;
    let signed = answer("alipay.trade.query", good);
    let tampered = signed.replace("1.00", "9.00");
    let duplicated = signed.replacen(
        ",\"sign\"",
        r#","alipay_trade_query_response":{"code":"10000","trade_status":"TRADE_SUCCESS"},"sign""#,
        1,
    );
    let t = Arc::new(ReplayTransport::new([
        Expect::post("/gateway.do").respond_json(tampered),
        Expect::post("/gateway.do").respond_json(duplicated),
        Expect::post("/gateway.do").respond(502, "<html>Bad Gateway</html>"),
        Expect::post("/gateway.do").respond_json("not json"),
        Expect::post("/gateway.do").respond_json(r#"{"other_response":{},"sign":"x"}"#),
        Expect::post("/gateway.do").fail(ErrorKind::Timeout),
    ]));
    let c = client(&t);
    let q = TradeQuery::new(TradeRef::OutTradeNo(OutTradeNo::new("T1").unwrap()));
    assert!(matches!(
        c.query(&q).await,
        Err(AlipayError::BadSignature { .. })
    ));
    let err = c.query(&q).await.unwrap_err();
    assert!(err.to_string().contains("more than once"), "{err}");
    assert!(matches!(
        c.query(&q).await,
        Err(AlipayError::UnexpectedAnswer { status: 502, .. })
    ));
    assert!(matches!(
        c.query(&q).await,
        Err(AlipayError::UnexpectedAnswer { .. })
    ));
    let err = c.query(&q).await.unwrap_err();
    assert!(
        err.to_string().contains("alipay_trade_query_response"),
        "{err}"
    );
    let err = c.query(&q).await.unwrap_err();
    assert!(matches!(err, AlipayError::Transport { .. }));
    t.assert_done();
}

#[tokio::test]
async fn invalid_requests_are_not_sent() {
    // an empty script: any request would fail the test with "unexpected request"
    let t = Arc::new(ReplayTransport::default());
    let c = client(&t);
    assert!(BillDownloadUrlQuery::new(BillType::Trade, "2024-13").is_err());
    let mut q = TradeQuery::new(TradeRef::OutTradeNo(OutTradeNo::new("T1").unwrap()));
    q.out_trade_no = None;
    let err = c.query(&q).await.unwrap_err();
    assert!(matches!(err, AlipayError::Invalid(_)), "{err}");
    assert!(!err.may_have_been_sent());
    assert!(c.download_bill("file:///etc/passwd").await.is_err());
    assert!(t.requests().is_empty());
}

#[tokio::test]
async fn service_provider_token_and_gateway() {
    let t = Arc::new(ReplayTransport::new([Expect::post("/sandbox/gateway.do")
        .respond_json(answer(
            "alipay.trade.close",
            r#"{"code":"10000","msg":"Success","trade_no":"1","out_trade_no":"T1"}"#,
        ))]));
    let config = config()
        .app_auth_token(Secret::new("202405BBa1b2c3"))
        .gateway(Gateway::Custom(
            "http://127.0.0.1:9/sandbox/gateway.do".into(),
        ))
        .unwrap();
    let c = AlipayClient::new(config, t.clone());
    let close = TradeClose::new(TradeRef::OutTradeNo(OutTradeNo::new("T1").unwrap()));
    let p = c.prepare(&close).unwrap();
    assert!(
        p.canonical_string()
            .contains("app_auth_token=202405BBa1b2c3")
    );
    let debug = format!("{p:?} {:?}", c.config());
    assert!(!debug.contains("202405BBa1b2c3"), "{debug}");
    c.close(&close).await.unwrap();
    check_request(
        &t.requests()[0],
        "alipay.trade.close",
        r#"{"out_trade_no":"T1"}"#,
        &[("app_auth_token", "202405BBa1b2c3")],
    );
}

// --- certificate mode with a rotated Alipay certificate ---------------------------------------

mod certs {
    use openssl::asn1::{Asn1Integer, Asn1Time};
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::x509::{X509, X509Name};

    pub(super) fn name(cn: &str) -> X509Name {
        let mut b = X509Name::builder().unwrap();
        b.append_entry_by_text("C", "CN").unwrap();
        b.append_entry_by_text("O", "Ant Financial").unwrap();
        b.append_entry_by_text("OU", "Certification Authority")
            .unwrap();
        b.append_entry_by_text("CN", cn).unwrap();
        b.build()
    }

    /// A certificate for `key` with `serial`, issued by `issuer` (self-signed when `None`).
    pub(super) fn cert(
        key: &PKey<Private>,
        subject: &str,
        serial: u32,
        issuer: Option<(&X509, &PKey<Private>)>,
    ) -> X509 {
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        let sn = Asn1Integer::from_bn(&BigNum::from_u32(serial).unwrap()).unwrap();
        b.set_serial_number(&sn).unwrap();
        b.set_subject_name(&name(subject)).unwrap();
        let (iname, ikey) = match issuer {
            Some((c, k)) => (c.subject_name().to_owned().unwrap(), k),
            None => (name(subject), key),
        };
        b.set_issuer_name(&iname).unwrap();
        b.set_pubkey(key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(365).unwrap())
            .unwrap();
        b.sign(ikey, MessageDigest::sha256()).unwrap();
        b.build()
    }

    /// The Alipay SN computed independently: MD5(issuer RFC 2253 + decimal serial).
    pub(super) fn sn(issuer: &str, serial: u32) -> String {
        let d = openssl::hash::hash(MessageDigest::md5(), format!("{issuer}{serial}").as_bytes())
            .unwrap();
        d.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[derive(Debug)]
struct Fetcher {
    pem: Vec<u8>,
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl AlipayCertFetcher for Fetcher {
    async fn fetch(&self, _sn: &str) -> Result<Vec<u8>, String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(self.pem.clone())
    }
}

#[tokio::test]
async fn certificate_mode_follows_a_rotated_alipay_certificate() {
    use openssl::pkey::PKey;
    let pk = |k: &PrivateKey| PKey::private_key_from_der(&k.to_pkcs8_der()).unwrap();
    let ca_key = PrivateKey::generate(2048).unwrap();
    let (app, alipay1) = keys().clone();
    let alipay2 = PrivateKey::generate(2048).unwrap();
    let ca = certs::cert(&pk(&ca_key), "Test Root", 1, None);
    let issued =
        |k: &PrivateKey, serial| certs::cert(&pk(k), "alipay", serial, Some((&ca, &pk(&ca_key))));
    let app_cert = issued(&app, 7);
    let cert1 = issued(&alipay1, 1_000_001);
    let cert2 = issued(&alipay2, 1_000_002);
    let issuer = "CN=Test Root,OU=Certification Authority,O=Ant Financial,C=CN";
    let (sn1, sn2) = (certs::sn(issuer, 1_000_001), certs::sn(issuer, 1_000_002));

    let signed = |key: &PrivateKey, sn: &str| {
        let content = r#"{"code":"10000","msg":"Success","trade_no":"1","out_trade_no":"T1"}"#;
        let sig = Signer::new(key.clone(), Algorithm::RsaSha256)
            .sign_base64(content.as_bytes())
            .unwrap();
        format!(
            r#"{{"alipay_trade_close_response":{content},"alipay_cert_sn":"{sn}","sign":"{sig}"}}"#
        )
    };
    let t = Arc::new(ReplayTransport::new([
        Expect::post("/gateway.do").respond_json(signed(&alipay1, &sn1)),
        Expect::post("/gateway.do").respond_json(signed(&alipay2, &sn2)),
        Expect::post("/gateway.do").respond_json(signed(&alipay2, &sn2)),
        Expect::post("/gateway.do").respond_json(signed(&alipay2, &sn2)),
        // a response claiming the new SN but signed by another key
        Expect::post("/gateway.do").respond_json(signed(&alipay1, &sn2)),
    ]));
    let with_certs = || {
        AlipayConfig::with_certificates(
            AlipayAppId::new("2021000122671080").unwrap(),
            app.clone(),
            app_cert.to_pem().unwrap(),
            // the console's file carries the issuing CA after the certificate
            [cert1.to_pem().unwrap(), ca.to_pem().unwrap()].concat(),
            ca.to_pem().unwrap(),
        )
        .unwrap()
        .clock(Arc::new(ManualClock::new(1_715_593_760)))
    };
    let config = with_certs();
    assert_eq!(
        config.cert_sns(),
        Some((certs::sn(issuer, 7).as_str(), certs::sn(issuer, 1).as_str()))
    );
    let close = TradeClose::new(TradeRef::OutTradeNo(OutTradeNo::new("T1").unwrap()));

    // without a fetcher: the configured certificate works, an unknown SN is an error
    let c = AlipayClient::new(config, t.clone());
    c.close(&close).await.unwrap();
    let err = c.close(&close).await.unwrap_err();
    assert!(
        matches!(&err, AlipayError::UnknownCertificate { sn, .. } if *sn == sn2),
        "{err}"
    );
    check_request(
        &t.requests()[0],
        "alipay.trade.close",
        r#"{"out_trade_no":"T1"}"#,
        &[
            ("app_cert_sn", certs::sn(issuer, 7).as_str()),
            ("alipay_root_cert_sn", certs::sn(issuer, 1).as_str()),
        ],
    );

    // with a fetcher: fetched once, checked, cached
    let fetcher = Arc::new(Fetcher {
        pem: cert2.to_pem().unwrap(),
        calls: AtomicUsize::new(0),
    });
    let c = AlipayClient::new(with_certs().cert_fetcher(fetcher.clone()), t.clone());
    c.close(&close).await.unwrap();
    c.close(&close).await.unwrap();
    assert_eq!(fetcher.calls.load(Ordering::SeqCst), 1);
    assert!(matches!(
        c.close(&close).await,
        Err(AlipayError::BadSignature { .. })
    ));

    // a fetcher that hands back a certificate with another SN is not believed
    let t2 = Arc::new(ReplayTransport::new([
        Expect::post("/gateway.do").respond_json(signed(&alipay2, &sn2))
    ]));
    let wrong = Arc::new(Fetcher {
        pem: cert1.to_pem().unwrap(),
        calls: AtomicUsize::new(0),
    });
    let c = AlipayClient::new(with_certs().cert_fetcher(wrong), t2);
    let err = c.close(&close).await.unwrap_err();
    assert!(err.to_string().contains("serial number"), "{err}");
}

fn refund_request() -> TradeRefund {
    TradeRefund::new(
        TradeRef::OutTradeNo(OutTradeNo::new("T1").unwrap()),
        "1.00".parse().unwrap(),
        OutRequestNo::new("T1-R1").unwrap(),
    )
}

fn create_request() -> TradeCreate {
    TradeCreate::new(
        OutTradeNo::new("T1").unwrap(),
        "1.00".parse::<Yuan>().unwrap(),
        "x",
        Buyer::BuyerId("2088102146225135".parse().unwrap()),
    )
    .unwrap()
}

/// The cause behind an `OutcomeUnknown`.
fn unknown_cause(err: &AlipayError) -> &AlipayError {
    match err {
        AlipayError::OutcomeUnknown { source, .. } => source,
        other => panic!("not an unknown outcome: {other:?}"),
    }
}

#[tokio::test]
async fn system_errors_timeouts_and_5xx_of_a_create_or_refund_are_unknown_outcomes() {
    let system_error = r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.SYSTEM_ERROR","sub_msg":"系统异常，请重新调用"}"#;
    let unknow_error = r#"{"code":"20000","msg":"Service Currently Unavailable","sub_code":"isp.unknow-error","sub_msg":"系统繁忙"}"#;
    let t = Arc::new(ReplayTransport::new([
        Expect::post("/gateway.do").respond_json(answer("alipay.trade.create", system_error)),
        Expect::post("/gateway.do").respond_json(answer("alipay.trade.refund", system_error)),
        Expect::post("/gateway.do").respond_json(answer("alipay.trade.refund", unknow_error)),
        Expect::post("/gateway.do").fail(ErrorKind::Timeout),
        Expect::post("/gateway.do").respond(503, "<html>Service Unavailable</html>"),
        Expect::post("/gateway.do").fail(ErrorKind::Io),
    ]));
    let c = client(&t);

    // ACQ.SYSTEM_ERROR of a create: query the trade by the same out_trade_no
    let err = c.create(&create_request()).await.unwrap_err();
    assert!(
        err.is_unknown_outcome() && err.may_have_been_sent(),
        "{err}"
    );
    assert_eq!(err.sub_code(), Some(&SubCode::SystemError));
    assert!(matches!(unknown_cause(&err), AlipayError::Api { .. }));
    let shown = err.to_string();
    assert!(
        shown.starts_with("alipay.trade.create: the outcome is unknown")
            && shown.contains("alipay.trade.query")
            && shown.contains("same out_trade_no"),
        "{shown}"
    );

    // a refund: ACQ.SYSTEM_ERROR, isp.unknow-error (20000), a timeout, a 5xx
    let refund = refund_request();
    let err = c.refund(&refund).await.unwrap_err();
    assert!(err.is_unknown_outcome(), "{err}");
    assert_eq!(err.sub_code(), Some(&SubCode::SystemError));
    assert!(
        err.to_string().contains("fastpay.refund.query")
            && err.to_string().contains("same out_request_no"),
        "{err}"
    );
    let err = c.refund(&refund).await.unwrap_err();
    assert!(err.is_unknown_outcome(), "{err}");
    assert_eq!(err.sub_code(), Some(&SubCode::UnknownSystemError));
    let err = c.refund(&refund).await.unwrap_err();
    assert!(err.is_unknown_outcome(), "{err}");
    assert!(matches!(
        unknown_cause(&err),
        AlipayError::Transport { source, .. } if source.kind() == ErrorKind::Timeout
    ));
    let err = c.refund(&refund).await.unwrap_err();
    assert!(err.is_unknown_outcome(), "{err}");
    assert!(matches!(
        unknown_cause(&err),
        AlipayError::UnexpectedAnswer { status: 503, .. }
    ));
    // a reset of a create after it may have been sent
    let err = c.create(&create_request()).await.unwrap_err();
    assert!(err.is_unknown_outcome(), "{err}");
    assert!(std::error::Error::source(&err).is_some());
    t.assert_done();
}

#[tokio::test]
async fn refusals_unsent_requests_and_failed_queries_are_not_unknown_outcomes() {
    let refused = r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_STATUS_ERROR","sub_msg":"交易状态不合法"}"#;
    let system_error = r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.SYSTEM_ERROR","sub_msg":"系统异常，请重新调用"}"#;
    let t = Arc::new(ReplayTransport::new([
        Expect::post("/gateway.do").respond_json(answer("alipay.trade.refund", refused)),
        Expect::post("/gateway.do").fail(ErrorKind::Connect),
        Expect::post("/gateway.do").respond_json(answer("alipay.trade.query", system_error)),
        Expect::post("/gateway.do").fail(ErrorKind::Timeout),
    ]));
    let c = client(&t);
    // a definite refusal
    let err = c.refund(&refund_request()).await.unwrap_err();
    assert!(!err.is_unknown_outcome(), "{err}");
    assert!(matches!(err, AlipayError::Api { .. }));
    assert_eq!(err.sub_code(), Some(&SubCode::TradeStatusError));
    // provably not sent: nothing happened
    let err = c.create(&create_request()).await.unwrap_err();
    assert!(
        !err.is_unknown_outcome() && !err.may_have_been_sent(),
        "{err}"
    );
    // a query changes nothing: its failure is a failure to read, send it again
    let q = TradeQuery::new(TradeRef::OutTradeNo(OutTradeNo::new("T1").unwrap()));
    let err = c.query(&q).await.unwrap_err();
    assert!(!err.is_unknown_outcome(), "{err}");
    assert_eq!(err.sub_code(), Some(&SubCode::SystemError));
    let err = c.query(&q).await.unwrap_err();
    assert!(matches!(err, AlipayError::Transport { .. }), "{err}");
    t.assert_done();
}
