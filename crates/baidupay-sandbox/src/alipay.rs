//! The Alipay side of the simulator: `POST /gateway.do` for the JSAPI trade APIs, app
//! registration, `POST /sandbox/alipay/pay` standing in for `my.tradePay`, and the signed async
//! notify retried until the merchant answers `success`.
//!
//! Requests are verified as the real gateway verifies them (every parameter of the query and
//! the form but `sign`, empty values skipped, SHA256withRSA or SHA1withRSA by `sign_type`,
//! against the registered app public key); a bad signature answers `isv.invalid-signature`
//! with the gateway's string in `sub_msg`. Answers are laid out as the gateway lays them out,
//! `{"<method>_response":{…},"sign":"…"}`, signed over the exact bytes of the response value
//! with the sandbox's Alipay key (2048-bit, RSA2).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use baidupay_crypto::{Algorithm, PublicKey, Rules, Signer, Verifier, canonical_string, form};
use baidupay_model::alipay::SubCode;
use serde_json::{Value, json};

use crate::deliver::{self, CallbackKind};
use crate::http_api::json_response;
use crate::{Inner, Unpoisoned, beijing_date, beijing_time, lock, now_unix, yuan};

/// The status of a simulated trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    WaitBuyerPay,
    Success,
    Closed,
}

impl Status {
    fn code(self) -> &'static str {
        match self {
            Self::WaitBuyerPay => "WAIT_BUYER_PAY",
            Self::Success => "TRADE_SUCCESS",
            Self::Closed => "TRADE_CLOSED",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AliRefund {
    pub(crate) out_request_no: String,
    pub(crate) amount: u64,
    pub(crate) reason: String,
    pub(crate) time: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Trade {
    pub(crate) trade_no: String,
    pub(crate) out_trade_no: String,
    pub(crate) total: u64,
    pub(crate) subject: String,
    pub(crate) body: Option<String>,
    pub(crate) buyer_id: Option<String>,
    pub(crate) buyer_open_id: Option<String>,
    pub(crate) passback_params: Option<String>,
    pub(crate) notify_url: Option<String>,
    pub(crate) status: Status,
    pub(crate) created: i64,
    pub(crate) paid: Option<i64>,
    pub(crate) refunds: Vec<AliRefund>,
}

impl Trade {
    fn refunded(&self) -> u64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }

    /// What identifies the content of a create request (a second create with the same
    /// `out_trade_no` and other content is `ACQ.CONTEXT_INCONSISTENT`).
    fn same_content(&self, other: &Self) -> bool {
        self.total == other.total
            && self.subject == other.subject
            && self.buyer_id == other.buyer_id
            && self.buyer_open_id == other.buyer_open_id
    }
}

/// A registered Alipay app.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) app_id: String,
    pub(crate) key: PublicKey,
    pub(crate) notify_url: Option<String>,
    pub(crate) seller_id: String,
    pub(crate) trades: Mutex<Vec<Trade>>,
}

/// The simulated Alipay: its key and the apps.
pub(crate) struct Alipay {
    pub(crate) signer: Signer,
    pub(crate) public: PublicKey,
    pub(crate) public_path: Option<std::path::PathBuf>,
    pub(crate) apps: RwLock<HashMap<String, Arc<App>>>,
    pub(crate) bills: RwLock<HashMap<String, String>>,
}

impl std::fmt::Debug for Alipay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alipay")
            .field("public_path", &self.public_path)
            .finish_non_exhaustive()
    }
}

impl Alipay {
    fn app(&self, app_id: &str) -> Option<Arc<App>> {
        self.apps.read_or_recover().get(app_id).cloned()
    }
}

/// A price as the gateway reads it: digits with at most two decimals, in fen (no sign, no
/// exponent). Larger than any limit is still read, so that the limit can be reported.
fn parse_price(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || int.len() > 12
        || frac.len() > 2
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int: u64 = int.parse().ok()?;
    let frac: u64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    int.checked_mul(100)?.checked_add(frac)
}

