//! Baidu cashier callbacks signed as the platform signs them, then verified and parsed: the
//! input gives the form fields (a form-like `name=value&…` text, see
//! `baidupay_fuzz::fields`), the target signs them (SHA1withRSA, every field but `rsaSign`,
//! empty values kept) with the test key, and the body must verify, give back exactly the
//! signed fields, and parse as each callback (payment notify, refund audit, refund notify) to a
//! value or a clear `Invalid` error. A parsed callback re-encodes to fields that parse to the
//! same callback.
//!
//! The first input byte places `rsaSign` in the body (low 6 bits) and, with its top bit, leaves
//! the signature unescaped (its `+` then arrives as a space).
#![no_main]

use std::sync::OnceLock;

use baidupay_crypto::{Algorithm, Rules};
use baidupay_model::callback::{PaymentNotification, RefundAuditRequest, RefundNotification};
use baidupay_notify::{BaiduCallback, BaiduKind, BaiduNotifier, NotifyError};
use libfuzzer_sys::fuzz_target;

fn notifier() -> &'static BaiduNotifier {
    static N: OnceLock<BaiduNotifier> = OnceLock::new();
    N.get_or_init(|| BaiduNotifier::new(baidupay_fuzz::test_key().public_key().clone()))
}

fn signer() -> &'static baidupay_crypto::Signer {
    static S: OnceLock<baidupay_crypto::Signer> = OnceLock::new();
    S.get_or_init(|| baidupay_fuzz::signer(Algorithm::RsaSha1))
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let fields = baidupay_fuzz::fields(rest, &["rsaSign"]);
    let (_, sig) = signer()
        .sign_params(Rules::BaiduCallback, fields.iter().map(|(k, v)| (k, v)))
        .expect("distinct names sign");
    let body = baidupay_fuzz::signed_body(
        &fields,
        "rsaSign",
        &sig,
        usize::from(control & 0x3f),
        control & 0x80 != 0,
    );
    let n = notifier();
    let verified = match n.verify(body.as_bytes()) {
        Ok(v) => v,
        Err(e) => panic!("a correctly signed callback did not verify: {e:?}\nbody: {body}"),
    };
    let mut signed = fields.clone();
    signed.sort_unstable();
    assert_eq!(
        verified.into_pairs(),
        signed,
        "verified fields differ from the signed ones"
    );

    for kind in [
        BaiduKind::Payment,
        BaiduKind::RefundAudit,
        BaiduKind::Refund,
    ] {
        match n.parse(kind, body.as_bytes()) {
            Ok(BaiduCallback::Payment(p)) => {
                assert_eq!(
                    PaymentNotification::from_pairs(p.to_pairs()).as_ref(),
                    Ok(&p)
                );
            }
            Ok(BaiduCallback::RefundAudit(r)) => {
                assert_eq!(
                    RefundAuditRequest::from_pairs(r.to_pairs()).as_ref(),
                    Ok(&r)
                );
            }
            Ok(BaiduCallback::Refund(r)) => {
                assert_eq!(
                    RefundNotification::from_pairs(r.to_pairs()).as_ref(),
                    Ok(&r)
                );
            }
            Ok(other) => panic!("{kind:?} parsed as {other:?}"),
            Err(NotifyError::Invalid(e)) => assert!(!e.to_string().is_empty()),
            Err(e) => panic!("a verified {kind:?} failed other than as invalid: {e:?}"),
        }
    }
});
