//! `AlipayClient::bill`: the URL asked for and the file fetched at once, one retry with a new
//! URL after a failed download, `EMPTY_DATA_WITH_BILL_FILE` as an empty bill.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use baidupay_alipay::bill::FetchBillError;
use baidupay_alipay::{AlipayClient, AlipayConfig};
use baidupay_crypto::{Algorithm, PrivateKey, Signer};
use baidupay_model::AlipayAppId;
use baidupay_model::alipay::{BillDownloadUrlQuery, BillType};
use baidupay_transport::replay::{Expect, ReplayTransport};

const METHOD: &str = "alipay.data.dataservice.bill.downloadurl.query";

struct Keys {
    app: PrivateKey,
    alipay: PrivateKey,
}

impl Keys {
    fn new() -> Self {
        Self {
            app: PrivateKey::generate(2048).unwrap(),
            alipay: PrivateKey::generate(2048).unwrap(),
        }
    }

    fn client(&self, t: &Arc<ReplayTransport>) -> AlipayClient {
        let id = AlipayAppId::new("2021000122671080").unwrap();
        let config = AlipayConfig::new(id, self.app.clone(), self.alipay.public_key().clone());
        AlipayClient::new(config.unwrap(), t.clone())
    }

    /// The gateway's signed answer to the URL query.
    fn url_answer(&self, content: &str) -> Expect {
        let signer = Signer::new(self.alipay.clone(), Algorithm::RsaSha256);
        let sig = signer.sign_base64(content.as_bytes()).unwrap();
        let key = METHOD.replace('.', "_");
        Expect::post("/gateway.do")
            .respond_json(format!(r#"{{"{key}_response":{content},"sign":"{sig}"}}"#))
    }
}

fn url(n: u32) -> String {
    format!(
        r#"{{"code":"10000","msg":"Success","bill_download_url":"http://dwbillcenter.alipay.com/downloadBillFile.resource?fileType=csv.zip&token=t{n}"}}"#
    )
}

fn happy_zip() -> Vec<u8> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/make_alipay_bill.py"
    );
    let out = std::process::Command::new("python3")
        .args([script, "happy"])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

fn query() -> BillDownloadUrlQuery {
    BillDownloadUrlQuery::new(BillType::Trade, "2024-05-13").unwrap()
}

#[tokio::test]
async fn a_failed_download_is_retried_with_a_new_url() {
    let keys = Keys::new();
    let t = Arc::new(ReplayTransport::new([
        keys.url_answer(&url(1)),
        Expect::get("/downloadBillFile.resource").respond(403, "expired"),
        keys.url_answer(&url(2)),
        Expect::get("/downloadBillFile.resource").respond(200, happy_zip()),
    ]));
    let bill = keys.client(&t).bill(&query()).await.unwrap();
    assert_eq!(bill.rows.len(), 3);
    assert_eq!(bill.totals.refunds, 1);
    t.assert_done();
}

#[tokio::test]
async fn two_failed_downloads_are_an_error_and_a_bad_file_is_a_parse_error() {
    let keys = Keys::new();
    let t = Arc::new(ReplayTransport::new([
        keys.url_answer(&url(1)),
        Expect::get("/downloadBillFile.resource").respond(500, "busy"),
        keys.url_answer(&url(2)),
        Expect::get("/downloadBillFile.resource").respond(500, "busy"),
        keys.url_answer(&url(3)),
        Expect::get("/downloadBillFile.resource").respond(200, "not a zip"),
    ]));
    let c = keys.client(&t);
    let err = c.bill(&query()).await.unwrap_err();
    assert!(matches!(err, FetchBillError::Api(_)), "{err:?}");
    let err = c.bill(&query()).await.unwrap_err();
    assert!(matches!(err, FetchBillError::Parse(_)), "{err:?}");
    t.assert_done();
}

#[tokio::test]
async fn empty_data_with_bill_file_is_an_empty_bill() {
    let keys = Keys::new();
    let t = Arc::new(ReplayTransport::new([keys.url_answer(
        r#"{"code":"10000","msg":"Success","bill_download_url":"http://dwbillcenter.alipay.com/x","bill_file_code":"EMPTY_DATA_WITH_BILL_FILE"}"#,
    )]));
    let bill = keys.client(&t).bill(&query()).await.unwrap();
    assert!(bill.rows.is_empty());
    assert!(bill.summary.is_none());
    t.assert_done();
}
