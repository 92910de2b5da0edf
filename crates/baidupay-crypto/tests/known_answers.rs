//! Known-answer tests: published Baidu and Alipay keys, signatures and callback bodies.
//! Every signature is deterministic (PKCS#1 v1.5), so signing must match byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baidupay_crypto::{
    Algorithm, Error, KeyFormat, PrivateKey, PublicKey, Rules, Signer, Verifier, canonical_string,
    detect_format, form,
};
use base64::Engine as _;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

fn fixture_str(path: &str) -> String {
    String::from_utf8(fixture(path)).unwrap()
}

fn pem_body_one_line(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

const TV1_SIGNATURE: &str = "TN0ZNPyQeTnPjCN5hUa7JwrXOhR8uDASXPazidVQHFSiGCH5aouBkVvJxtf8PeqzGYWAASwS2oOt2eJfunzC5dTFd/pWJeJToMgCSgRY7KtQUCCDnMrtpqiMAf+dLiXps3HpWhVB4CK6MXfHc64ejP5a2fu5bg8B0BTcHrqaGc0=";

// ------------------------------------------------------------------------------------------
// Baidu

#[test]
fn tv1_every_key_form_gives_the_published_rsa_sign() {
    let pkcs1 = fixture_str("baidu/tv1-doc2021-private-pkcs1.pem");
    let pkcs8 = fixture_str("baidu/tv1-doc2021-private-pkcs8.pem");
    let message = fixture("baidu/tv1-message.txt");
    assert_eq!(fixture_str("baidu/tv1-signature.b64").trim(), TV1_SIGNATURE);

    let one_line_pkcs8 = pem_body_one_line(&pkcs8);
    let one_line_pkcs1 = pem_body_one_line(&pkcs1);
    let der_pkcs8 = base64::engine::general_purpose::STANDARD
        .decode(&one_line_pkcs8)
        .unwrap();
    let wrapped_with_spaces = format!("  \n{}\r\n ", pkcs8.replace('\n', "\r\n"));
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("pem pkcs1", pkcs1.clone().into_bytes()),
        ("pem pkcs8", pkcs8.clone().into_bytes()),
        ("one-line pkcs8", one_line_pkcs8.clone().into_bytes()),
        ("one-line pkcs1", one_line_pkcs1.into_bytes()),
        (
            "one-line with whitespace",
            format!("\n  {one_line_pkcs8}  \n").into_bytes(),
        ),
        ("der pkcs8", der_pkcs8),
        ("crlf pem with padding", wrapped_with_spaces.into_bytes()),
    ];
    for (name, input) in inputs {
        let key = PrivateKey::parse(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let sig = Signer::new(key, Algorithm::RsaSha1)
            .sign_base64(&message)
            .unwrap();
        assert_eq!(sig, TV1_SIGNATURE, "{name}");
    }
    // The explicit loaders agree with parse().
    let a = PrivateKey::from_pem(&pkcs1).unwrap();
    let b = PrivateKey::from_base64(&one_line_pkcs8).unwrap();
    assert_eq!(a.public_key(), b.public_key());
}

#[test]
fn tv1_order_info_string_and_public_key() {
    let s = canonical_string(
        Rules::Baidu,
        [
            ("tpOrderId", "3028903626"),
            ("totalAmount", "11300"),
            ("dealId", "470193086"),
            ("appKey", "MMMabc"),
        ],
    )
    .unwrap();
    assert_eq!(s.as_bytes(), fixture("baidu/tv1-message.txt").as_slice());
    let public = PublicKey::parse(fixture("baidu/tv1-doc2021-public.pem")).unwrap();
    Verifier::new(public, Algorithm::RsaSha1)
        .verify_base64(s.as_bytes(), TV1_SIGNATURE)
        .unwrap();
}

fn tv2_pairs() -> Vec<(String, String)> {
    form::parse(&fixture("baidu/tv2-payment-notify-body.form")).unwrap()
}

fn tv2_verify(pairs: &[(String, String)]) -> Result<(), Error> {
    let public = PublicKey::parse(fixture("baidu/tv2-demo-platform-public.pem")).unwrap();
    let sign = pairs
        .iter()
        .find(|(k, _)| k == "rsaSign")
        .unwrap()
        .1
        .clone();
    Verifier::new(public, Algorithm::RsaSha1).verify_params(
        Rules::Baidu,
        pairs.iter().map(|(k, v)| (k, v)),
        &sign,
    )
}

#[test]
fn tv2_real_payment_notify_verifies() {
    let pairs = tv2_pairs();
    let s = canonical_string(Rules::Baidu, pairs.iter().map(|(k, v)| (k, v))).unwrap();
    assert_eq!(
        s,
        "count=1&dealId=2500207776&giftCardMoney=0&hbBalanceMoney=0&hbMoney=0&orderId=2645985458&partnerId=0&payMoney=1&payTime=1542124311&payType=1117&promoDetail=&promoMoney=0&returnData=&status=2&totalMoney=1&tpOrderId=18607895241&unitPrice=1&userId=3269234686470"
    );
    tv2_verify(&pairs).unwrap();
}

#[test]
fn tv2_changing_any_one_field_fails() {
    let pairs = tv2_pairs();
    for i in 0..pairs.len() {
        if pairs[i].0 == "rsaSign" {
            continue;
        }
        // change the value
        let mut changed = pairs.clone();
        changed[i].1.push('1');
        let err = tv2_verify(&changed).unwrap_err();
        assert!(err.is_bad_signature(), "changing {} must fail", pairs[i].0);
        // drop the field (an empty field is still signed)
        let mut dropped = pairs.clone();
        dropped.remove(i);
        assert!(
            tv2_verify(&dropped).unwrap_err().is_bad_signature(),
            "dropping {}",
            pairs[i].0
        );
    }
    // an extra field fails too
    let mut extra = pairs.clone();
    extra.push(("newField".into(), "x".into()));
    assert!(tv2_verify(&extra).unwrap_err().is_bad_signature());
    // a duplicated field is an error, not a silent pick
    let mut dup = pairs.clone();
    dup.push(("totalMoney".into(), "1".into()));
    assert!(matches!(
        tv2_verify(&dup),
        Err(Error::DuplicateParameter { .. })
    ));
}

#[test]
fn tv5_regression_values() {
    let cases = [
        (
            "baidu/tv1-doc2021-private-pkcs1.pem",
            "appKey=MMMabc&dealId=470193086&tpOrderId=3028903626",
            "mHJZy2KTReP3KvogscBKtx0lo91/LklrVjWes9Tj4ZtGNJUixPgsp4iizPuTbDUm+5Z4phnQdRj9MyqSIPWmikzON+hC9YsVqs18O9lVmcgWANKHXmvnbFp8vcAHcw1uVYY9tr18IRuJ3rqII0nIeyx1+E2oLnT8LLi4+j8EEZ0=",
        ),
        (
            "baidu/tv3-doc2020-private-pkcs1.pem",
            "appKey=MMMabc&dealId=470193086&totalAmount=11300&tpOrderId=3028903626",
            "WiHBuQy0CEE36YKiDVmZN3QcszoAjcDBCD3G5w7WMVakk6vXxin+fi+pwlgBAFMS7DVQzNljDAr0MJWV/ZeaMYs0B538bDgJIR87psCmWMxwy15LWesFZCxAqKDlCnr7b5Y4OuopN2jJwMtgG3ehMbM3jRxq6kNfVSmyPoZaUvs=",
        ),
        (
            "baidu/tv4-demo-merchant-private-pkcs1.pem",
            "appKey=MMMzUX&dealId=470193086&tpOrderId=16944676582",
            "VIUied4lLynVpkHDCIIQBNkh4t7yL8sIayvUnqnm400qBScv/DrDgByTbk2m6MsjLpZmikbY0c+Yp+0wq8VWysTz6h645ODVi7w/gIRHwdiRnOsfRqVVdS8h+bV8vOyyotrUBhoIhn9l+9Ke75Tb2zZwvwIY8v6QrjH0MF/51UY=",
        ),
        (
            "baidu/tv4-demo-merchant-private-pkcs1.pem",
            "appKey=MMMzUX&dealId=470193086&totalAmount=1&tpOrderId=16944676582",
            "QTYVW1Z4zrIiLdfA93IIyh+8mFNKxNNhlP9E+Poj+sHSSYb1jvzNXxrypGs6A+ZIt6yeY8j64RLUpcimn4vDPomLRbQT+LIjsJI+Na105f9wCipv5f1g/K04jXEZKv9gbEr+vBs/7qGcg3hS3TTc1qeoQ43njD2Uc3DT8IPrKCw=",
        ),
    ];
    for (key_path, message, expected) in cases {
        let key = PrivateKey::parse(fixture(key_path)).unwrap();
        let public = key.public_key().clone();
        let sig = Signer::new(key, Algorithm::RsaSha1)
            .sign_base64(message.as_bytes())
            .unwrap();
        assert_eq!(sig, expected, "{key_path} / {message}");
        Verifier::new(public, Algorithm::RsaSha1)
            .verify_base64(message.as_bytes(), expected)
            .unwrap();
    }
    // the published public halves match the private keys
    for (private, public) in [
        (
            "baidu/tv3-doc2020-private-pkcs8.pem",
            "baidu/tv3-doc2020-public.pem",
        ),
        (
            "baidu/tv4-demo-merchant-private-pkcs1.pem",
            "baidu/tv4-demo-merchant-public.pem",
        ),
    ] {
        let key = PrivateKey::parse(fixture(private)).unwrap();
        assert_eq!(
            key.public_key(),
            &PublicKey::parse(fixture(public)).unwrap()
        );
    }
}

// ------------------------------------------------------------------------------------------
// Alipay request signing (alipay-jsapi.md 8.1)

fn assert_signs(key: &PrivateKey, alg: Algorithm, content: &[u8], expected: &str) {
    let sig = Signer::new(key.clone(), alg).sign_base64(content).unwrap();
    assert_eq!(sig, expected);
    Verifier::new(key.public_key().clone(), alg)
        .verify_base64(content, expected)
        .unwrap();
}

#[test]
fn alipay_r1_r2_r1a_java_prodcert_key() {
    let pem = PrivateKey::parse(fixture("alipay/java_prodcert_pkcs8.pem")).unwrap();
    let one_line = PrivateKey::parse(fixture("alipay/java_prodcert_pkcs8.b64")).unwrap();
    assert_eq!(pem.public_key(), one_line.public_key());
    assert_eq!(pem.bits(), 2048);
    // its public key is the one inside the app certificate and the extracted PEM
    let from_cert = PublicKey::parse(fixture("alipay/java_prodcert_app.crt")).unwrap();
    assert_eq!(pem.public_key(), &from_cert);
    assert_eq!(
        &from_cert,
        &PublicKey::parse(fixture("alipay/java_prodcert_pub.pem")).unwrap()
    );

    let r1 = canonical_string(
        Rules::Alipay,
        [
            ("method", "koubei.marketing.data.indicator.query"),
            ("app_id", "2019090366875133"),
            ("sign_type", "RSA2"),
        ],
    )
    .unwrap();
    assert_eq!(
        r1,
        "app_id=2019090366875133&method=koubei.marketing.data.indicator.query&sign_type=RSA2"
    );
    assert_signs(
        &one_line,
        Algorithm::RsaSha256,
        r1.as_bytes(),
        "JzoDc8VxY1/w6yN9WdWV10aipS3YcRpK+jw4xfLybf90ZK9L3AHLUJbNLWVnHW3IuLoJbBeSGVxSbPBhe4ggPklcYUkPowgtlZ6YlthuQDtjF23h2obXuXkQRd+RPbDWvOA5AYQjsKH8uSHil5aRARewPIPhukl9Mn4HEovUccsBR/RirQFSGmGYiMM0zvhVSR7pXZDEhiADzvzAkvVVTI1/HbNqcoBU4ctSPAGsuDPO/mah1+IwGQAuPP6xoEPL+3zQ0wztQCwHT2o8aQmxFJ9a09q8ybRprHaNjCgTaLDeTWE0o1pllZIE8c7wnG3cOuj6quYjTcQyLm6P4M87Zw==",
    );

    let r2 = "app_id=2019090366875133&extra=中文测试&method=koubei.marketing.data.indicator.query&sign_type=RSA2";
    assert_signs(
        &pem,
        Algorithm::RsaSha256,
        r2.as_bytes(),
        "KrRGUY3/2JX3KtlLgus8CbK0xuUIBDCpOdJkVzJDefez6HvlA8RA6uCVj2rrMd7DgVfarG5SROdSnkZbf8MLKHbVoFqi9w0QCvto9mc8n3ezfWejZECJVCZhbJ3OslB+4gij9+F70usrnCNEJZm02ntyNdVzcqMbgdRMB93BJIRC1jjmCotpXgXWrRdTb/SfhIAkoHqgGi2aCUHuLDInLGZCn8NeziGWMnFOic6/sE/nMpwriOmwLb2nyzD0fGiolwuuxlOGMcBHAb22J8XqchFHyCpbs2A/rWdJMjhUfqsErbtZQM93fi1xfL2pUa9RMWX0Q81Qk7iSEeHCR+NGyQ==",
    );

    let r1a = "app_id=2019090366875133&method=koubei.marketing.data.indicator.query&sign_type=RSA";
    assert_signs(
        &pem,
        Algorithm::RsaSha1,
        r1a.as_bytes(),
        "RkEZgdCVF4TF48+tVZlPLEUMgrOoff3TGynWtXRUmzMXxmsCX8Y9YtpZE+NNg/JGpYQ5htTDd8PXVqiG5fqvzE2g4ugDutr++BeQ2eJQ1uhasp6VIPTSAPWHRD7FSXqZfOoWvxeFHF9WGnzXw5eueOdGMZYXdjhR6srj+ZAeJxyR402FVNbRuI/hDZVq27xWi4CQ2ffdV0lf7E2V/HMUPXECbIKkTnLXrwJBmsLgTGbTDGf7pGo0y0rkRvdsg9BmPPswfTeq/o2rlxD0XxrK1MPZ4uSPFhpdWVEyNchtXEfKoVsaYeVXV3cMfZi9zcKc6RCE8ezF9LxRJp1R0BxKEg==",
    );
}

#[test]
fn alipay_r3_jsapi_trade_create() {
    // K-NODE: PKCS#1 PEM with the whole body on one line.
    let key = PrivateKey::parse(fixture("alipay/node_app-private-key.pem")).unwrap();
    assert_eq!(
        key.public_key(),
        &PublicKey::parse(fixture("alipay/node_app-public-key.pem")).unwrap()
    );
    let content = fixture_str("alipay/jsapi_content.txt");
    let biz = r#"{"out_trade_no":"20240513000001","total_amount":"88.88","subject":"测试商品","product_code":"JSAPI_PAY","op_app_id":"2021000122671080","buyer_open_id":"074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5"}"#;
    let params = [
        ("app_id", "2021000122671080"),
        ("method", "alipay.trade.create"),
        ("format", "JSON"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", "2024-05-13 17:49:20"),
        ("version", "1.0"),
        ("notify_url", "https://api.example.com/alipay/notify"),
        ("app_auth_token", ""),
        ("biz_content", biz),
    ];
    let s = canonical_string(Rules::Alipay, params).unwrap();
    assert_eq!(s, content.trim_end_matches('\n'));
    let expected = "PIhyKRPh846vSA1sx6qNeDAgD8bKAVGrJ/CBzAI5Us+5NZuuBSamd8oZPdrb+aAMcvUglVt0rgsmV0Pqn00CvKePLUgwCSq4Ezm2EcPolVaYasn1cnk/6ZqBqDUVWp0yISb5DQ06EP8Re+qahiAesSXL/HQY3vYrkMNumQnKCorqSg87ABRJMyYRbI5r5cG3hAYG+uoLOsJ9d0YAZdg/IilodXxzdhfh4upsJEAMxaWmsnTE1PUjT8u0Tp2MGhp8FMw85gjAAlqvIkQDlitWMEb4Za+n60ZRbB5bkJ/uVZ9Od5W2KG0dS4Ul7sDoXIrAJXFDG1c12xkyjKPtQojr1Q==";
    assert_signs(&key, Algorithm::RsaSha256, s.as_bytes(), expected);
}

#[test]
fn alipay_r4_cert_mode_string_with_bare_pkcs1_key() {
    let key = PrivateKey::parse(fixture("alipay/wd_priv.txt")).unwrap();
    assert_eq!(
        detect_format(fixture("alipay/wd_priv.txt")).unwrap(),
        KeyFormat::Pkcs1Private
    );
    assert_eq!(
        key.public_key(),
        &PublicKey::parse(fixture("alipay/wd_pub.txt")).unwrap()
    );
    let content = r#"alipay_root_cert_sn=687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6&app_cert_sn=1aca24501cc5cd3ac19089ff49d99d63&app_id=2021000117650139&biz_content={"buyer_id":"2088102175953034","out_trade_no":"1620630871769533001","subject":"iPhone","timestamp":"2021-05-08 17:09:04","total_amount":"88.88"}&charset=utf-8&format=JSON&method=alipay.trade.create&sign_type=RSA2&timestamp=2021-05-12 17:18:09&version=1.0"#;
    assert_signs(
        &key,
        Algorithm::RsaSha256,
        content.as_bytes(),
        "Iz/CJFF1/AvL+Al5MBneCblzUNxTqhta+XNrK8qjevm0pY7+OrvJFCJQwoflajfv/Qneh1O0LCeYt8dsYsl9vr+0309oWQ4hPXHK1aA0gUkCaXMbGxnvGVeCh0RJgBHs4Vjz8C3+gx4obTTNVWqGG/h5juunz8kom1aHedXob7iXAxMLhnHX0eGc2kK95hnZ7jF3RprghtFYZt7LPgMpjazfgjtuAe4ALp2JMkOy0zhlK9FF2LGV1bxdHx9qYXRiNBhIahMBzuYA+G7vP0aaqDuFeOEBkOXnJxO8hGS6myQsAEFTS+QRkLmG1mtdyr+/dV6y32jjbZ74xVF/7gO65w==",
    );
}

#[test]
fn alipay_r5_hello_newline_both_algorithms() {
    let key = PrivateKey::parse(fixture("alipay/fz_app_private_key.pem")).unwrap();
    assert_eq!(
        key.public_key(),
        &PublicKey::parse(fixture("alipay/fz_app_public_key.pem")).unwrap()
    );
    assert_signs(
        &key,
        Algorithm::RsaSha256,
        b"hello\n",
        "N1IQLlHVZSmai3D0kF2r3IZTwrpUQdh0pbUAjE8bbiKBjRUvXX2T127yJW2pre4kPlS2HWgdbV6yDqk2ykIDHldFnJBkhs/UPwt4D1Lt2rKgGETH1Tn98vgvbmYtAXNZDCAK6CcA+FTVFrpsHmBC4AkUppOb97gzmDeTRh9vTOXzNoMBv7bYktdCRPBODQEXhcTfYNS57JgB25+uuHeAQdju3TdMeupHj2K0ktpBCLNwc9FOXAjOBil0Bo3aEV4+RLllGcsig5oe3vrKL5OfenSzA9YbgiGhHC8lWtYYeeBlOY0zijRTb+uCnnwMQTKbLHY/1HoY/D9b7n1uBAL1Bw==",
    );
    assert_signs(
        &key,
        Algorithm::RsaSha1,
        b"hello\n",
        "Q7kdCF6TYdKFOFAjrlmi910KVZ7NnDY+/DeQVe3Qd81BhGSF2ChutTqQB2skMbqBgAzZrBj9kIrty7vBzY5LxdiUQbWGsM7THGb9w7MYqFpTKKtAy4ZJUUpCxQ0gqEvoSAR21F288IgJIuBZc1MJbBr6n2uMPVHl3zc0Box8trDPjqiVOWpDLrfFcBdQeFj4udPemGc8MbWvv6MZNIsGrBJKi5zYGlbv+hsooVgjNNWWrWkIBRivMxMfA2K4CKl3kJoxflEwGr5G9o/qGPXb7xCS7NZWU9F+DQeiw7R4GRyRqtFOUMEWE5uR/rLUoFVdmhgFcgSoIbw9Bpe1XLc8SQ==",
    );
}

// ------------------------------------------------------------------------------------------
// Alipay responses (8.2, 8.3) at signature level: the signed content is the raw substring of
// the `<method>_response` value. Extraction proper comes with the Alipay client; here a fixed
// split of these known bodies is enough.

fn split_response(body: &str) -> (&str, String) {
    let start = body.find("_response\":").unwrap() + "_response\":".len();
    let end = body
        .find(",\"alipay_cert_sn\"")
        .or_else(|| body.rfind(",\"sign\""))
        .unwrap();
    let sign_start = body.rfind("\"sign\":\"").unwrap() + "\"sign\":\"".len();
    let sign = body[sign_start..]
        .trim_end_matches("\"}")
        .replace("\\/", "/");
    (&body[start..end], sign)
}

fn verify_rsa2(public: &PublicKey, content: &str, sign: &str) -> Result<(), Error> {
    Verifier::new(public.clone(), Algorithm::RsaSha256).verify_base64(content.as_bytes(), sign)
}

#[test]
fn alipay_v1_v2_real_responses_verify() {
    let a_node = PublicKey::parse(fixture("alipay/node_alipay-public-key.pem")).unwrap();
    assert_eq!(
        a_node,
        PublicKey::parse(fixture("alipay/node_alipay-public-key-no-wrapper.pem")).unwrap()
    );
    let v1 = fixture_str("alipay/responses/v1.json");
    let (content, sign) = split_response(&v1);
    assert_eq!(
        content,
        r#"{"code":"10000","msg":"Success","file_id":"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr"}"#
    );
    verify_rsa2(&a_node, content, &sign).unwrap();

    let v2 = fixture_str("alipay/responses/v2.json");
    let (content, sign) = split_response(&v2);
    assert!(content.contains("&amp;") && content.contains("验签出错"));
    verify_rsa2(&a_node, content, &sign).unwrap();
    // unescaping the HTML entities breaks it: the content is signed as sent
    assert!(
        verify_rsa2(&a_node, &content.replace("&amp;", "&"), &sign)
            .unwrap_err()
            .is_bad_signature()
    );
}

#[test]
fn alipay_v3_v4_real_responses_verify() {
    let stable =
        PublicKey::parse(fixture("alipay/node_alipay_stable_rsa2_public_key.pem")).unwrap();
    let v3 = fixture_str("alipay/responses/v3.json");
    let (content, sign) = split_response(&v3);
    verify_rsa2(&stable, content, &sign).unwrap();

    let gopay = PublicKey::parse(fixture("alipay/gopay_v4_alipay_public_key.txt")).unwrap();
    let content = fixture_str("alipay/responses/v4-content.json");
    let sign = fixture_str("alipay/responses/v4-sign.b64");
    verify_rsa2(&gopay, &content, &sign).unwrap();
    // the wrong key fails
    assert!(
        verify_rsa2(&stable, &content, &sign)
            .unwrap_err()
            .is_bad_signature()
    );
}

#[test]
fn alipay_x1_x2_x3_synthetic_responses() {
    let k_node = PublicKey::parse(fixture("alipay/node_app-public-key.pem")).unwrap();
    for name in ["x1", "x2", "x3"] {
        let body = fixture_str(&format!("alipay/responses/{name}.json"));
        let (content, sign) = split_response(&body);
        verify_rsa2(&k_node, content, &sign).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // X-2 must not verify after re-serialisation (\u escapes and \/ decoded)
    let body = fixture_str("alipay/responses/x2.json");
    let (content, sign) = split_response(&body);
    let reserialised = content
        .replace("\\u6d4b\\u8bd5", "测试")
        .replace("\\/", "/");
    assert_ne!(reserialised, content);
    assert!(
        verify_rsa2(&k_node, &reserialised, &sign)
            .unwrap_err()
            .is_bad_signature()
    );
}

// ------------------------------------------------------------------------------------------
// Alipay notifications (8.4)

#[test]
fn alipay_n1_trade_notify_v1_drops_sign_type() {
    let key = PublicKey::parse(fixture("alipay/n1-alipay-public-key.txt")).unwrap();
    assert_eq!(
        key,
        PublicKey::parse(fixture("alipay/notify_v1_inline.b64")).unwrap()
    );
    // the fixture file of the same name holds a different key, which must not verify N-1
    let other =
        PublicKey::parse(fixture("alipay/node_alipay-notify-sign-public-key-v1.pem")).unwrap();
    assert_ne!(key, other);

    let pairs = form::parse(&fixture("alipay/n1-trade-notify-body.form")).unwrap();
    let sign = pairs.iter().find(|(k, _)| k == "sign").unwrap().1.clone();
    let content = canonical_string(Rules::AlipayNotify, pairs.iter().map(|(k, v)| (k, v))).unwrap();
    assert_eq!(
        content,
        "app_id=2019073166072302&auth_app_id=2019073166072302&buyer_id=2088102534368455&buyer_logon_id=xud***@126.com&buyer_pay_amount=0.10&charset=utf-8&fund_bill_list=[{\"amount\":\"0.10\",\"fundChannel\":\"ALIPAYACCOUNT\"}]&gmt_create=2019-08-15 15:56:22&gmt_payment=2019-08-15 15:56:24&invoice_amount=0.10&notify_id=2019081500222155624068450559358070&notify_time=2019-08-15 15:56:25&notify_type=trade_status_sync&out_trade_no=20190815155618536-564-57&point_amount=0.00&receipt_amount=0.10&seller_email=z97-yuquerevenue@service.aliyun.com&seller_id=2088531891668739&subject=语雀空间 500人规模&total_amount=0.10&trade_no=2019081522001468450512505578&trade_status=TRADE_SUCCESS&version=1.0"
    );
    let v = Verifier::new(key.clone(), Algorithm::RsaSha256);
    v.verify_base64(content.as_bytes(), &sign).unwrap();
    // with sign_type kept (V2 rules) it fails
    let v2 = canonical_string(Rules::Alipay, pairs.iter().map(|(k, v)| (k, v))).unwrap();
    assert!(
        v.verify_base64(v2.as_bytes(), &sign)
            .unwrap_err()
            .is_bad_signature()
    );
    // the altered trade_no of the SDK's negative test fails
    let altered: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, val)| {
            let val = if k == "trade_no" {
                "111111112019052322001426431037869358".to_owned()
            } else {
                val.clone()
            };
            (k.clone(), val)
        })
        .collect();
    assert!(
        v.verify_params(
            Rules::AlipayNotify,
            altered.iter().map(|(k, v)| (k, v)),
            &sign
        )
        .unwrap_err()
        .is_bad_signature()
    );
    // and so does the wrong key
    assert!(
        Verifier::new(other, Algorithm::RsaSha256)
            .verify_base64(content.as_bytes(), &sign)
            .unwrap_err()
            .is_bad_signature()
    );
}

#[test]
fn alipay_n2_gateway_message_v2_keeps_sign_type() {
    let key =
        PublicKey::parse(fixture("alipay/node_alipay-notify-sign-public-key-v2.pem")).unwrap();
    let params = [
        ("app_id", "2017122801303261"),
        ("charset", "UTF-8"),
        ("commodity_order_id", "2019030800000018079639"),
        ("contactor", "技术支持测试的公司"),
        ("merchant_pid", "2088721996721370"),
        ("method", "alipay.open.servicemarket.order.notify"),
        ("name", "技术支持测试的公司"),
        ("notify_id", "2019030800222102023008121054923345"),
        ("notify_time", "2019-03-08 10:20:23"),
        ("notify_type", "servicemarket_order_notify"),
        ("order_item_num", "1"),
        ("order_ticket", "29b1c37d99ab48c5bd5bdaeaeaefbB37"),
        ("order_time", "2019-03-08 10:20:08"),
        ("phone", "17826894615"),
        ("service_code", "58621634"),
        ("sign_type", "RSA2"),
        ("timestamp", "2019-03-08 10:20:23"),
        ("title", "麦禾商城模版"),
        ("total_price", "0.00"),
        ("version", "1.0"),
    ];
    let sign = "MsK5SCw8oqLw4f0hiNSd5OVGXxBY3wnQeT8vn5PklJSZFWSZbK4hQbNvkp4ZezeXQH514cEv0ul6Qow8yh6e6yM06LfEL+EZjcpZ0nxzFGRNQ5qq2AUc1OaXQdk92AGvxh+Iq4NGpPQFBd4D8EBJa3NJd8+czMfQskceosOQFqUtLQMYa5DPs+VpN7VM5BdXjaVIuKn5d9Wm2B9dI9ObIM+YRySDkZZPv14DVmUvcrcqJfOR8aHvtSd7B4l92wUQPQgQKNcOQho7xOHS/Bk+Y74AZL2y7TkNmdDoq9OGsThuF5tDW9rI9nVwXxOtsuB+bstra+W7aw9x9DvkKgdSRw==";
    let v = Verifier::new(key, Algorithm::RsaSha256);
    v.verify_params(Rules::Alipay, params, sign).unwrap();
    assert!(
        v.verify_params(Rules::AlipayNotify, params, sign)
            .unwrap_err()
            .is_bad_signature()
    );
    let mut altered = params;
    altered[14].1 = "58621634111";
    assert!(
        v.verify_params(Rules::Alipay, altered, sign)
            .unwrap_err()
            .is_bad_signature()
    );
}

// ------------------------------------------------------------------------------------------
// Certificates and key formats

#[test]
fn certificates_yield_their_public_keys() {
    let c2 = PublicKey::parse(fixture("alipay/node_alipayCertPublicKey_RSA2.crt")).unwrap();
    assert_eq!(
        c2.to_base64(),
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAhoVesfcGvUv1XvUndmX0rmSZ/2posJBCooySbSVFpV79RtHMzrVz2aKkC3WvOXeT5iNeQK4mK8gp3vNkWrHTkQGx5BcmkeO1WS384CQde7dAS0gmxeFs5bs+cCQqV2A2c2R9/5rJMtFtp1Ot/rIiMBUn6Ei0UoztM7AneavqQEzSwYlCKNhPFFtHCiz7u4O5R9CIyvUmYr+zpem2HXBN9ygPAZ0aXBQipGbc45+G07ZCNsmY4hV/Igya1aBf+Ye8p10Ew8uBBri0sIknhSC2LqKKy2IH1fO6q1d1jhN240QRHvbpRNv60kAfZsEulBASBrCMBi49NiJyr5nre7SNywIDAQAB"
    );
    assert_eq!(
        c2,
        PublicKey::parse(fixture("alipay/node_alipaycert_pub.pem")).unwrap()
    );
    for cert in [
        "alipay/node_appCertPublicKey_2021001161683774.crt",
        "alipay/gopay_alipayPublicCert.crt",
        "alipay/gopay_appPublicCert.crt",
    ] {
        assert_eq!(
            detect_format(fixture(cert)).unwrap(),
            KeyFormat::Certificate,
            "{cert}"
        );
        let key = PublicKey::parse(fixture(cert)).unwrap_or_else(|e| panic!("{cert}: {e}"));
        assert!(key.bits() >= 2048);
    }
    let cert_der = {
        let pem = fixture_str("alipay/java_prodcert_app.crt");
        base64::engine::general_purpose::STANDARD
            .decode(pem_body_one_line(&pem))
            .unwrap()
    };
    assert_eq!(
        PublicKey::from_der(&cert_der).unwrap(),
        PublicKey::parse(fixture("alipay/java_prodcert_pub.pem")).unwrap()
    );
}

#[test]
fn pkcs1_public_keys_and_exports_round_trip() {
    let key = PublicKey::parse(fixture("baidu/tv1-doc2021-public.pem")).unwrap();
    let pkcs1_der = key.to_pkcs1_der();
    let pkcs1_pem = format!(
        "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(&pkcs1_der)
    );
    assert_eq!(detect_format(&pkcs1_pem).unwrap(), KeyFormat::Pkcs1Public);
    assert_eq!(PublicKey::parse(&pkcs1_pem).unwrap(), key);
    assert_eq!(PublicKey::from_der(&pkcs1_der).unwrap(), key);
    assert_eq!(PublicKey::from_base64(&key.to_base64()).unwrap(), key);
    assert_eq!(PublicKey::from_pem(&key.to_spki_pem()).unwrap(), key);
    assert_eq!(
        key.to_spki_pem(),
        fixture_str("baidu/tv1-doc2021-public.pem")
    );
}

#[test]
fn key_errors_say_what_is_wrong() {
    // public key where a private one is expected
    let err = PrivateKey::parse(fixture("baidu/tv1-doc2021-public.pem")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ExpectedPrivateKey {
                found: KeyFormat::SpkiPublic
            }
        ),
        "{err}"
    );
    let err = PrivateKey::parse(fixture("alipay/java_prodcert_app.crt")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ExpectedPrivateKey {
                found: KeyFormat::Certificate
            }
        ),
        "{err}"
    );
    // private key where a public one is expected
    let err = PublicKey::parse(fixture("alipay/java_prodcert_pkcs8.b64")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ExpectedPublicKey {
                found: KeyFormat::Pkcs8Private
            }
        ),
        "{err}"
    );
    // truncated one-line key (cut when copying from a console)
    let one_line = fixture_str("alipay/java_prodcert_pkcs8.b64");
    let err = PrivateKey::parse(&one_line[..one_line.len() / 2 / 4 * 4]).unwrap_err();
    assert!(matches!(err, Error::TruncatedKey { .. }), "{err}");
    // truncated PEM
    let pem = fixture_str("baidu/tv1-doc2021-private-pkcs1.pem");
    let err = PrivateKey::parse(&pem[..pem.len() - 40]).unwrap_err();
    assert!(matches!(err, Error::TruncatedKey { .. }), "{err}");
    // garbage
    let err = PrivateKey::parse("not a key at all!").unwrap_err();
    assert!(err.is_key_error(), "{err}");
    let err = PublicKey::parse(b"\x30\x03\x02\x01").unwrap_err();
    assert!(matches!(err, Error::TruncatedKey { .. }), "{err}");
    // encrypted keys, both flavours
    let enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert!(matches!(PrivateKey::parse(enc), Err(Error::EncryptedKey)));
    let legacy = pem.replace(
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n",
    );
    assert!(matches!(
        PrivateKey::parse(legacy),
        Err(Error::EncryptedKey)
    ));
    // the message tells how to fix it
    assert!(Error::EncryptedKey.to_string().contains("openssl pkcs8"));
}

