//! Parsing arbitrary bytes never panics and never returns a verified notification without a
//! valid signature; a mutated signed body verifies only if it still means the same pairs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use baidupay_crypto::{Algorithm, PrivateKey, Rules, Signer, form};
use baidupay_notify::BaiduNotifier;
use proptest::prelude::*;

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(1024).unwrap())
}

fn body() -> &'static String {
    static BODY: OnceLock<String> = OnceLock::new();
    BODY.get_or_init(|| {
        let fields = [
            ("orderId", "800020199"),
            ("userId", "1"),
            ("tpOrderId", "T1"),
            ("dealId", "7"),
            ("totalMoney", "1600"),
            ("payMoney", "1600"),
            ("status", "2"),
            ("returnData", "{\"a\":\"b c\"}"),
        ];
        let (_, sig) = Signer::new(key().clone(), Algorithm::RsaSha1)
            .sign_params(Rules::BaiduCallback, fields)
            .unwrap();
        let mut all = fields.to_vec();
        all.push(("rsaSign", &sig));
        form::encode(all)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_verify(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let n = BaiduNotifier::new(key().public_key().clone());
        prop_assert!(n.verify(&bytes).is_err());
        prop_assert!(n.payment(&bytes).is_err());
    }

    #[test]
    fn form_shaped_garbage_never_verifies(s in "([a-zA-Z]{1,8}=[a-zA-Z0-9%+/=]{0,16}&){0,8}rsaSign=[A-Za-z0-9+/]{0,40}={0,2}") {
        let n = BaiduNotifier::new(key().public_key().clone());
        prop_assert!(n.verify(s.as_bytes()).is_err());
    }

    #[test]
    fn mutations_verify_only_with_the_same_meaning(pos in 0usize..400, byte in any::<u8>()) {
        let n = BaiduNotifier::new(key().public_key().clone());
        let original = n.verify(body().as_bytes()).unwrap();
        let mut mutated = body().clone().into_bytes();
        let i = pos % mutated.len();
        mutated[i] = byte;
        if let Ok(v) = n.verify(&mutated) {
            let mut a = v.into_pairs();
            let mut b = original.into_pairs();
            a.sort();
            b.sort();
            prop_assert_eq!(a, b);
        }
    }
}
