//! The form decoder: never panics; the borrowed and owned decoders agree; a decoded body
//! re-encodes to something that decodes to the same pairs; the typed callback parsers never
//! panic on whatever pairs come out.
#![no_main]

use baidupay_crypto::form;
use baidupay_model::callback::{PaymentNotification, RefundAuditRequest, RefundNotification};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let owned = form::parse(data);
    let borrowed = form::parse_borrowed(data);
    match (&owned, &borrowed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.len(), b.len());
            for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                assert_eq!((ka.as_str(), va.as_str()), (kb.as_ref(), vb.as_ref()));
            }
            let again = form::parse(form::encode(a.iter().map(|(k, v)| (k, v))).as_bytes())
                .expect("re-encoded body decodes");
            assert_eq!(&again, a);
            let _ = PaymentNotification::from_pairs(a.clone());
            let _ = RefundAuditRequest::from_pairs(a.clone());
            let _ = RefundNotification::from_pairs(a.clone());
            let _ = baidupay_model::alipay::TradeNotification::from_pairs(a.clone());
        }
        (Err(_), Err(_)) => {}
        _ => panic!("decoders disagree: {owned:?} vs {borrowed:?}"),
    }
});
