//! Sign and verify throughput for the cases the platforms use: SHA1withRSA with 1024- and
//! 2048-bit keys (Baidu) and SHA256withRSA with 2048-bit keys (Alipay). Keys are parsed once,
//! as in production. `cargo xtask bench` runs this for both backends next to `openssl speed`
//! and prints ops/s and ratios.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use baidupay_crypto::{Algorithm, PrivateKey, Signer, Verifier};
use criterion::{Criterion, criterion_group, criterion_main};

/// The message of `../shared/perf.md`: a Baidu orderInfo string, 70 bytes.
const MESSAGE: &[u8] = b"appKey=MMMabc&dealId=470193086&totalAmount=11300&tpOrderId=3028903626";

fn key(path: &str) -> PrivateKey {
    let full = format!("{}/../../vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    PrivateKey::parse(std::fs::read(full).unwrap()).unwrap()
}

fn bench(c: &mut Criterion) {
    let backend = baidupay_crypto::backend_name();
    let k1024 = key("baidu/tv1-doc2021-private-pkcs8.pem");
    let k2048 = key("alipay/java_prodcert_pkcs8.pem");
    let cases = [
        ("sha1-1024", &k1024, Algorithm::RsaSha1),
        ("sha1-2048", &k2048, Algorithm::RsaSha1),
        ("sha256-2048", &k2048, Algorithm::RsaSha256),
    ];

    let mut group = c.benchmark_group(format!("sign-{backend}"));
    for (name, key, alg) in cases {
        let signer = Signer::new(key.clone(), alg);
        group.bench_function(name, |b| {
            b.iter(|| signer.sign(black_box(MESSAGE)).unwrap())
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("verify-{backend}"));
    for (name, key, alg) in cases {
        let signer = Signer::new(key.clone(), alg);
        let sig = signer.sign(MESSAGE).unwrap();
        let verifier = Verifier::new(key.public_key().clone(), alg);
        group.bench_function(name, |b| {
            b.iter(|| {
                verifier
                    .verify(black_box(MESSAGE), black_box(&sig))
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
