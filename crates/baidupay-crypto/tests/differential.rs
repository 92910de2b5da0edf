//! Differential tests against the `openssl` command-line tool: signatures made here verify with
//! `openssl dgst`, and signatures made by `openssl dgst` verify here. Skipped, with a printed
//! notice, where the `openssl` CLI is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use baidupay_crypto::{Algorithm, PrivateKey, Rules, Signer, Verifier, canonical_string};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("NOTICE: `openssl` CLI not found; differential tests skipped");
    }
    ok
}

fn digest_flag(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::RsaSha1 => "-sha1",
        Algorithm::RsaSha256 => "-sha256",
        _ => unreachable!(),
    }
}

fn openssl_verify(dir: &Path, alg: Algorithm, public_pem: &str, msg: &[u8], sig: &[u8]) -> bool {
    std::fs::write(dir.join("pub.pem"), public_pem).unwrap();
    std::fs::write(dir.join("msg"), msg).unwrap();
    std::fs::write(dir.join("sig"), sig).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", digest_flag(alg), "-verify"])
        .arg(dir.join("pub.pem"))
        .arg("-signature")
        .arg(dir.join("sig"))
        .arg(dir.join("msg"))
        .output()
        .unwrap();
    out.status.success()
}

fn openssl_sign(dir: &Path, alg: Algorithm, private_pem: &str, msg: &[u8]) -> Vec<u8> {
    std::fs::write(dir.join("priv.pem"), private_pem).unwrap();
    std::fs::write(dir.join("msg"), msg).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", digest_flag(alg), "-sign"])
        .arg(dir.join("priv.pem"))
        .arg(dir.join("msg"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn keys() -> Vec<PrivateKey> {
    let dir = env!("CARGO_MANIFEST_DIR");
    vec![
        PrivateKey::parse(
            std::fs::read(format!(
                "{dir}/../../vectors/baidu/tv4-demo-merchant-private-pkcs1.pem"
            ))
            .unwrap(),
        )
        .unwrap(),
        PrivateKey::parse(
            std::fs::read(format!("{dir}/../../vectors/alipay/fz_app_private_key.pem")).unwrap(),
        )
        .unwrap(),
    ]
}

fn params() -> impl Strategy<Value = (std::collections::BTreeMap<String, String>, bool, bool)> {
    (
        prop::collection::btree_map("[a-zA-Z][a-zA-Z0-9_]{0,10}", "\\PC{0,24}", 1..8),
        any::<bool>(),
        any::<bool>(),
    )
}

#[test]
fn sdk_signatures_verify_with_openssl_cli_and_back() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = keys();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    runner
        .run(&params(), |(map, big, sha256)| {
            let key = &keys[usize::from(big)];
            let alg = if sha256 {
                Algorithm::RsaSha256
            } else {
                Algorithm::RsaSha1
            };
            let rules = if sha256 { Rules::Alipay } else { Rules::Baidu };
            let msg = canonical_string(rules, map.iter()).unwrap();
            let public_pem = key.public_key().to_spki_pem();

            // SDK signs -> openssl verifies
            let sig = Signer::new(key.clone(), alg).sign(msg.as_bytes()).unwrap();
            prop_assert!(openssl_verify(
                dir.path(),
                alg,
                &public_pem,
                msg.as_bytes(),
                &sig
            ));
            // a tampered message is rejected by openssl too (the CLI check can fail)
            let mut tampered = msg.clone().into_bytes();
            tampered.push(b'x');
            prop_assert!(!openssl_verify(
                dir.path(),
                alg,
                &public_pem,
                &tampered,
                &sig
            ));

            // openssl signs -> SDK verifies, and both produce the same bytes
            let theirs = openssl_sign(dir.path(), alg, &key.to_pkcs8_pem(), msg.as_bytes());
            prop_assert_eq!(&theirs, &sig);
            Verifier::new(key.public_key().clone(), alg)
                .verify(msg.as_bytes(), &theirs)
                .unwrap();
            Ok(())
        })
        .unwrap();
}
