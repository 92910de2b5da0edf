//! The Alipay response extractor and certificate parsers never panic, and extracted content is
//! always a slice of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = std::str::from_utf8(data)
        && let Ok(r) = baidupay_alipay::response::extract(body, "alipay.trade.query")
    {
        let start = r.content.as_ptr() as usize - body.as_ptr() as usize;
        assert_eq!(&body[start..start + r.content.len()], r.content);
    }
    let _ = baidupay_crypto::cert::alipay_root_cert_sn(data);
    let _ = baidupay_crypto::cert::Certificate::from_der(data);
});
