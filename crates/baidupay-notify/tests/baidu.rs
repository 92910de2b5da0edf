//! Baidu callbacks through the public API: the real TV-2 notify, tampering, generated
//! notifies signed at test time, the `+` decoding accidents, every refusal, the answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use baidupay_crypto::{Algorithm, PrivateKey, PublicKey, Rules, Signer, form};
use baidupay_model::callback::RefundNotifyStatus;
use baidupay_model::{Fen, OrderId, TpOrderId};
use baidupay_notify::http::{BaiduAnswer, handle_baidu};
use baidupay_notify::{
    BaiduCallback, BaiduKind, BaiduNotifier, NotifyError, OrderMismatch, PaymentAck, check_payment,
};
use bytes::Bytes;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/../../vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn tv2_notifier() -> BaiduNotifier {
    BaiduNotifier::new(PublicKey::parse(fixture("baidu/tv2-demo-platform-public.pem")).unwrap())
}

fn tv2_body() -> Vec<u8> {
    fixture("baidu/tv2-payment-notify-body.form")
}

/// A throwaway platform key, generated once per test binary.
fn platform() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(1024).unwrap())
}

fn notifier() -> BaiduNotifier {
    BaiduNotifier::new(platform().public_key().clone())
}

/// Signs `fields` as Baidu does and encodes the body in the given order.
fn signed_body(fields: &[(&str, &str)]) -> String {
    let signer = Signer::new(platform().clone(), Algorithm::RsaSha1);
    let (_, sig) = signer
        .sign_params(Rules::BaiduCallback, fields.iter().copied())
        .unwrap();
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("rsaSign", &sig));
    form::encode(all.iter().copied())
}