/// `yyyy-MM-dd HH:mm:ss`, as the gateway wants `timestamp`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b' ',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// A buyer's masked logon id, as the gateway shows it.
fn masked_logon(id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("san***@{tail}.com")
}

/// The most a single trade may be: 100,000,000.00 yuan.
const MAX_TOTAL: u64 = 10_000_000_000;

// --- registration -----------------------------------------------------------------------------

pub(crate) async fn register(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "the body must be a JSON object"}),
        );
    };
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(app_id), Some(key)) = (text("app_id"), text("app_public_key")) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "app_id and app_public_key are required"}),
        );
    };
    if app_id.is_empty() || !app_id.bytes().all(|b| b.is_ascii_digit()) {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "app_id must be digits, like 2021000122671080"}),
        );
    }
    let key = match PublicKey::parse(key.as_bytes()) {
        Ok(k) => k,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("app_public_key: {e}")}),
            );
        }
    };
    let notify_url = text("notify_url");
    let seller_id = format!("2088{:012}", inner.next_id() % 1_000_000_000_000);
    let app = Arc::new(App {
        app_id: app_id.clone(),
        key,
        notify_url: notify_url.clone(),
        seller_id: seller_id.clone(),
        trades: Mutex::default(),
    });
    let mut apps = inner.alipay.apps.write_or_recover();
    if apps.contains_key(&app_id) {
        return json_response(
            StatusCode::CONFLICT,
            &json!({"error": format!("app_id {app_id} is already registered")}),
        );
    }
    apps.insert(app_id.clone(), app);
    json_response(
        StatusCode::CREATED,
        &json!({
            "app_id": app_id,
            "seller_id": seller_id,
            "notify_url": notify_url,
            "alipay_public_key": inner.alipay.public.to_spki_pem(),
            "gateway": format!("{}/gateway.do", inner.base_url()),
        }),
    )
}

// --- the gateway ------------------------------------------------------------------------------

/// An answer of the gateway, before it is laid out and signed.
enum Answer {
    /// `code` 10000 with these fields.
    Success(Value),
    /// Any other `code` (`40002`, `40004`, ...).
    Failure {
        code: &'static str,
        msg: &'static str,
        sub_code: String,
        sub_msg: String,
    },
}

fn business(sub_code: &str) -> Answer {
    let sub_msg = SubCode::from_code(sub_code)
        .description()
        .unwrap_or("业务处理失败")
        .to_owned();
    Answer::Failure {
        code: "40004",
        msg: "Business Failed",
        sub_code: sub_code.to_owned(),
        sub_msg,
    }
}

fn invalid_parameter(detail: impl Into<String>) -> Answer {
    Answer::Failure {
        code: "40004",
        msg: "Business Failed",
        sub_code: "ACQ.INVALID_PARAMETER".to_owned(),
        sub_msg: format!("参数无效: {}", detail.into()),
    }
}

fn invalid_arguments(sub_code: &str, sub_msg: impl Into<String>) -> Answer {
    Answer::Failure {
        code: "40002",
        msg: "Invalid Arguments",
        sub_code: sub_code.to_owned(),
        sub_msg: sub_msg.into(),
    }
}

/// Lays the answer out under `key` and signs the exact bytes of its value.
fn respond(inner: &Inner, key: &str, answer: Answer) -> Response {
    let value = match answer {
        Answer::Success(mut fields) => {
            let mut v = json!({"code": "10000", "msg": "Success"});
            if let (Some(o), Some(extra)) = (v.as_object_mut(), fields.as_object_mut()) {
                o.append(extra);
            }
            v
        }
        Answer::Failure {
            code,
            msg,
            sub_code,
            sub_msg,
        } => json!({"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}),
    };
    let raw = value.to_string();
    // cannot fail with a loaded key; an unsigned answer is refused by any client, and logged
    let sign = inner
        .alipay
        .signer
        .sign_base64(raw.as_bytes())
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "sandbox could not sign a gateway answer");
            String::new()
        });
    let body = format!(
        "{{{}:{raw},\"sign\":{}}}",
        Value::String(key.to_owned()),
        Value::String(sign)
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        body,
    )
        .into_response()
}