#[test]
fn small_and_non_rsa_keys_are_refused() {
    // a 512-bit RSA key (generated with openssl genrsa 512)
    let small = "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMSlj8wOCuRlYAVk5bOBYkG0eqMsxiDl\nDd0Bq2nHDsvFy4hE5ZWpnKTaUSyk/+qZWk4LRl6+nyd7n11NGV5GBQkCAwEAAQ==\n-----END PUBLIC KEY-----\n";
    let err = PublicKey::parse(small).unwrap_err();
    assert!(matches!(err, Error::KeyTooSmall { bits: 512 }), "{err}");
    // an EC P-256 public key
    let ec = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGKPcrPWcs7KHSj2m4HCNIBvuJ0Jo\nnJNydwkj8DnZOlFaQ5VPUwnyr3VuEcU4dF9ctR6jGQu1LpkD9P3zqg53LQ==\n-----END PUBLIC KEY-----\n";
    let err = PublicKey::parse(ec).unwrap_err();
    assert!(
        matches!(&err, Error::NotRsa { algorithm } if algorithm.contains("EC")),
        "{err}"
    );
    // an EC private key PEM
    let ec_priv = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n";
    assert!(matches!(
        PrivateKey::parse(ec_priv),
        Err(Error::NotRsa { .. })
    ));
    // the SM2 certificate inside Alipay's root bundle is named as such (the first block of the
    // bundle is that SM2 root, so loading the bundle as a key says so)
    assert!(matches!(
        PublicKey::parse(fixture("alipay/node_alipayRootCert.crt")),
        Err(Error::NotRsa { algorithm }) if algorithm.contains("SM2")
    ));
    let root = fixture_str("alipay/node_alipayRootCert.crt");
    let blocks: Vec<&str> = root.split("-----END CERTIFICATE-----").collect();
    let mut names = Vec::new();
    for b in blocks.iter().filter(|b| b.contains("BEGIN")) {
        let pem = format!("{b}-----END CERTIFICATE-----\n");
        if let Err(Error::NotRsa { algorithm }) = PublicKey::parse(&pem) {
            names.push(algorithm);
        }
    }
    assert!(names.iter().any(|n| n.contains("SM2")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("EC")), "{names:?}");
}

