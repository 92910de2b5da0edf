//! Arbitrary bodies against the Baidu callback parsers: never a panic, never a verified
//! callback (nobody but the platform key's holder can sign).
#![no_main]

use std::sync::OnceLock;

use baidupay_crypto::PublicKey;
use baidupay_notify::{BaiduKind, BaiduNotifier};
use libfuzzer_sys::fuzz_target;

fn notifier() -> &'static BaiduNotifier {
    static N: OnceLock<BaiduNotifier> = OnceLock::new();
    N.get_or_init(|| {
        let pem = include_str!("../../vectors/baidu/tv2-demo-platform-public.pem");
        BaiduNotifier::new(PublicKey::parse(pem).expect("fixture key"))
    })
}

fuzz_target!(|data: &[u8]| {
    let n = notifier();
    assert!(n.verify(data).is_err(), "forged body verified");
    for kind in [
        BaiduKind::Payment,
        BaiduKind::RefundAudit,
        BaiduKind::Refund,
    ] {
        assert!(n.parse(kind, data).is_err());
    }
});