const PAYMENT: &[(&str, &str)] = &[
    ("userId", "149235070"),
    ("orderId", "800020199"),
    ("unitPrice", "800"),
    ("count", "2"),
    ("totalMoney", "1600"),
    ("payMoney", "1200"),
    ("promoMoney", "100"),
    ("hbMoney", "100"),
    ("hbBalanceMoney", "100"),
    ("giftCardMoney", "100"),
    ("dealId", "7423328"),
    ("payTime", "1463037529"),
    ("promoDetail", ""),
    ("payType", "9101"),
    ("partnerId", "1000000003"),
    ("status", "2"),
    ("tpOrderId", "33330020199"),
    ("returnData", r#"{"k":"中文 & = + % 空格","n":[1,2]}"#),
];

#[test]
fn tv2_any_change_fails() {
    let notifier = tv2_notifier();
    let pairs = form::parse(&tv2_body()).unwrap();
    let encode = |p: &[(String, String)]| form::encode(p.iter().map(|(k, v)| (k, v)));
    for i in 0..pairs.len() {
        if pairs[i].0 == "rsaSign" {
            continue;
        }
        let mut changed = pairs.clone();
        changed[i].1.push('1');
        let e = notifier.payment(encode(&changed).as_bytes()).unwrap_err();
        assert!(
            matches!(e, NotifyError::BadSignature),
            "changed {}: {e}",
            pairs[i].0
        );
        let mut removed = pairs.clone();
        removed.remove(i);
        let e = notifier.payment(encode(&removed).as_bytes()).unwrap_err();
        assert!(
            matches!(e, NotifyError::BadSignature),
            "removed {}: {e}",
            pairs[i].0
        );
    }
    for extra in [
        ("newField", "x"),
        ("sign", "x"),
        ("sign_type", "RSA"),
        ("empty", ""),
    ] {
        let mut added = pairs.clone();
        added.push((extra.0.into(), extra.1.into()));
        let e = notifier.payment(encode(&added).as_bytes()).unwrap_err();
        assert!(
            matches!(e, NotifyError::BadSignature),
            "added {}: {e}",
            extra.0
        );
    }
}

#[test]
fn generated_notify_any_order_empty_fields_special_characters() {
    let body = signed_body(PAYMENT);
    let n = notifier().payment(body.as_bytes()).unwrap();
    assert_eq!(n.return_data, PAYMENT[17].1);
    assert_eq!(n.promo_detail, "");
    assert_eq!(n.gift_card_money, Some(Fen::new(100)));
    // the same fields in reverse order verify too (the canonical string sorts)
    let mut reversed: Vec<(String, String)> = form::parse(body.as_bytes()).unwrap();
    reversed.reverse();
    let body2 = form::encode(reversed.iter().map(|(k, v)| (k, v)));
    assert_eq!(notifier().payment(body2.as_bytes()).unwrap(), n);
}

#[test]
fn unknown_fields_are_signed_and_kept() {
    let mut fields = PAYMENT.to_vec();
    fields.push(("brandNewField", "v 2"));
    let n = notifier().payment(signed_body(&fields).as_bytes()).unwrap();
    assert_eq!(
        n.extra.get("brandNewField").map(String::as_str),
        Some("v 2")
    );
}

#[test]
fn plus_in_rsa_sign_arriving_as_space() {
    // TV-2's real signature contains '+' (sent as %2B); unescaped it decodes to a space
    let tv2 = String::from_utf8(tv2_body()).unwrap();
    assert!(tv2.contains("%2B"));
    let unescaped = tv2.replace("%2B", "+");
    let n = tv2_notifier().payment(unescaped.as_bytes()).unwrap();
    assert_eq!(n.order_id, OrderId::new(2_645_985_458));
    // and the same with a generated signature
    let body = signed_body(PAYMENT);
    // re-insert the signature with its '+' unescaped, as a careless sender would
    let pairs = form::parse(body.as_bytes()).unwrap();
    let sig = &pairs.iter().find(|(k, _)| k == "rsaSign").unwrap().1;
    let without: Vec<_> = pairs.iter().filter(|(k, _)| k != "rsaSign").collect();
    let mut raw = form::encode(without.iter().map(|(k, v)| (k, v)));
    raw.push_str("&rsaSign=");
    raw.push_str(&sig.replace('/', "%2F").replace('=', "%3D"));
    if sig.contains('+') {
        assert!(raw.contains('+'));
    }
    notifier().payment(raw.as_bytes()).unwrap();
}

#[test]
fn literal_plus_in_a_value_is_read_as_signed() {
    // The platform signed "a+b" and sent it unescaped: the second reading accepts it.
    let fields = [
        ("orderId", "1"),
        ("refundBatchId", "9"),
        ("refundStatus", "1"),
        ("tpOrderId", "A+B"),
    ];
    let body = signed_body(&fields).replace("A%2BB", "A+B");
    assert!(body.contains("tpOrderId=A+B"));
    let n = notifier().refund(body.as_bytes()).unwrap();
    assert_eq!(n.tp_order_id.unwrap(), "A+B");
    assert_eq!(n.refund_status, RefundNotifyStatus::Succeeded);
    // but a signature over "A B" is read as "A B"
    let fields = [
        ("orderId", "1"),
        ("refundBatchId", "9"),
        ("refundStatus", "2"),
        ("note", "A B"),
    ];
    let n = notifier().refund(signed_body(&fields).as_bytes()).unwrap();
    assert_eq!(n.extra["note"], "A B");
}

#[test]
fn refusals_are_distinct() {
    let n = notifier();
    let good = signed_body(PAYMENT);
    let dup = format!("{good}&orderId=1");
    assert!(
        matches!(n.payment(dup.as_bytes()), Err(NotifyError::DuplicateParameter { name }) if name == "orderId")
    );
    let two_sigs = format!("{good}&rsaSign=AAAA");
    assert!(
        matches!(n.payment(two_sigs.as_bytes()), Err(NotifyError::DuplicateParameter { name }) if name == "rsaSign")
    );
    let no_sig = form::encode(PAYMENT.iter().copied());
    assert!(matches!(
        n.payment(no_sig.as_bytes()),
        Err(NotifyError::MissingSignature { field: "rsaSign" })
    ));
    let empty_sig = format!("{no_sig}&rsaSign=");
    assert!(matches!(
        n.payment(empty_sig.as_bytes()),
        Err(NotifyError::MissingSignature { .. })
    ));
    let bad_b64 = format!("{no_sig}&rsaSign=%21%21%21");
    assert!(matches!(
        n.payment(bad_b64.as_bytes()),
        Err(NotifyError::SignatureEncoding { .. })
    ));
    let not_utf8 = format!("{good}&x=%FF");
    assert!(matches!(
        n.payment(not_utf8.as_bytes()),
        Err(NotifyError::NotUtf8 { .. })
    ));
    let mut raw_not_utf8 = good.clone().into_bytes();
    raw_not_utf8.extend_from_slice(b"&x=\xff");
    assert!(matches!(
        n.payment(&raw_not_utf8),
        Err(NotifyError::NotUtf8 { .. })
    ));
    assert!(matches!(
        n.payment(b"a=%G0"),
        Err(NotifyError::MalformedBody { .. })
    ));
    let big = vec![b'a'; 64 * 1024 + 1];
    assert!(matches!(
        n.payment(&big),
        Err(NotifyError::BodyTooLarge {
            size: 65537,
            limit: 65536
        })
    ));
    let small = notifier().max_body(16);
    assert!(matches!(
        small.payment(good.as_bytes()),
        Err(NotifyError::BodyTooLarge { .. })
    ));
    assert!(matches!(
        n.verify_request(Some("application/json"), good.as_bytes()),
        Err(NotifyError::UnsupportedContentType { .. })
    ));
    n.verify_request(
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
        good.as_bytes(),
    )
    .unwrap();
    // another platform key: a forgery
    let e = tv2_notifier().payment(good.as_bytes()).unwrap_err();
    assert!(e.is_forgery_suspect(), "{e}");
    // verified but malformed: the money field is not an integer
    let mut fields = PAYMENT.to_vec();
    fields[4] = ("totalMoney", "16.00");
    let e = n.payment(signed_body(&fields).as_bytes()).unwrap_err();
    assert!(matches!(e, NotifyError::Invalid(_)), "{e}");
    assert_eq!(e.to_string(), "verified callback has an invalid field");
    let field = std::error::Error::source(&e).map(ToString::to_string);
    assert!(
        field.as_deref().is_some_and(|m| m.contains("totalMoney")),
        "{field:?}"
    );
}

#[test]
fn order_checks_name_the_difference() {
    let n = notifier().payment(signed_body(PAYMENT).as_bytes()).unwrap();
    let id = TpOrderId::new("33330020199").unwrap();
    check_payment(&n, &id, Fen::new(1600)).unwrap();
    assert!(matches!(
        check_payment(&n, &id, Fen::new(1200)),
        Err(OrderMismatch::TotalMoney { expected, found }) if expected == Fen::new(1200) && found == Fen::new(1600)
    ));
    assert!(matches!(
        check_payment(&n, &TpOrderId::new("other").unwrap(), Fen::new(1600)),
        Err(OrderMismatch::TpOrderId { .. })
    ));
    let mut fields = PAYMENT.to_vec();
    fields[15] = ("status", "-1");
    let cancelled = notifier().payment(signed_body(&fields).as_bytes()).unwrap();
    assert!(matches!(
        check_payment(&cancelled, &id, Fen::new(1600)),
        Err(OrderMismatch::NotPaid(_))
    ));
}

#[test]
fn refund_audit_and_refund_notify() {
    let audit = [
        ("orderId", "800020199"),
        ("userId", "149235070"),
        ("tpOrderId", "33330020199"),
        ("refundBatchId", "100058888"),
        ("applyRefundMoney", "1600"),
    ];
    let r = notifier()
        .refund_audit(signed_body(&audit).as_bytes())
        .unwrap();
    assert_eq!(r.apply_refund_money, Some(Fen::new(1600)));
    let cb = notifier()
        .parse(BaiduKind::RefundAudit, signed_body(&audit).as_bytes())
        .unwrap();
    assert!(matches!(cb, BaiduCallback::RefundAudit(_)));
    let refund = [
        ("orderId", "800020199"),
        ("refundBatchId", "100058888"),
        ("refundStatus", "2"),
        ("userId", ""),
        ("tpOrderId", ""),
    ];
    let r = notifier().refund(signed_body(&refund).as_bytes()).unwrap();
    assert_eq!(r.refund_status, RefundNotifyStatus::Failed);
    assert_eq!((r.user_id, r.tp_order_id), (None, None));
}

#[test]
fn http_glue_answers_exactly() {
    let req = http::Request::post("/notify/baidu?from=query&orderId=666")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(signed_body(PAYMENT)))
        .unwrap();
    let mut seen = None;
    let resp = handle_baidu(
        &notifier(),
        BaiduKind::Payment,
        &req,
        |cb| {
            seen = Some(cb);
            BaiduAnswer::Payment(PaymentAck::consumed())
        },
        |e| panic!("refused: {e}"),
    );
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(
        resp.body().as_ref(),
        br#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#
    );
    let Some(BaiduCallback::Payment(p)) = seen else {
        panic!("handler not called")
    };
    assert_eq!(
        p.order_id,
        OrderId::new(800_020_199),
        "query parameters are never read"
    );

    let forged = http::Request::post("/notify/baidu")
        .body(Bytes::from(tv2_body()))
        .unwrap();
    let mut refused = None;
    let resp = handle_baidu(
        &notifier(),
        BaiduKind::Payment,
        &forged,
        |_| panic!("handler must not run on a forged callback"),
        |e| refused = Some(e.is_forgery_suspect()),
    );
    assert_eq!(resp.status(), 400);
    assert_eq!(refused, Some(true));
    assert!(String::from_utf8_lossy(resp.body()).contains(r#""errno":1"#));
}

#[test]
fn tp_audit_push() {
    use baidupay_model::tp::TpAuditEvent;
    let p = baidupay_notify::tp::parse_audit_push_unauthenticated(
        Some("application/json"),
        &fixture("tp/audit_push_fail.json"),
    )
    .unwrap();
    assert_eq!(p.event, TpAuditEvent::CreateAccountFail);
    assert!(
        baidupay_notify::tp::parse_audit_push_unauthenticated(Some("application/json"), b"{")
            .is_err()
    );
    assert!(matches!(
        baidupay_notify::tp::parse_audit_push_unauthenticated(Some("text/html"), b"{}"),
        Err(NotifyError::UnsupportedContentType { .. })
    ));
}
