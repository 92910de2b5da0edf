//! Money parsers: never panic; whatever parses prints back byte for byte.
#![no_main]

use baidupay_model::{Fen, SignedYuan, Yuan, YuanAmount};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(v) = s.parse::<Fen>() {
        assert_eq!(v.to_string(), s);
    }
    if let Ok(v) = s.parse::<Yuan>() {
        assert_eq!(v.to_string(), s);
        assert!(v.fen().get() >= 1 && v.fen().get() <= 10_000_000_000);
    }
    if let Ok(v) = s.parse::<YuanAmount>() {
        assert_eq!(v.to_string(), s);
    }
    if let Ok(v) = s.parse::<SignedYuan>() {
        assert_eq!(v.to_string(), s);
    }
});
