//! Key loading, exports and verification behaviours around the published keys and bodies of
//! `vectors/` (the known answers themselves run from `vectors/manifest.json` in `vectors.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baidupay_crypto::{
    Algorithm, Error, KeyFormat, PrivateKey, PublicKey, Rules, Signer, Verifier, detect_format,
    form,
};
use base64::Engine as _;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/../../vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

fn fixture_str(path: &str) -> String {
    String::from_utf8(fixture(path)).unwrap()
}

fn pem_body_one_line(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

// ------------------------------------------------------------------------------------------
// Baidu

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

// ------------------------------------------------------------------------------------------
// Certificates and key formats

#[test]
fn a_certificate_as_der_gives_its_public_key() {
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
        v256.verify_base64(&msg, fixture_str("baidu/tv1-signature.b64").trim())
            .unwrap_err()
            .is_bad_signature()
    );
}