/// `&` and the other HTML specials as the gateway escapes them in `sub_msg`.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) async fn gateway(
    State(inner): State<Arc<Inner>>,
    RawQuery(raw_query): RawQuery,
    body: Bytes,
) -> Response {
    // every parameter of the query and of the form, each decoded once; a name given twice is
    // a bad request, as it would be ambiguous which one was signed
    let mut params: Vec<(String, String)> = Vec::new();
    for source in [raw_query.as_deref().unwrap_or("").as_bytes(), &body[..]] {
        match form::parse(source) {
            Ok(pairs) => params.extend(pairs),
            Err(e) => {
                return respond(
                    &inner,
                    "error_response",
                    invalid_arguments("isv.invalid-parameter", format!("参数格式错误: {e}")),
                );
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    if let Some((k, _)) = params.iter().find(|(k, _)| !seen.insert(k.as_str())) {
        let k = k.clone();
        return respond(
            &inner,
            "error_response",
            invalid_arguments("isv.invalid-parameter", format!("参数{k}重复")),
        );
    }
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let method = get("method").unwrap_or("");
    let key = if method.is_empty() {
        "error_response".to_owned()
    } else {
        format!("{}_response", method.replace('.', "_"))
    };
    for (name, sub) in [
        ("method", "isv.missing-method"),
        ("app_id", "isv.missing-app-id"),
        ("sign_type", "isv.missing-signature-type"),
        ("sign", "isv.missing-signature"),
        ("timestamp", "isv.missing-timestamp"),
        ("version", "isv.missing-version"),
    ] {
        if get(name).is_none() {
            return respond(
                &inner,
                &key,
                Answer::Failure {
                    code: "40001",
                    msg: "Missing Required Arguments",
                    sub_code: sub.to_owned(),
                    sub_msg: format!("缺少{name}参数"),
                },
            );
        }
    }
    let app_id = get("app_id").unwrap_or("");
    let Some(app) = inner.alipay.app(app_id) else {
        return respond(
            &inner,
            &key,
            invalid_arguments("isv.invalid-app-id", "无效的AppID参数"),
        );
    };
    let algorithm = match get("sign_type") {
        Some("RSA2") => Algorithm::RsaSha256,
        Some("RSA") => Algorithm::RsaSha1,
        _ => {
            return respond(
                &inner,
                &key,
                invalid_arguments("isv.invalid-signature-type", "无效的签名类型"),
            );
        }
    };
    if get("charset").is_some_and(|c| !c.eq_ignore_ascii_case("utf-8")) {
        return respond(
            &inner,
            &key,
            invalid_arguments(
                "isv.invalid-charset",
                "字符集错误 (the sandbox speaks utf-8)",
            ),
        );
    }
    let signed = canonical_string(
        Rules::Alipay,
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let verified = signed.as_ref().is_ok_and(|s| {
        Verifier::new(app.key.clone(), algorithm)
            .verify_base64(s.as_bytes(), get("sign").unwrap_or(""))
            .is_ok()
    });
    if !verified {
        return respond(
            &inner,
            &key,
            invalid_arguments(
                "isv.invalid-signature",
                format!(
                    "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{}",
                    html_escape(signed.as_deref().unwrap_or(""))
                ),
            ),
        );
    }
    if get("timestamp").is_some_and(|t| !is_timestamp(t)) {
        return respond(
            &inner,
            &key,
            invalid_arguments(
                "isv.invalid-timestamp",
                "非法的时间戳参数 (yyyy-MM-dd HH:mm:ss)",
            ),
        );
    }
    let biz: Value = match get("biz_content") {
        None => Value::Object(serde_json::Map::new()),
        Some(text) => match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return respond(
                    &inner,
                    &key,
                    invalid_arguments("isv.invalid-parameter", "biz_content不是合法的JSON对象"),
                );
            }
        },
    };
    let notify_url = get("notify_url").map(str::to_owned);
    let answer = match method {
        "alipay.trade.create" => create(&inner, &app, &biz, notify_url),
        "alipay.trade.query" => query(&app, &biz),
        "alipay.trade.close" => close(&app, &biz),
        "alipay.trade.refund" => refund(&inner, &app, &biz),
        "alipay.trade.fastpay.refund.query" => refund_query(&app, &biz),
        "alipay.data.dataservice.bill.downloadurl.query" => bill_url(&inner, &app, &biz),
        _ => invalid_arguments("isv.invalid-method", "不存在的方法名"),
    };
    respond(&inner, &key, answer)
}

fn text(biz: &Value, k: &str) -> Option<String> {
    match biz.get(k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The trade `trade_no` or `out_trade_no` names (`trade_no` wins), as an index.
fn find(trades: &[Trade], biz: &Value) -> Result<usize, Answer> {
    let by_no = text(biz, "trade_no");
    let by_out = text(biz, "out_trade_no");
    if by_no.is_none() && by_out.is_none() {
        return Err(invalid_parameter("out_trade_no和trade_no不能同时为空"));
    }
    trades
        .iter()
        .position(|t| match &by_no {
            Some(no) => &t.trade_no == no,
            None => by_out.as_ref() == Some(&t.out_trade_no),
        })
        .ok_or_else(|| business("ACQ.TRADE_NOT_EXIST"))
}

fn create(inner: &Inner, app: &App, biz: &Value, notify_url: Option<String>) -> Answer {
    let Some(out_trade_no) = text(biz, "out_trade_no") else {
        return invalid_parameter("out_trade_no不能为空");
    };
    if out_trade_no.len() > 64
        || !out_trade_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return invalid_parameter("out_trade_no只能包含字母、数字、下划线且不超过64位");
    }
    let Some(total) = text(biz, "total_amount").and_then(|t| parse_price(&t)) else {
        return invalid_parameter("total_amount须为最多两位小数的金额");
    };
    if total == 0 {
        return invalid_parameter("total_amount须大于0");
    }
    if total > MAX_TOTAL {
        return business("ACQ.TOTAL_FEE_EXCEED");
    }
    let Some(subject) = text(biz, "subject") else {
        return invalid_parameter("subject不能为空");
    };
    if let Some(code) = text(biz, "product_code").filter(|c| c != "JSAPI_PAY") {
        return invalid_parameter(format!(
            "product_code {code} (the sandbox simulates JSAPI_PAY)"
        ));
    }
    let buyer_id = text(biz, "buyer_id");
    let buyer_open_id = text(biz, "buyer_open_id");
    if buyer_id.is_none() && buyer_open_id.is_none() {
        return invalid_parameter("buyer_id和buyer_open_id不能同时为空");
    }
    if buyer_id.as_deref() == Some(app.seller_id.as_str())
        || text(biz, "seller_id").is_some_and(|s| buyer_id.as_deref() == Some(s.as_str()))
    {
        return business("ACQ.BUYER_SELLER_EQUAL");
    }
    let now = now_unix();
    let candidate = Trade {
        trade_no: format!(
            "{}22001{:015}",
            beijing_date(now).replace('-', ""),
            inner.next_id() % 1_000_000_000_000_000
        ),
        out_trade_no: out_trade_no.clone(),
        total,
        subject,
        body: text(biz, "body"),
        buyer_id,
        buyer_open_id,
        passback_params: text(biz, "passback_params"),
        notify_url: notify_url.or_else(|| app.notify_url.clone()),
        status: Status::WaitBuyerPay,
        created: now,
        paid: None,
        refunds: Vec::new(),
    };
    let mut trades = lock(&app.trades);
    if let Some(existing) = trades.iter().find(|t| t.out_trade_no == out_trade_no) {
        return match existing.status {
            Status::Success => business("ACQ.TRADE_HAS_SUCCESS"),
            Status::Closed => business("ACQ.TRADE_HAS_CLOSE"),
            Status::WaitBuyerPay if !existing.same_content(&candidate) => {
                business("ACQ.CONTEXT_INCONSISTENT")
            }
            // the same create again: the same trade
            Status::WaitBuyerPay => Answer::Success(
                json!({"out_trade_no": existing.out_trade_no, "trade_no": existing.trade_no}),
            ),
        };
    }
    let answer = json!({"out_trade_no": candidate.out_trade_no, "trade_no": candidate.trade_no});
    trades.push(candidate);
    Answer::Success(answer)
}

fn buyer_fields(t: &Trade, out: &mut serde_json::Map<String, Value>, user_key: &str) {
    if let Some(id) = &t.buyer_id {
        out.insert(user_key.to_owned(), json!(id));
        out.insert("buyer_logon_id".to_owned(), json!(masked_logon(id)));
    }
    if let Some(open) = &t.buyer_open_id {
        out.insert("buyer_open_id".to_owned(), json!(open));
    }
}

fn query(app: &App, biz: &Value) -> Answer {
    let trades = lock(&app.trades);
    let t = match find(&trades, biz) {
        Ok(i) => &trades[i],
        Err(a) => return a,
    };
    let paid = t.paid.is_some();
    let mut out = serde_json::Map::new();
    out.insert("trade_no".into(), json!(t.trade_no));
    out.insert("out_trade_no".into(), json!(t.out_trade_no));
    out.insert("trade_status".into(), json!(t.status.code()));
    out.insert("total_amount".into(), json!(yuan(t.total)));
    buyer_fields(t, &mut out, "buyer_user_id");
    if paid {
        out.insert("buyer_pay_amount".into(), json!(yuan(t.total)));
        out.insert("receipt_amount".into(), json!(yuan(t.total)));
        out.insert("invoice_amount".into(), json!(yuan(t.total)));
        out.insert("point_amount".into(), json!("0.00"));
        out.insert(
            "send_pay_date".into(),
            json!(beijing_time(t.paid.unwrap_or(t.created))),
        );
        out.insert(
            "fund_bill_list".into(),
            json!([{"amount": yuan(t.total), "fund_channel": "ALIPAYACCOUNT"}]),
        );
    }
    if let Some(p) = &t.passback_params {
        out.insert("passback_params".into(), json!(p));
    }
    Answer::Success(Value::Object(out))
}

fn close(app: &App, biz: &Value) -> Answer {
    let mut trades = lock(&app.trades);
    let i = match find(&trades, biz) {
        Ok(i) => i,
        Err(a) => return a,
    };
    let t = &mut trades[i];
    if t.status != Status::WaitBuyerPay {
        return business("ACQ.TRADE_STATUS_ERROR");
    }
    t.status = Status::Closed;
    Answer::Success(json!({"trade_no": t.trade_no, "out_trade_no": t.out_trade_no}))
}

fn refund(inner: &Arc<Inner>, app: &Arc<App>, biz: &Value) -> Answer {
    let Some(amount) = text(biz, "refund_amount").and_then(|a| parse_price(&a)) else {
        return invalid_parameter("refund_amount须为最多两位小数的金额");
    };
    if amount == 0 {
        return invalid_parameter("refund_amount须大于0");
    }
    let mut trades = lock(&app.trades);
    let i = match find(&trades, biz) {
        Ok(i) => i,
        Err(a) => return a,
    };
    let t = &mut trades[i];
    // without out_request_no the refund is keyed by the trade itself (a full refund)
    let out_request_no = text(biz, "out_request_no").unwrap_or_else(|| t.out_trade_no.clone());
    let mut out = serde_json::Map::new();
    out.insert("trade_no".into(), json!(t.trade_no));
    out.insert("out_trade_no".into(), json!(t.out_trade_no));
    buyer_fields(t, &mut out, "buyer_user_id");
    if let Some(done) = t
        .refunds
        .iter()
        .find(|r| r.out_request_no == out_request_no)
    {
        if done.amount != amount {
            return business("ACQ.CONTEXT_INCONSISTENT");
        }
        // the same request again: nothing moves
        out.insert("fund_change".into(), json!("N"));
        out.insert("refund_fee".into(), json!(yuan(t.refunded())));
        out.insert("gmt_refund_pay".into(), json!(beijing_time(done.time)));
        return Answer::Success(Value::Object(out));
    }
    if t.status != Status::Success {
        return business("ACQ.TRADE_STATUS_ERROR");
    }
    if amount > t.total.saturating_sub(t.refunded()) {
        return business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL");
    }
    let now = now_unix();
    t.refunds.push(AliRefund {
        out_request_no: out_request_no.clone(),
        amount,
        reason: text(biz, "refund_reason").unwrap_or_default(),
        time: now,
    });
    if t.refunded() == t.total {
        t.status = Status::Closed;
    }
    out.insert("fund_change".into(), json!("Y"));
    out.insert("refund_fee".into(), json!(yuan(t.refunded())));
    out.insert("gmt_refund_pay".into(), json!(beijing_time(now)));
    out.insert("send_back_fee".into(), json!(yuan(amount)));
    let snapshot = t.clone();
    drop(trades);
    // the refund is reported by an async notify too (refund_fee, gmt_refund, out_biz_no)
    tokio::spawn(send_notify(
        inner.clone(),
        app.clone(),
        snapshot,
        Some(out_request_no),
    ));
    Answer::Success(Value::Object(out))
}

fn refund_query(app: &App, biz: &Value) -> Answer {
    let Some(out_request_no) = text(biz, "out_request_no") else {
        return invalid_parameter("out_request_no不能为空");
    };
    let trades = lock(&app.trades);
    let t = match find(&trades, biz) {
        Ok(i) => &trades[i],
        Err(a) => return a,
    };
    let mut out = serde_json::Map::new();
    out.insert("trade_no".into(), json!(t.trade_no));
    out.insert("out_trade_no".into(), json!(t.out_trade_no));
    out.insert("out_request_no".into(), json!(out_request_no));
    // an unknown request: success without refund_status ("not received or failed")
    if let Some(r) = t
        .refunds
        .iter()
        .find(|r| r.out_request_no == out_request_no)
    {
        out.insert("total_amount".into(), json!(yuan(t.total)));
        out.insert("refund_amount".into(), json!(yuan(r.amount)));
        out.insert("refund_reason".into(), json!(r.reason));
        out.insert("refund_status".into(), json!("REFUND_SUCCESS"));
        out.insert("gmt_refund_pay".into(), json!(beijing_time(r.time)));
    }
    Answer::Success(Value::Object(out))
}

fn bill_url(inner: &Inner, app: &App, biz: &Value) -> Answer {
    let bill_type = text(biz, "bill_type").unwrap_or_default();
    if bill_type != "trade" && bill_type != "signcustomer" {
        return invalid_parameter("bill_type须为trade或signcustomer");
    }
    let date = text(biz, "bill_date").unwrap_or_default();
    let daily = baidupay_model::cashier::Date::parse(&date).is_ok();
    let monthly = date.len() == 7 && date.as_bytes().get(4) == Some(&b'-');
    if !daily && !monthly {
        return invalid_parameter("bill_date须为yyyy-MM-dd或yyyy-MM");
    }
    let mut csv = format!(
        "#支付宝业务明细查询\n#账号：[{}]\n#起始日期：[{date}]\n支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,订单金额（元）,商家实收（元）,退款批次号/请求号,服务费（元）\n",
        app.seller_id
    );
    let trades = lock(&app.trades);
    for t in trades
        .iter()
        .filter(|t| t.paid.is_some_and(|p| beijing_date(p).starts_with(&date)))
    {
        csv.push_str(&format!(
            "{},{},交易,{},{},{},{},{},,0.00\n",
            t.trade_no,
            t.out_trade_no,
            t.subject.replace(',', " "),
            beijing_time(t.created),
            beijing_time(t.paid.unwrap_or(t.created)),
            yuan(t.total),
            yuan(t.total)
        ));
        for r in &t.refunds {
            csv.push_str(&format!(
                "{},{},退款,{},{},{},-{},-{},{},0.00\n",
                t.trade_no,
                t.out_trade_no,
                t.subject.replace(',', " "),
                beijing_time(t.created),
                beijing_time(r.time),
                yuan(r.amount),
                yuan(r.amount),
                r.out_request_no
            ));
        }
    }
    drop(trades);
    let id = format!("{}-{}", app.app_id, inner.next_id());
    inner
        .alipay
        .bills
        .write_or_recover()
        .insert(id.clone(), csv);
    Answer::Success(json!({
        "bill_download_url": format!("{}/sandbox/alipay/bills/{id}", inner.base_url()),
    }))
}

pub(crate) async fn bill_file(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    crate::http_api::csv_file(&inner.alipay.bills, &id)
}

// --- my.tradePay and the notify ---------------------------------------------------------------

/// `POST /sandbox/alipay/pay {"app_id"?, "trade_no"}`: the buyer pays (what `my.tradePay`
/// does in the mini program); the signed notify goes to the trade's `notify_url`.
pub(crate) async fn pay(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(trade_no) = v.get("trade_no").and_then(Value::as_str) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "trade_no is required"}),
        );
    };
    let apps: Vec<Arc<App>> = inner
        .alipay
        .apps
        .read_or_recover()
        .values()
        .filter(|a| {
            v.get("app_id")
                .and_then(Value::as_str)
                .is_none_or(|id| id == a.app_id)
        })
        .cloned()
        .collect();
    for app in apps {
        let mut trades = lock(&app.trades);
        let Some(t) = trades.iter_mut().find(|t| t.trade_no == trade_no) else {
            continue;
        };
        if t.status != Status::WaitBuyerPay {
            let status = t.status.code();
            return json_response(
                StatusCode::CONFLICT,
                &json!({"error": format!("trade {trade_no} is {status}"), "resultCode": "4000"}),
            );
        }
        t.status = Status::Success;
        t.paid = Some(now_unix());
        let snapshot = t.clone();
        drop(trades);
        tokio::spawn(send_notify(
            inner.clone(),
            app.clone(),
            snapshot.clone(),
            None,
        ));
        // what my.tradePay reports to the mini program
        return json_response(
            StatusCode::OK,
            &json!({"resultCode": "9000", "trade_no": snapshot.trade_no, "out_trade_no": snapshot.out_trade_no}),
        );
    }
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"error": format!("no trade {trade_no}")}),
    )
}

