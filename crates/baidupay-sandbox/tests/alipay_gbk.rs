//! An Alipay app registered with `charset: "GBK"` gets its trade notifies as Alipay sends them
//! for such an app: `charset=GBK`, values percent-encoded as GBK bytes, signed over the GBK
//! bytes of the canonical string; `baidupay-notify` verifies them and reads the Chinese text
//! back. Apps registered without a charset stay UTF-8.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use baidupay_crypto::{PrivateKey, PublicKey};
use baidupay_notify::{AlipayNotifier, Charset};
use baidupay_sandbox::SandboxConfig;
use serde_json::json;
use support::{Client, Receiver, gateway, start};

/// Registers `app_id` (with `charset` when given), creates and pays a trade whose subject is
/// `subject`, and returns the notify body that arrived and the Alipay public key.
async fn paid_notify(
    c: &Client,
    receiver: &mut Receiver,
    app_id: &str,
    charset: Option<&str>,
    subject: &str,
) -> (bytes::Bytes, PublicKey) {
    let key = PrivateKey::generate(2048).unwrap();
    let mut app = json!({"app_id": app_id, "app_public_key": key.public_key().to_spki_pem(),
                         "notify_url": format!("{}/{app_id}", receiver.base)});
    if let Some(cs) = charset {
        app["charset"] = json!(cs);
    }
    let (status, registered) = c.post_json("/sandbox/alipay/apps", app).await;
    assert_eq!(status, 201, "{registered}");
    let alipay_public =
        PublicKey::parse(registered["alipay_public_key"].as_str().unwrap().as_bytes()).unwrap();
    let created = gateway(
        c,
        app_id,
        &key,
        "alipay.trade.create",
        &json!({"out_trade_no": format!("GBK{app_id}"), "total_amount": "12.34",
                "subject": subject, "body": "陶喆同款 朱镕基", "buyer_id": "2088102177846880"}),
    )
    .await;
    assert_eq!(created["code"], "10000", "{created}");
    let (status, v) = c
        .post_json(
            "/sandbox/alipay/pay",
            json!({"trade_no": created["trade_no"]}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    (receiver.next(app_id).await, alipay_public)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gbk_app_gets_gbk_notifies_that_verify_through_the_library() {
    let (_sandbox, running, c) = start(SandboxConfig::default()).await;
    let mut receiver = Receiver::start().await;

    let app_id = "2021000122670001";
    let (body, alipay_public) =
        paid_notify(&c, &mut receiver, app_id, Some("GBK"), "中文商品：测试😀").await;
    let raw = std::str::from_utf8(&body).unwrap();
    assert!(raw.contains("charset=GBK"), "{raw}");
    // 中文 as GBK bytes, not as UTF-8 (E4 B8 AD E6 96 87)
    assert!(raw.contains("subject=%D6%D0%CE%C4"), "{raw}");
    assert!(!raw.contains("%E4%B8%AD"), "{raw}");
    // 镕 is E9 46: its trail byte is ASCII `F`, sent as it is
    assert!(raw.contains("%E9F"), "{raw}");

    let notifier = AlipayNotifier::new(alipay_public);
    let verified = notifier.verify(&body).unwrap();
    assert_eq!(verified.charset(), Charset::Gbk);
    let n = notifier.trade(&body).unwrap();
    // the emoji has no GBK encoding: `?`, as Java's getBytes("GBK") writes it
    assert_eq!(n.subject.as_deref(), Some("中文商品：测试?"));
    assert_eq!(n.body.as_deref(), Some("陶喆同款 朱镕基"));
    assert_eq!(n.charset.as_deref(), Some("GBK"));
    assert_eq!(n.total_amount.to_string(), "12.34");
    assert!(n.is_paid());
    let page = c.get(&format!("/sandbox/alipay/apps/{app_id}")).await.1;
    assert_eq!(page["charset"], "GBK", "{page}");

    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_are_utf8_by_default_and_other_charsets_are_refused() {
    let (_sandbox, running, c) = start(SandboxConfig::default()).await;
    let mut receiver = Receiver::start().await;

    let app_id = "2021000122670002";
    let (body, alipay_public) = paid_notify(&c, &mut receiver, app_id, None, "中文商品").await;
    let raw = std::str::from_utf8(&body).unwrap();
    assert!(raw.contains("charset=utf-8"), "{raw}");
    assert!(raw.contains("subject=%E4%B8%AD%E6%96%87"), "{raw}");
    let verified = AlipayNotifier::new(alipay_public).verify(&body).unwrap();
    assert_eq!(verified.charset(), Charset::Utf8);
    assert_eq!(verified.get("subject"), Some("中文商品"));
    let page = c.get(&format!("/sandbox/alipay/apps/{app_id}")).await.1;
    assert_eq!(page["charset"], "UTF-8", "{page}");

    let key = PrivateKey::generate(1024)
        .unwrap()
        .public_key()
        .to_spki_pem();
    for bad in [json!("big5"), json!("gb2312"), json!(936)] {
        let (status, v) = c
            .post_json(
                "/sandbox/alipay/apps",
                json!({"app_id": "2021000122670003", "app_public_key": key, "charset": bad}),
            )
            .await;
        assert_eq!(status, 400, "{bad}: {v}");
        assert!(v.to_string().contains("charset"), "{v}");
    }
    running.stop().await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gbk_app_is_still_gbk_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        SandboxConfig::default()
            .keys_dir(dir.path().join("keys"))
            .db(dir.path().join("state.sqlite"))
    };
    let app_id = "2021000122670004";
    {
        let (sandbox, running, c) = start(config()).await;
        let key = PrivateKey::generate(1024)
            .unwrap()
            .public_key()
            .to_spki_pem();
        let (status, v) = c
            .post_json(
                "/sandbox/alipay/apps",
                json!({"app_id": app_id, "app_public_key": key, "charset": "GBK"}),
            )
            .await;
        assert_eq!(status, 201, "{v}");
        running.stop().await;
        drop(sandbox);
    }
    let (_sandbox, running, c) = start(config()).await;
    let page = c.get(&format!("/sandbox/alipay/apps/{app_id}")).await.1;
    assert_eq!(page["charset"], "GBK", "{page}");
    running.stop().await;
}
