//! Property tests: canonicalisation, sign/verify and the parsers' robustness.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use baidupay_crypto::{
    Algorithm, Error, PrivateKey, PublicKey, Rules, Signer, Verifier, canonical_string,
    canonical_string_of, form,
};
use base64::Engine as _;
use proptest::prelude::*;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../vectors/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn key_1024() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::parse(fixture("baidu/tv1-doc2021-private-pkcs1.pem")).unwrap())
}

fn key_2048() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::parse(fixture("alipay/java_prodcert_pkcs8.pem")).unwrap())
}

fn any_rules() -> impl Strategy<Value = Rules> {
    prop_oneof![
        Just(Rules::Baidu),
        Just(Rules::Alipay),
        Just(Rules::AlipayNotify)
    ]
}

fn any_alg() -> impl Strategy<Value = Algorithm> {
    prop_oneof![Just(Algorithm::RsaSha1), Just(Algorithm::RsaSha256)]
}

/// Unique keys (including the signature field names now and then) with arbitrary values.
fn params() -> impl Strategy<Value = BTreeMap<String, String>> {
    let key = prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_]{0,12}",
        Just("sign".to_owned()),
        Just("sign_type".to_owned()),
        Just("rsaSign".to_owned()),
    ];
    prop::collection::btree_map(key, "\\PC{0,16}", 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn canonical_string_is_independent_of_input_order(
        map in params(),
        rules in any_rules(),
        seed in any::<u64>(),
    ) {
        let sorted: Vec<(String, String)> = map.clone().into_iter().collect();
        let mut shuffled = sorted.clone();
        // deterministic shuffle from the seed
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = usize::try_from(s >> 33).unwrap() % (i + 1);
            shuffled.swap(i, j);
        }
        let a = canonical_string(rules, sorted.iter().map(|(k, v)| (k, v))).unwrap();
        let b = canonical_string(rules, shuffled.iter().map(|(k, v)| (k, v))).unwrap();
        prop_assert_eq!(&a, &b);
        // the slice form: the sorted fast path and the shuffled fallback agree
        prop_assert_eq!(&canonical_string_of(rules, &sorted).unwrap(), &a);
        prop_assert_eq!(&canonical_string_of(rules, &shuffled).unwrap(), &a);
        // and it contains exactly the kept pairs
        for (k, v) in &map {
            let kept = !rules.excluded().contains(&k.as_str()) && (rules.keeps_empty_values() || !v.is_empty());
            let pair = format!("{k}={v}");
            if kept {
                prop_assert!(a.split('&').any(|p| p == pair) || v.contains('&'), "{} missing from {}", pair, a);
            }
        }
    }

    #[test]
    fn canonical_string_never_panics(pairs in prop::collection::vec(("\\PC{0,8}", "\\PC{0,8}"), 0..10), rules in any_rules()) {
        let slice_form = canonical_string_of(rules, &pairs);
        match canonical_string(rules, pairs.iter().map(|(k, v)| (k, v))) {
            Ok(s) => prop_assert_eq!(slice_form.ok(), Some(s)),
            Err(Error::DuplicateParameter { key }) => {
                prop_assert!(slice_form.is_err());
                prop_assert!(pairs.iter().filter(|(k, _)| *k == key).count() >= 2)
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn form_parse_never_panics_and_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = form::parse(&bytes);
    }

    #[test]
    fn form_encode_then_parse_is_identity(map in prop::collection::btree_map("\\PC{1,10}", "\\PC{0,20}", 0..8)) {
        let pairs: Vec<(String, String)> = map.into_iter().collect();
        let body = form::encode(pairs.iter().map(|(k, v)| (k, v)));
        prop_assert_eq!(form::parse(body.as_bytes()).unwrap(), pairs);
    }

    #[test]
    fn sign_then_verify_holds_for_random_params(map in params(), rules in any_rules(), alg in any_alg(), big in any::<bool>()) {
        let key = if big { key_2048() } else { key_1024() };
        let signer = Signer::new(key.clone(), alg);
        let (string, sig) = signer.sign_params(rules, map.iter()).unwrap();
        let verifier = Verifier::new(key.public_key().clone(), alg);
        verifier.verify_params(rules, map.iter(), &sig).unwrap();
        verifier.verify_base64(string.as_bytes(), &sig).unwrap();
    }

    #[test]
    fn flipping_any_byte_fails(msg in prop::collection::vec(any::<u8>(), 1..64), alg in any_alg(), pos in any::<prop::sample::Index>(), bit in 0u8..8, in_sig in any::<bool>()) {
        let key = key_1024();
        let mut sig = Signer::new(key.clone(), alg).sign(&msg).unwrap();
        let verifier = Verifier::new(key.public_key().clone(), alg);
        verifier.verify(&msg, &sig).unwrap();
        let mut msg2 = msg.clone();
        if in_sig {
            let i = pos.index(sig.len());
            sig[i] ^= 1 << bit;
        } else {
            let i = pos.index(msg2.len());
            msg2[i] ^= 1 << bit;
        }
        prop_assert!(verifier.verify(&msg2, &sig).unwrap_err().is_bad_signature());
    }

    #[test]
    fn verify_never_panics_on_arbitrary_signatures(sig in prop::collection::vec(any::<u8>(), 0..600), text in "\\PC{0,400}", alg in any_alg()) {
        for key in [key_1024(), key_2048()] {
            let v = Verifier::new(key.public_key().clone(), alg);
            prop_assert!(v.verify(b"message", &sig).is_err());
            prop_assert!(v.verify_base64(b"message", &text).is_err());
            // well-formed base64 of any length (also past the 512-byte stack buffer) is a
            // bad signature, never an encoding error
            let b64 = base64::engine::general_purpose::STANDARD.encode(&sig);
            prop_assert!(v.verify_base64(b"message", &b64).unwrap_err().is_bad_signature());
        }
    }

    #[test]
    fn key_loaders_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(PrivateKey::parse(&bytes).is_err());
        prop_assert!(PublicKey::parse(&bytes).is_err());
        let _ = PrivateKey::from_der(&bytes);
        let _ = PublicKey::from_der(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = PrivateKey::from_pem(&text);
        let _ = PublicKey::from_base64(&text);
        let _ = baidupay_crypto::detect_format(&bytes);
    }

    #[test]
    fn key_loaders_never_panic_on_mutated_keys(which in 0usize..4, pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>(), truncate in any::<bool>()) {
        let mut der = match which {
            0 => key_1024().to_pkcs8_der().to_vec(),
            1 => key_1024().to_pkcs1_der().to_vec(),
            2 => key_1024().public_key().to_spki_der(),
            _ => key_2048().public_key().to_pkcs1_der(),
        };
        if truncate {
            der.truncate(cut.index(der.len()));
        } else {
            let i = pos.index(der.len());
            der[i] = byte;
        }
        // must not panic; a mutated private key either fails or still signs consistently
        if let Ok(k) = PrivateKey::from_der(&der) {
            let sig = Signer::new(k.clone(), Algorithm::RsaSha1).sign(b"x").unwrap();
            Verifier::new(k.public_key().clone(), Algorithm::RsaSha1).verify(b"x", &sig).unwrap();
        }
        let _ = PublicKey::from_der(&der);
    }
}