/// Sends the trade notify (a payment, or with `refund` the refund request number) until the
/// merchant answers `success`.
async fn send_notify(inner: Arc<Inner>, app: Arc<App>, t: Trade, refund: Option<String>) {
    let Some(url) = t.notify_url.clone() else {
        return;
    };
    let now = now_unix();
    let mut pairs: Vec<(String, String)> = vec![
        ("notify_time".into(), beijing_time(now)),
        ("notify_type".into(), "trade_status_sync".into()),
        (
            "notify_id".into(),
            format!("2026sandbox{:x}{:08x}", inner.next_id(), now),
        ),
        ("app_id".into(), app.app_id.clone()),
        ("auth_app_id".into(), app.app_id.clone()),
        ("charset".into(), "utf-8".into()),
        ("version".into(), "1.0".into()),
        ("sign_type".into(), "RSA2".into()),
        ("trade_no".into(), t.trade_no.clone()),
        ("out_trade_no".into(), t.out_trade_no.clone()),
        ("seller_id".into(), app.seller_id.clone()),
        ("trade_status".into(), t.status.code().into()),
        ("total_amount".into(), yuan(t.total)),
        ("receipt_amount".into(), yuan(t.total)),
        ("invoice_amount".into(), yuan(t.total)),
        ("buyer_pay_amount".into(), yuan(t.total)),
        ("point_amount".into(), "0.00".into()),
        ("subject".into(), t.subject.clone()),
        ("gmt_create".into(), beijing_time(t.created)),
        (
            "gmt_payment".into(),
            beijing_time(t.paid.unwrap_or(t.created)),
        ),
        (
            "fund_bill_list".into(),
            json!([{"amount": yuan(t.total), "fundChannel": "ALIPAYACCOUNT"}]).to_string(),
        ),
    ];
    if let Some(id) = &t.buyer_id {
        pairs.push(("buyer_id".into(), id.clone()));
        pairs.push(("buyer_logon_id".into(), masked_logon(id)));
    }
    if let Some(open) = &t.buyer_open_id {
        pairs.push(("buyer_open_id".into(), open.clone()));
    }
    if let Some(b) = &t.body {
        pairs.push(("body".into(), b.clone()));
    }
    if let Some(p) = &t.passback_params {
        // verbatim: the merchant URL-encoded it, the form encoding wraps it once more
        pairs.push(("passback_params".into(), p.clone()));
    }
    if let Some(req) = &refund {
        pairs.push(("out_biz_no".into(), req.clone()));
        pairs.push(("refund_fee".into(), yuan(t.refunded())));
        let when = t
            .refunds
            .iter()
            .find(|r| &r.out_request_no == req)
            .map_or(now, |r| r.time);
        pairs.push(("gmt_refund".into(), beijing_time(when)));
        if t.status == Status::Closed {
            pairs.push(("gmt_close".into(), beijing_time(when)));
        }
    }
    let sign = canonical_string(
        Rules::AlipayNotify,
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .and_then(|s| inner.alipay.signer.sign_base64(s.as_bytes()));
    match sign {
        Ok(s) => pairs.push(("sign".into(), s)),
        Err(e) => tracing::error!(error = %e, "sandbox could not sign an Alipay notify"),
    }
    let body = form::encode(pairs.iter().map(|(k, v)| (k, v)));
    deliver::deliver(
        inner,
        CallbackKind::AlipayTrade,
        app.app_id.clone(),
        url,
        body,
    )
    .await;
}

pub(crate) async fn show_app(
    State(inner): State<Arc<Inner>>,
    Path(app_id): Path<String>,
) -> Response {
    match inner.alipay.app(&app_id) {
        Some(app) => {
            let trades = lock(&app.trades);
            let list: Vec<Value> = trades
                .iter()
                .map(|t| {
                    json!({
                        "trade_no": t.trade_no, "out_trade_no": t.out_trade_no,
                        "total_amount": yuan(t.total), "trade_status": t.status.code(),
                        "refund_fee": yuan(t.refunded()),
                    })
                })
                .collect();
            json_response(
                StatusCode::OK,
                &json!({
                    "app_id": app.app_id, "seller_id": app.seller_id,
                    "notify_url": app.notify_url,
                    "app_public_key": app.key.to_spki_pem(),
                    "trades": list,
                }),
            )
        }
        None => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no Alipay app {app_id}")}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_read_exactly() {
        assert_eq!(parse_price("88.88"), Some(8888));
        assert_eq!(parse_price("0.5"), Some(50));
        assert_eq!(parse_price("100000000.01"), Some(10_000_000_001));
        assert_eq!(parse_price("1"), Some(100));
        for bad in ["", ".5", "1.234", "-1", "1e3", "1,00", " 1"] {
            assert_eq!(parse_price(bad), None, "{bad}");
        }
        assert_eq!(yuan(5), "0.05");
        assert_eq!(html_escape("a=1&b=<2>"), "a=1&amp;b=&lt;2&gt;");
        assert!(is_timestamp("2024-05-13 17:49:20"));
        assert!(!is_timestamp("2024-05-13T17:49:20"));
        assert!(!is_timestamp("2024-5-13 17:49:20"));
        assert_eq!(masked_logon("2088102177846880"), "san***@6880.com");
    }
}