#[test]
fn generated_keys_work_and_export() {
    let key = PrivateKey::generate(1024).unwrap();
    assert_eq!(key.bits(), 1024);
    let pem = key.to_pkcs8_pem();
    let again = PrivateKey::parse(pem.as_bytes()).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    let signer = Signer::new(again, Algorithm::RsaSha1);
    let sig = signer.sign_base64(b"abc").unwrap();
    Verifier::new(key.public_key().clone(), Algorithm::RsaSha1)
        .verify_base64(b"abc", &sig)
        .unwrap();
    assert!(matches!(
        PrivateKey::generate(512),
        Err(Error::UnsupportedKeySize { bits: 512 })
    ));
}

#[test]
fn verify_rejects_wrong_lengths_and_garbage() {
    let key = PublicKey::parse(fixture("baidu/tv1-doc2021-public.pem")).unwrap();
    let v = Verifier::new(key, Algorithm::RsaSha1);
    let msg = fixture("baidu/tv1-message.txt");
    assert!(matches!(
        v.verify_base64(&msg, "not base64!"),
        Err(Error::SignatureEncoding)
    ));
    for sig in [
        vec![],
        vec![0u8; 1],
        vec![0u8; 127],
        vec![0u8; 128],
        vec![0xffu8; 128],
        vec![0u8; 129],
        vec![7u8; 4096],
    ] {
        assert!(
            v.verify(&msg, &sig).unwrap_err().is_bad_signature(),
            "len {}",
            sig.len()
        );
    }
    // the right signature under the wrong algorithm fails
    let v256 = Verifier::new(v.key().clone(), Algorithm::RsaSha256);
    assert!(
        v256.verify_base64(&msg, TV1_SIGNATURE)
            .unwrap_err()
            .is_bad_signature()
    );
}
