//! The `gateway.do` client.

use std::fmt;
use std::sync::Arc;

use baidupay_crypto::{PublicKey, Rules, Verifier, canonical_string, form};
use baidupay_model::alipay::{
    BillDownloadUrlQuery, BillDownloadUrlResponse, BizRequest, RefundQuery, RefundQueryResponse,
    ResponseCommon, SubCode, TradeClose, TradeCloseResponse, TradeCreate, TradeCreateResponse,
    TradeQuery, TradeQueryResponse, TradeRefund, TradeRefundResponse,
};
use baidupay_transport::{Transport, mark_idempotent, redact_query};
use bytes::Bytes;
use http::{Method, Request, header};

use crate::config::{AlipayConfig, CertMode, Verification};
use crate::error::{AlipayError, Result};
use crate::response::{SignedResponse, extract};
use crate::time::beijing_timestamp;

/// The content type of every gateway request (the charset is also in the query).
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded;charset=utf-8";

/// A signed request, ready to send: the common parameters and `sign` in the query, `biz_content`
/// in the form body, as the official SDKs lay them out (alipay-jsapi.md 1.6).
#[derive(Clone)]
pub struct PreparedRequest {
    method: &'static str,
    params: Vec<(&'static str, String)>,
    biz_content: Option<String>,
    canonical: String,
    url: String,
    idempotent: bool,
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("url", &redact_url(&self.url))
            .field("biz_content", &self.biz_content)
            .finish_non_exhaustive()
    }
}

impl PreparedRequest {
    /// The API method.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The exact string that was signed: compare it with the one the gateway quotes in an
    /// `isv.invalid-signature` sub_msg.
    pub fn canonical_string(&self) -> &str {
        &self.canonical
    }

    /// Compares the string this request signed with the one the gateway quotes in the
    /// `sub_msg` of an `isv.invalid-signature` answer ("…网关生成的验签字符串为：…", HTML-escaped),
    /// and says what differs; `None` when `sub_msg` quotes no string.
    pub fn explain_invalid_signature(&self, sub_msg: &str) -> Option<String> {
        let (_, theirs) = sub_msg.split_once("验签字符串为：")?;
        let theirs = html_unescape(theirs.trim());
        if theirs == self.canonical {
            return Some(
                "the gateway verified the same string that was signed: the app private key does \
                 not match the app public key (or app certificate) uploaded to Alipay, or \
                 sign_type differs"
                    .into(),
            );
        }
        let split = |s: &str| -> Vec<(String, String)> {
            s.split('&')
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (k.to_owned(), v.to_owned())
                })
                .collect()
        };
        let (ours, theirs) = (split(&self.canonical), split(&theirs));
        let shown = |k: &str, v: &str| {
            if baidupay_transport::is_secret_param(k) {
                "[redacted]".to_owned()
            } else {
                format!("{v:?}")
            }
        };
        for (k, v) in &ours {
            match theirs.iter().find(|(tk, _)| tk == k) {
                None => return Some(format!("the gateway did not receive `{k}`")),
                Some((_, tv)) if tv != v => {
                    return Some(format!(
                        "`{k}`: signed {} but the gateway read {}",
                        shown(k, v),
                        shown(k, tv)
                    ));
                }
                Some(_) => {}
            }
        }
        match theirs
            .iter()
            .find(|(k, _)| !ours.iter().any(|(ok, _)| ok == k))
        {
            Some((k, _)) => Some(format!("the gateway read `{k}`, which was not signed")),
            None => Some("the strings differ in order or separators".into()),
        }
    }

    /// The common parameters as sent (including `sign`).
    pub fn params(&self) -> &[(&'static str, String)] {
        &self.params
    }

    /// The `biz_content` JSON exactly as signed and sent.
    pub fn biz_content(&self) -> Option<&str> {
        self.biz_content.as_deref()
    }

    /// The full URL (gateway and query). It carries `app_auth_token` when one is configured:
    /// do not log it; [`fmt::Debug`] redacts it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The HTTP request.
    ///
    /// # Errors
    /// [`AlipayError::Config`] when the gateway URL does not make a valid request URI.
    pub fn to_http(&self) -> Result<Request<Bytes>> {
        let body = self
            .biz_content
            .as_deref()
            .map(|b| form::encode([("biz_content", b)]))
            .unwrap_or_default();
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(&self.url)
            .header(header::CONTENT_TYPE, FORM_CONTENT_TYPE)
            .header(header::ACCEPT, "application/json")
            .body(Bytes::from(body))
            .map_err(|_| {
                AlipayError::Config(crate::ConfigError::Gateway {
                    url: redact_url(&self.url),
                    reason: "not a valid request URI",
                })
            })?;
        if self.idempotent {
            mark_idempotent(&mut req);
        }
        Ok(req)
    }
}

