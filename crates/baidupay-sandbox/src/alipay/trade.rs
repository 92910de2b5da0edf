//! The trade methods of the gateway: `alipay.trade.create` (JSAPI_PAY), `query`, `close`,
//! `refund` and `fastpay.refund.query`.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::alipay::answer::{Answer, business, invalid_parameter, not_stored, text};
use crate::alipay::notify::{masked_logon, notify};
use crate::deliver::send_owed;
use crate::state::Inner;
use crate::state::alipay::{AliRefund, App, Status, Trade};
use crate::store::Change;
use crate::sync::lock;
use crate::time::{beijing_date, beijing_time, yuan};

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

/// The most a single trade may be: 100,000,000.00 yuan.
const MAX_TOTAL: u64 = 10_000_000_000;

/// The trade `trade_no` or `out_trade_no` names (`trade_no` wins), as an index.
pub(crate) fn find(trades: &[Trade], biz: &Value) -> Result<usize, Answer> {
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

pub(crate) fn create(inner: &Inner, app: &App, biz: &Value, notify_url: Option<String>) -> Answer {
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
    let now = inner.now_unix();
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
    if let Err(e) = inner.store(&[Change::Trade(app.app_id.clone(), candidate.clone())]) {
        return not_stored(&e);
    }
    trades.push(candidate);
    Answer::Success(answer)
}

pub(crate) fn buyer_fields(t: &Trade, out: &mut serde_json::Map<String, Value>, user_key: &str) {
    if let Some(id) = &t.buyer_id {
        out.insert(user_key.to_owned(), json!(id));
        out.insert("buyer_logon_id".to_owned(), json!(masked_logon(id)));
    }
    if let Some(open) = &t.buyer_open_id {
        out.insert("buyer_open_id".to_owned(), json!(open));
    }
}

pub(crate) fn query(app: &App, biz: &Value) -> Answer {
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

pub(crate) fn close(inner: &Inner, app: &App, biz: &Value) -> Answer {
    let mut trades = lock(&app.trades);
    let i = match find(&trades, biz) {
        Ok(i) => i,
        Err(a) => return a,
    };
    let t = &mut trades[i];
    if t.status != Status::WaitBuyerPay {
        return business("ACQ.TRADE_STATUS_ERROR");
    }
    let mut closed = t.clone();
    closed.status = Status::Closed;
    if let Err(e) = inner.store(&[Change::Trade(app.app_id.clone(), closed.clone())]) {
        return not_stored(&e);
    }
    *t = closed;
    Answer::Success(json!({"trade_no": t.trade_no, "out_trade_no": t.out_trade_no}))
}

pub(crate) fn refund(inner: &Arc<Inner>, app: &Arc<App>, biz: &Value) -> Answer {
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
    let now = inner.now_unix();
    let mut refunded = t.clone();
    refunded.refunds.push(AliRefund {
        out_request_no: out_request_no.clone(),
        amount,
        reason: text(biz, "refund_reason").unwrap_or_default(),
        time: now,
    });
    if refunded.refunded() == refunded.total {
        refunded.status = Status::Closed;
    }
    // the refund is reported by an async notify too (refund_fee, gmt_refund, out_biz_no),
    // owed from the moment the refund is stored
    let owed = notify(inner, app, &refunded, Some(&out_request_no));
    let mut changes = vec![Change::Trade(app.app_id.clone(), refunded.clone())];
    changes.extend(owed.clone().map(Change::Owed));
    if let Err(e) = inner.store(&changes) {
        return not_stored(&e);
    }
    *t = refunded;
    out.insert("fund_change".into(), json!("Y"));
    out.insert("refund_fee".into(), json!(yuan(t.refunded())));
    out.insert("gmt_refund_pay".into(), json!(beijing_time(now)));
    out.insert("send_back_fee".into(), json!(yuan(amount)));
    drop(trades);
    if let Some(o) = owed {
        tokio::spawn(send_owed(inner.clone(), o));
    }
    Answer::Success(Value::Object(out))
}

pub(crate) fn refund_query(app: &App, biz: &Value) -> Answer {
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
    }
}
