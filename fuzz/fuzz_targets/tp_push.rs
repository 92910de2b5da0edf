//! The TP audit push parser and the Baidu envelope decoder never panic on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = baidupay_notify::tp::parse_audit_push_unauthenticated(Some("application/json"), data);
    let _ =
        baidupay_model::envelope::decode_baidu::<baidupay_model::cashier::OrderDetail>(data, "x");
    let _ = baidupay_model::callback::PaymentAck::parse(data);
    let _ = baidupay_model::callback::RefundAuditAnswer::parse(data);
});