/// A response whose signature verified: the raw signed text and the key it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedResponse {
    /// `<method>_response` or `error_response`.
    pub key: String,
    /// The signed text exactly as received.
    pub content: String,
    /// The certificate serial number the response named (certificate mode).
    pub alipay_cert_sn: Option<String>,
}

impl VerifiedResponse {
    /// `code`, `msg`, `sub_code`, `sub_msg`.
    ///
    /// # Errors
    /// [`baidupay_model::JsonError`] when the content is not a response object.
    pub fn common(&self) -> std::result::Result<ResponseCommon, baidupay_model::JsonError> {
        serde_json::from_str(&self.content).map_err(baidupay_model::JsonError::from)
    }

    /// `Ok(())` for `code` 10000, the verified business error otherwise.
    ///
    /// # Errors
    /// [`AlipayError::Api`] or [`AlipayError::Decode`]; [`AlipayError::OutcomeUnknown`] (with
    /// the `Api` error as its source) when `method` changes a trade and Alipay answered
    /// `ACQ.SYSTEM_ERROR`, `isp.unknow-error` or `code` 20000.
    pub fn check(&self, method: &'static str) -> Result<()> {
        if self.content.starts_with('"') {
            return Err(AlipayError::Decode {
                method,
                detail: "the response content is encrypted (encrypt_type=AES), which this \
                         client does not request"
                    .into(),
            });
        }
        let common = self.common().map_err(|e| AlipayError::Decode {
            method,
            detail: e.to_string(),
        })?;
        common
            .check()
            .map_err(|source| AlipayError::Api { method, source }.for_call(method))
    }
}

/// The Alipay `gateway.do` client over any [`Transport`].
///
/// Requests are signed over exactly what is sent (`biz_content` is serialized once); answers
/// are verified over the raw bytes of `<method>_response` before anything in them is read, error
/// answers included; a missing or bad signature is an error. Queries, closes and refunds (keyed
/// by `out_request_no`) are marked idempotent for a retry layer; `trade.create` is not.
///
/// ```
/// use std::sync::Arc;
/// use baidupay_alipay::{AlipayClient, AlipayConfig};
/// use baidupay_transport::ManualClock;
/// use baidupay_crypto::PrivateKey;
/// use baidupay_model::alipay::{Buyer, TradeCreate};
/// use baidupay_model::{AlipayAppId, OutTradeNo, Yuan};
/// use baidupay_transport::replay::ReplayTransport;
///
/// let (app, alipay) = (PrivateKey::generate(2048)?, PrivateKey::generate(2048)?);
/// let config = AlipayConfig::new(AlipayAppId::new("2021000122671080")?, app, alipay.public_key().clone())?
///     .notify_url("https://shop.example/alipay/notify")
///     .clock(Arc::new(ManualClock::new(1_715_593_760)));
/// let client = AlipayClient::new(config, Arc::new(ReplayTransport::default()));
/// let order = TradeCreate::new(
///     OutTradeNo::new("20240513000001")?,
///     "88.88".parse::<Yuan>()?,
///     "测试商品",
///     Buyer::OpenId("074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5".into()),
/// )?;
/// let prepared = client.prepare(&order)?;
/// assert!(prepared.canonical_string().contains("&timestamp=2024-05-13 17:49:20&"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AlipayClient {
    config: Arc<AlipayConfig>,
    transport: Arc<dyn Transport>,
}

