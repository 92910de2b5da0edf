//! The scripted fake and (with `--features mock`) mockall's MockTransport.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use http::Request;

use baidupay_transport::replay::{Expect, ReplayTransport};
use baidupay_transport::{ErrorKind, Transport};

#[tokio::test]
async fn matches_query_form_and_headers_in_any_order() {
    let t = ReplayTransport::new([
        Expect::post("/pay")
            .query(&[("access_token", "T")])
            .form(&[("b", "2 3"), ("a", "订单")])
            .header("content-type", "application/x-www-form-urlencoded")
            .respond(201, "done")
            .respond_header("x-id", "9"),
        Expect::get("/fail").fail(ErrorKind::Timeout),
    ]);
    let req = Request::post("https://h/pay?access_token=T")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from("a=%E8%AE%A2%E5%8D%95&b=2+3"))
        .unwrap();
    let resp = t.send(req).await.unwrap();
    assert_eq!(
        (resp.status().as_u16(), resp.body().as_ref()),
        (201, b"done".as_ref())
    );
    assert_eq!(resp.headers()["x-id"], "9");
    let err = t
        .send(Request::get("https://h/fail").body(Bytes::new()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let recorded = t.requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(
        recorded[0].form_pairs()[0],
        ("a".to_owned(), "订单".to_owned())
    );
    t.assert_done();
}

#[tokio::test]
async fn mismatch_is_reported() {
    let t = ReplayTransport::new([Expect::get("/a").query(&[("x", "1")])]);
    let err = t
        .send(Request::get("https://h/a?x=2").body(Bytes::new()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(err.to_string().contains("query"), "{err}");
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.assert_done()));
    assert!(caught.is_err(), "assert_done must fail after a mismatch");
}

#[tokio::test]
async fn unused_expectation_fails_assert_done() {
    let t = ReplayTransport::new([Expect::get("/never")]);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.assert_done()));
    assert!(caught.is_err());
}

#[cfg(feature = "mock")]
#[tokio::test]
async fn mockall_mock_transport() {
    use baidupay_transport::MockTransport;
    let mut m = MockTransport::new();
    m.expect_send()
        .withf(|r| r.uri().path() == "/m")
        .times(1)
        .returning(|_| Ok(http::Response::new(Bytes::from_static(b"mocked"))));
    let shared: std::sync::Arc<dyn Transport> = std::sync::Arc::new(m);
    let resp = shared
        .send(Request::get("https://h/m").body(Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.body().as_ref(), b"mocked");
}
