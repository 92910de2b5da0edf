//! verify+parse of a real Baidu payment notify (TV-2) next to a bare verify of the same
//! signature over the same canonical string. Reported, never asserted. With
//! `NOTIFY_BENCH_PARTS=1` it also times the parts (owned form decode, canonical string,
//! typed parse, verification without the typed parse) for diagnosis.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use baidupay_crypto::{Algorithm, PublicKey, Rules, Verifier, canonical_string, form};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};
use criterion::{Criterion, criterion_group, criterion_main};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../vectors/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let key = PublicKey::parse(fixture("baidu/tv2-demo-platform-public.pem")).unwrap();
    let body = fixture("baidu/tv2-payment-notify-body.form");
    let pairs = form::parse(&body).unwrap();
    let sig = pairs
        .iter()
        .find(|(k, _)| k == "rsaSign")
        .unwrap()
        .1
        .clone();
    let content =
        canonical_string(Rules::BaiduCallback, pairs.iter().map(|(k, v)| (k, v))).unwrap();
    let verifier = Verifier::new(key.clone(), Algorithm::RsaSha1);
    let notifier = BaiduNotifier::new(key);
    verifier.verify_base64(content.as_bytes(), &sig).unwrap();
    notifier.payment(&body).unwrap();

    let mut g = c.benchmark_group("notify");
    g.bench_function("bare-verify", |b| {
        b.iter(|| verifier.verify_base64(black_box(content.as_bytes()), black_box(&sig)))
    });
    g.bench_function("verify-parse", |b| {
        b.iter(|| notifier.payment(black_box(&body)))
    });
    if std::env::var_os("NOTIFY_BENCH_PARTS").is_some() {
        g.bench_function("part-form-parse", |b| {
            b.iter(|| form::parse(black_box(&body)).unwrap())
        });
        g.bench_function("part-form-parse-borrowed", |b| {
            b.iter(|| form::parse_borrowed(black_box(&body)).unwrap())
        });
        g.bench_function("part-canonical", |b| {
            b.iter(|| {
                canonical_string(
                    Rules::BaiduCallback,
                    black_box(&pairs).iter().map(|(k, v)| (k, v)),
                )
                .unwrap()
            })
        });
        g.bench_function("part-from-pairs", |b| {
            b.iter(|| {
                baidupay_model::callback::PaymentNotification::from_pairs(black_box(pairs.clone()))
                    .unwrap()
            })
        });
        g.bench_function("part-verify-only", |b| {
            b.iter(|| notifier.verify(black_box(&body)).unwrap())
        });
    }
    g.finish();
    alipay(c);
}

/// The same pair for a real UTF-8 Alipay trade notify (N-1, RSA2 with a 2048-bit key): the
/// cost of the form decode, charset check, canonical string and typed parse over a bare verify.
fn alipay(c: &mut Criterion) {
    let key = PublicKey::parse(fixture("alipay/n1-alipay-public-key.txt")).unwrap();
    let body = fixture("alipay/n1-trade-notify-body.form");
    let pairs = form::parse(&body).unwrap();
    let sig = pairs.iter().find(|(k, _)| k == "sign").unwrap().1.clone();
    let content = canonical_string(Rules::AlipayNotify, pairs.iter().map(|(k, v)| (k, v))).unwrap();
    let verifier = Verifier::new(key.clone(), Algorithm::RsaSha256);
    let notifier = AlipayNotifier::new(key);
    verifier.verify_base64(content.as_bytes(), &sig).unwrap();
    notifier.trade(&body).unwrap();

    let mut g = c.benchmark_group("notify-alipay");
    g.bench_function("bare-verify", |b| {
        b.iter(|| verifier.verify_base64(black_box(content.as_bytes()), black_box(&sig)))
    });
    g.bench_function("verify-parse", |b| {
        b.iter(|| notifier.trade(black_box(&body)))
    });
    // a GBK notify (tests/fixtures, 2048-bit test key): a failed UTF-8 decode, the byte
    // decode, strict GBK decoding and the GBK canonical string on top
    let gbk_key = std::fs::read(format!(
        "{}/tests/fixtures/gbk-test-public.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let gbk_body = std::fs::read(format!(
        "{}/tests/fixtures/gbk-notify.form",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let gbk = AlipayNotifier::new(PublicKey::parse(gbk_key).unwrap());
    gbk.trade(&gbk_body).unwrap();
    g.bench_function("verify-parse-gbk", |b| {
        b.iter(|| gbk.trade(black_box(&gbk_body)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