/// A URL with the values of secret query parameters (`app_auth_token`, `sign`) redacted.
fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, query)) => format!("{base}?{}", redact_query(query)),
        None => url.to_owned(),
    }
}

fn excerpt(s: &str, n: usize) -> String {
    let mut e: String = s.chars().take(n).collect();
    if e.len() < s.len() {
        e.push('…');
    }
    e
}

impl AlipayClient {
    /// A client.
    pub fn new(config: AlipayConfig, transport: Arc<dyn Transport>) -> Self {
        Self {
            config: Arc::new(config),
            transport,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AlipayConfig {
        &self.config
    }

    /// Validates, serializes and signs `request` without sending it.
    ///
    /// # Errors
    /// [`AlipayError::Invalid`] naming the field, or [`AlipayError::Signing`].
    pub fn prepare<R: BizRequest>(&self, request: &R) -> Result<PreparedRequest> {
        request.validate().map_err(AlipayError::Invalid)?;
        let biz = serde_json::to_string(request).map_err(|e| {
            AlipayError::Invalid(baidupay_model::Error::InvalidField {
                field: "biz_content",
                reason: e.to_string(),
            })
        })?;
        self.prepare_raw(R::METHOD, Some(biz), R::SENDS_NOTIFY_URL, R::IDEMPOTENT)
    }

    /// Signs a request of any method with the given `biz_content` JSON text (sent byte for
    /// byte as given). `with_notify_url` adds the configured `notify_url`.
    ///
    /// # Errors
    /// [`AlipayError::Signing`].
    pub fn prepare_raw(
        &self,
        method: &'static str,
        biz_content: Option<String>,
        with_notify_url: bool,
        idempotent: bool,
    ) -> Result<PreparedRequest> {
        let c = &self.config;
        let mut params: Vec<(&'static str, String)> = vec![
            ("app_id", c.app_id.to_string()),
            ("method", method.to_owned()),
            ("format", "JSON".to_owned()),
            ("charset", "utf-8".to_owned()),
            ("sign_type", c.sign_type().to_owned()),
            ("timestamp", beijing_timestamp(c.clock.unix_seconds())),
            ("version", "1.0".to_owned()),
        ];
        if with_notify_url && let Some(u) = &c.notify_url {
            params.push(("notify_url", u.clone()));
        }
        if let Some(t) = &c.app_auth_token {
            params.push(("app_auth_token", t.expose().to_owned()));
        }
        if let Some((app_sn, root_sn)) = c.cert_sns() {
            params.push(("app_cert_sn", app_sn.to_owned()));
            params.push(("alipay_root_cert_sn", root_sn.to_owned()));
        }
        let canonical = canonical_string(
            Rules::Alipay,
            params
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .chain(biz_content.as_deref().map(|b| ("biz_content", b))),
        )
        .map_err(AlipayError::Signing)?;
        let sign = c
            .signer
            .sign_base64(canonical.as_bytes())
            .map_err(AlipayError::Signing)?;
        params.push(("sign", sign));
        let gateway = c.gateway.url();
        let sep = if gateway.contains('?') { '&' } else { '?' };
        let url = format!(
            "{gateway}{sep}{}",
            form::encode(params.iter().map(|(k, v)| (*k, v.as_str())))
        );
        Ok(PreparedRequest {
            method,
            params,
            biz_content,
            canonical,
            url,
            idempotent,
        })
    }

    /// Sends `request` and returns its verified, decoded response.
    ///
    /// # Errors
    /// Every [`AlipayError`]; [`AlipayError::Api`] carries a verified business error.
    pub async fn execute<R: BizRequest>(&self, request: &R) -> Result<R::Response> {
        let prepared = self.prepare(request)?;
        let verified = self.send(&prepared).await?;
        if let Err(e) = verified.check(R::METHOD) {
            if let Some(sub_msg) = e
                .business()
                .filter(|b| b.sub_code == Some(SubCode::InvalidSignature))
                .and_then(|b| b.sub_msg.as_deref())
                .and_then(|m| prepared.explain_invalid_signature(m))
            {
                tracing::warn!(method = R::METHOD, "isv.invalid-signature: {sub_msg}");
            }
            return Err(e);
        }
        serde_json::from_str(&verified.content).map_err(|e| AlipayError::Decode {
            method: R::METHOD,
            detail: e.to_string(),
        })
    }

    /// Sends a prepared request and verifies the answer (whatever its `code`).
    ///
    /// # Errors
    /// [`AlipayError::Transport`], [`AlipayError::UnexpectedAnswer`],
    /// [`AlipayError::MissingSignature`], [`AlipayError::BadSignature`],
    /// [`AlipayError::UnknownCertificate`]; for a method that changes a trade, a transport
    /// failure after the request may have been sent and an HTTP 5xx come as
    /// [`AlipayError::OutcomeUnknown`].
    pub async fn send(&self, prepared: &PreparedRequest) -> Result<VerifiedResponse> {
        let method = prepared.method;
        let response = self
            .transport
            .send(prepared.to_http()?)
            .await
            .map_err(|source| AlipayError::Transport { method, source }.for_call(method))?;
        let status = response.status().as_u16();
        let body = response.into_body();
        let unexpected = |detail: String| AlipayError::UnexpectedAnswer {
            method,
            status,
            detail,
        };
        let text = std::str::from_utf8(&body).map_err(|_| {
            unexpected("the body is not UTF-8 (charset=utf-8 was requested)".into())
        })?;
        if !(200..300).contains(&status) {
            return Err(unexpected(excerpt(text, 200)).for_call(method));
        }
        self.verify_body(method, text).await
    }

    /// Verifies the raw body of a `method` answer (for callers with their own transport).
    ///
    /// # Errors
    /// As [`AlipayClient::send`].
    pub async fn verify_body(&self, method: &'static str, body: &str) -> Result<VerifiedResponse> {
        let signed = extract(body, method).map_err(|e| AlipayError::UnexpectedAnswer {
            method,
            status: 200,
            detail: format!("{e}: {}", excerpt(body, 200)),
        })?;
        let sign = match signed.sign.as_deref() {
            Some(s) if !s.trim().is_empty() => s,
            _ => {
                return Err(AlipayError::MissingSignature {
                    method,
                    excerpt: excerpt(signed.content, 300),
                });
            }
        };
        let key = self.key_for(method, &signed).await?;
        let verifier = Verifier::new(key, self.config.signer.algorithm());
        let content = signed.content;
        let ok = verifier.verify_base64(content.as_bytes(), sign).is_ok()
            // the official Java SDK's fallback: a proxy or library that added `\/` escapes
            || (content.contains("\\/")
                && verifier
                    .verify_base64(content.replace("\\/", "/").as_bytes(), sign)
                    .is_ok());
        if !ok {
            return Err(AlipayError::BadSignature { method });
        }
        Ok(VerifiedResponse {
            key: signed.key,
            content: content.to_owned(),
            alipay_cert_sn: signed.alipay_cert_sn,
        })
    }

    async fn key_for(
        &self,
        method: &'static str,
        signed: &SignedResponse<'_>,
    ) -> Result<PublicKey> {
        match &self.config.verification {
            Verification::PublicKey(k) => Ok(k.clone()),
            Verification::Certificates(c) => {
                let sn = signed.alipay_cert_sn.as_deref().unwrap_or(&c.current_sn);
                if let Some(k) = known(c, sn) {
                    return Ok(k);
                }
                self.fetch_cert(method, c, sn).await
            }
        }
    }

    async fn fetch_cert(&self, method: &'static str, c: &CertMode, sn: &str) -> Result<PublicKey> {
        let fail = |reason: String| AlipayError::UnknownCertificate {
            method,
            sn: sn.to_owned(),
            reason,
        };
        let Some(fetcher) = &c.fetcher else {
            return Err(fail(
                "no certificate fetcher is configured (AlipayConfig::cert_fetcher); download it \
                 with alipay.open.app.alipaycert.download"
                    .into(),
            ));
        };
        let pem = fetcher.fetch(sn).await.map_err(&fail)?;
        let cert = crate::config::leaf(&pem, "fetched alipay certificate")
            .map_err(|e| fail(e.to_string()))?;
        let got = cert.alipay_sn();
        if got != sn {
            return Err(fail(format!(
                "the fetched certificate's serial number is {got}"
            )));
        }
        if cert.issuer() != c.issuer {
            return Err(fail(format!(
                "the fetched certificate is issued by {:?}, not by {:?}",
                cert.issuer(),
                c.issuer
            )));
        }
        let key = cert.public_key().map_err(|e| fail(e.to_string()))?;
        if let Ok(mut map) = c.known.write() {
            map.insert(sn.to_owned(), key.clone());
        }
        Ok(key)
    }

    /// `alipay.trade.create` (JSAPI_PAY): the `trade_no` to pass to `my.tradePay`.
    ///
    /// # Errors
    /// As [`AlipayClient::execute`]. Not retried automatically: on
    /// [`AlipayError::OutcomeUnknown`] (`ACQ.SYSTEM_ERROR`, a timeout, a 5xx...), query the
    /// trade by the same `out_trade_no` before creating it again.
    pub async fn create(&self, request: &TradeCreate) -> Result<TradeCreateResponse> {
        self.execute(request).await
    }

    /// `alipay.trade.query`.
    ///
    /// # Errors
    /// As [`AlipayClient::execute`] (`ACQ.TRADE_NOT_EXIST` for an unknown trade).
    pub async fn query(&self, request: &TradeQuery) -> Result<TradeQueryResponse> {
        self.execute(request).await
    }

    /// `alipay.trade.close` (an unpaid trade).
    ///
    /// # Errors
    /// As [`AlipayClient::execute`].
    pub async fn close(&self, request: &TradeClose) -> Result<TradeCloseResponse> {
        self.execute(request).await
    }

    /// `alipay.trade.refund`. Alipay refunds once per `out_request_no`: after a failure that
    /// may have been sent, retry with the same request, never a new number.
    ///
    /// # Errors
    /// As [`AlipayClient::execute`]. On [`AlipayError::OutcomeUnknown`] (`ACQ.SYSTEM_ERROR`, a
    /// timeout, a 5xx...), query the refund ([`AlipayClient::refund_query`]) by the same
    /// `out_request_no` before retrying, and retry only with that number.
    pub async fn refund(&self, request: &TradeRefund) -> Result<TradeRefundResponse> {
        self.execute(request).await
    }

    /// `alipay.trade.fastpay.refund.query` (`refund_status` absent means not refunded yet).
    ///
    /// # Errors
    /// As [`AlipayClient::execute`].
    pub async fn refund_query(&self, request: &RefundQuery) -> Result<RefundQueryResponse> {
        self.execute(request).await
    }

    /// `alipay.data.dataservice.bill.downloadurl.query`. The URL expires 30 seconds after it
    /// is issued: download it at once with [`AlipayClient::download_bill`].
    ///
    /// # Errors
    /// As [`AlipayClient::execute`].
    pub async fn bill_download_url(
        &self,
        request: &BillDownloadUrlQuery,
    ) -> Result<BillDownloadUrlResponse> {
        self.execute(request).await
    }

    /// Downloads a bill from the URL of [`AlipayClient::bill_download_url`]: the file as
    /// served (a ZIP of GBK CSV files), with its name when the server gives one.
    ///
    /// # Errors
    /// [`AlipayError::UnexpectedAnswer`] for a URL that is not http(s) or a non-2xx answer,
    /// [`AlipayError::Transport`].
    pub async fn download_bill(&self, url: &str) -> Result<BillFile> {
        const METHOD: &str = "bill download";
        let bad = |status: u16, detail: String| AlipayError::UnexpectedAnswer {
            method: METHOD,
            status,
            detail,
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|_| bad(0, format!("not a URL: {}", redact_url(url))))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(bad(0, format!("not an http(s) URL: {}", redact_url(url))));
        }
        let mut req = Request::get(uri)
            .body(Bytes::new())
            .map_err(|e| bad(0, e.to_string()))?;
        mark_idempotent(&mut req);
        let resp = self
            .transport
            .send(req)
            .await
            .map_err(|source| AlipayError::Transport {
                method: METHOD,
                source,
            })?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(bad(
                status,
                excerpt(&String::from_utf8_lossy(resp.body()), 200),
            ));
        }
        let file_name = resp
            .headers()
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("filename=").nth(1))
            .map(|n| {
                n.trim_matches(|c| c == '"' || c == ';' || c == ' ')
                    .to_owned()
            });
        Ok(BillFile {
            file_name,
            bytes: resp.into_body(),
        })
    }

    /// Asks for the bill's URL and downloads and parses the file at once (the URL expires 30
    /// seconds after it is issued). A failed download is retried once with a new URL.
    /// `bill_file_code` [`crate::bill::EMPTY_DATA_WITH_BILL_FILE`] gives an empty bill.
    ///
    /// # Errors
    /// [`crate::bill::FetchBillError::Api`] with the error of
    /// [`AlipayClient::bill_download_url`] or of the second [`AlipayClient::download_bill`]
    /// (or an answer without `bill_download_url`); [`crate::bill::FetchBillError::Parse`]
    /// when the file cannot be read ([`crate::bill::BillArchive::read_all`]).
    pub async fn bill(
        &self,
        request: &BillDownloadUrlQuery,
    ) -> std::result::Result<crate::bill::Bill, crate::bill::FetchBillError> {
        use crate::bill::{BillArchive, EMPTY_DATA_WITH_BILL_FILE, FetchBillError};
        let mut attempt = 0;
        let file = loop {
            attempt += 1;
            let answer = self
                .bill_download_url(request)
                .await
                .map_err(FetchBillError::Api)?;
            if answer.bill_file_code.as_deref() == Some(EMPTY_DATA_WITH_BILL_FILE) {
                return Ok(crate::bill::Bill::empty());
            }
            let Some(url) = answer.bill_download_url.filter(|u| !u.is_empty()) else {
                return Err(FetchBillError::Api(AlipayError::UnexpectedAnswer {
                    method: "alipay.data.dataservice.bill.downloadurl.query",
                    status: 200,
                    detail: "no bill_download_url in the answer".to_owned(),
                }));
            };
            match self.download_bill(&url).await {
                Ok(file) => break file,
                Err(e) if attempt >= 2 => return Err(FetchBillError::Api(e)),
                Err(e) => tracing::warn!(error = %e, "bill download failed; asking for a new URL"),
            }
        };
        BillArchive::new(std::io::Cursor::new(file.bytes))
            .and_then(|mut a| a.read_all())
            .map_err(FetchBillError::Parse)
    }
}

fn known(c: &CertMode, sn: &str) -> Option<PublicKey> {
    c.known.read().ok().and_then(|m| m.get(sn).cloned())
}

/// A downloaded bill file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillFile {
    /// The file name from `Content-Disposition`, if any.
    pub file_name: Option<String>,
    /// The file (a ZIP archive).
    pub bytes: Bytes,
}
/// Undoes the HTML escaping of the gateway's `sub_msg` (`&amp;` between pairs, `&quot;` in a
/// JSON `biz_content`); `&amp;` last, so that an escaped entity stays as it was sent.
fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
