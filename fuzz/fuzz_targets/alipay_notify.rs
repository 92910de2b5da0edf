//! Arbitrary bodies against the Alipay notify parser: never a panic, never verified.
#![no_main]

use std::sync::OnceLock;

use baidupay_crypto::PublicKey;
use baidupay_notify::AlipayNotifier;
use libfuzzer_sys::fuzz_target;

fn notifier() -> &'static AlipayNotifier {
    static N: OnceLock<AlipayNotifier> = OnceLock::new();
    N.get_or_init(|| {
        let key = include_str!("../../vectors/alipay/n1-alipay-public-key.txt");
        AlipayNotifier::new(PublicKey::parse(key.trim()).expect("fixture key"))
    })
}

fuzz_target!(|data: &[u8]| {
    assert!(notifier().verify(data).is_err(), "forged notify verified");
    assert!(notifier().trade(data).is_err());
});
