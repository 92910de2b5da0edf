//! The ledger's transactions, written once for both SQL engines against a small [`Tx`] trait
//! (`$1`-style parameters; SQLite gets them as `?1`).
//!
//! Each notify first takes its idempotency key (`INSERT ... ON CONFLICT DO NOTHING`): a
//! concurrent delivery of the same notify waits there (PostgreSQL) or is serialized before it
//! (SQLite), then finds the key taken and replays the stored answer. Every state change is a
//! guarded `UPDATE` (`WHERE state = ...`, amounts within what is left) that the database checks
//! again against the schema's constraints and triggers.

use std::future::Future;

use baidupay_model::alipay::TradeNotification;
use baidupay_model::callback::{
    PaymentNotification, RefundAuditRequest, RefundNotification, RefundNotifyStatus,
};
use baidupay_model::reconcile::Entry;
use baidupay_model::{Fen, OutRequestNo, TpOrderId, Yuan};
use baidupay_notify::{ExpectedTrade, check_payment, check_trade};

use super::{
    AuditAnswer, Effect, OrderCreated, Outcome, PayAnswer, RefundStart, StoreError, fen_from_db,
    fen_to_db,
};
use crate::{Order, OrderState};

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Int(i64),
    Text(String),
    Null,
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// One result row.
#[derive(Debug)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.0.get(i) {
            Some(Value::Int(v)) => Ok(*v),
            _ => Err(StoreError::Corrupt("an integer column is not an integer")),
        }
    }

    fn fen(&self, i: usize) -> Result<Fen, StoreError> {
        fen_from_db(self.int(i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<&str>, StoreError> {
        match self.0.get(i) {
            Some(Value::Text(v)) => Ok(Some(v)),
            Some(Value::Null) => Ok(None),
            _ => Err(StoreError::Corrupt("a text column is not text")),
        }
    }

    fn text(&self, i: usize) -> Result<&str, StoreError> {
        self.opt_text(i)?
            .ok_or(StoreError::Corrupt("a text column is null"))
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.0.get(i) {
            Some(Value::Int(v)) => Ok(Some(*v)),
            Some(Value::Null) => Ok(None),
            _ => Err(StoreError::Corrupt("an integer column is not an integer")),
        }
    }
}

/// A transaction of either engine.
pub(crate) trait Tx {
    /// Runs a statement; the number of rows it changed.
    fn exec(
        &mut self,
        sql: &'static str,
        params: &[Value],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Runs a query; its rows.
    fn rows(
        &mut self,
        sql: &'static str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>, StoreError>> + Send;
}

async fn row<T: Tx>(
    tx: &mut T,
    sql: &'static str,
    params: &[Value],
) -> Result<Option<Row>, StoreError> {
    Ok(tx.rows(sql, params).await?.into_iter().next())
}

pub(crate) async fn create_order<T: Tx>(
    tx: &mut T,
    tp: &TpOrderId,
    total: Fen,
) -> Result<OrderCreated, StoreError> {
    let fen = fen_to_db(total)?;
    let id = text(tp.as_str());
    let n = tx
        .exec(
            "INSERT INTO orders (tp_order_id, total_fen) VALUES ($1, $2) \
             ON CONFLICT (tp_order_id) DO NOTHING",
            &[id.clone(), Value::Int(fen)],
        )
        .await?;
    if n == 1 {
        return Ok(OrderCreated::Created);
    }
    let existing = row(
        tx,
        "SELECT total_fen FROM orders WHERE tp_order_id = $1",
        &[id],
    )
    .await?
    .ok_or(StoreError::Corrupt("an order that is there and is not"))?
    .fen(0)?;
    Ok(if existing == total {
        OrderCreated::AlreadyExists
    } else {
        OrderCreated::Conflict { existing }
    })
}

pub(crate) async fn create_orders<T: Tx>(
    tx: &mut T,
    orders: &[(TpOrderId, Fen)],
) -> Result<Vec<OrderCreated>, StoreError> {
    let mut out = Vec::with_capacity(orders.len());
    for (tp, total) in orders {
        out.push(create_order(tx, tp, *total).await?);
    }
    Ok(out)
}

pub(crate) async fn order<T: Tx>(tx: &mut T, tp: &TpOrderId) -> Result<Option<Order>, StoreError> {
    let Some(r) = row(
        tx,
        "SELECT o.total_fen, o.state, o.refunded_fen, o.pending_fen, p.channel, p.platform_id, \
         p.user_id FROM orders o LEFT JOIN payments p ON p.tp_order_id = o.tp_order_id \
         WHERE o.tp_order_id = $1",
        &[text(tp.as_str())],
    )
    .await?
    else {
        return Ok(None);
    };
    let state = match (r.text(1)?, r.opt_text(4)?) {
        ("created", _) => OrderState::Created,
        ("paid", Some("baidu")) => OrderState::Paid {
            order_id: r
                .text(5)?
                .parse()
                .map_err(|_| StoreError::Corrupt("a baidu order id that is not a number"))?,
            user_id: r
                .opt_int(6)?
                .and_then(|u| u64::try_from(u).ok())
                .unwrap_or(0),
        },
        ("paid", Some(_)) => OrderState::PaidAlipay {
            trade_no: r.text(5)?.to_owned(),
        },
        ("refunding", _) => OrderState::Refunding,
        ("refunded", _) => OrderState::Refunded,
        _ => return Err(StoreError::Corrupt("an order state outside the schema")),
    };
    Ok(Some(Order {
        total: r.fen(0)?,
        state,
        refunded: r.fen(2)?,
        refunding: r.fen(3)?,
    }))
}

/// Takes the notify key; `false` when it was taken already.
async fn take_key<T: Tx>(
    tx: &mut T,
    channel: &'static str,
    key: &str,
    tp: &str,
    answer: &str,
) -> Result<bool, StoreError> {
    Ok(tx
        .exec(
            "INSERT INTO notify_log (channel, notify_key, tp_order_id, answer) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[text(channel), text(key), text(tp), text(answer)],
        )
        .await?
        == 1)
}

pub(crate) async fn baidu_payment<T: Tx>(
    tx: &mut T,
    n: &PaymentNotification,
) -> Result<Outcome<PayAnswer>, StoreError> {
    let key = n.order_id.get().to_string();
    let tp = n.tp_order_id.as_str();
    // recorded as consumed (the common case); corrected below when it is not
    if !take_key(tx, "baidu_pay", &key, tp, PayAnswer::Consumed.as_str()).await? {
        let r = row(
            tx,
            "SELECT tp_order_id, answer FROM notify_log \
             WHERE channel = 'baidu_pay' AND notify_key = $1",
            &[text(key)],
        )
        .await?
        .ok_or(StoreError::Corrupt("a notify key that is there and is not"))?;
        let same = r.text(0)? == tp && r.text(1)? == PayAnswer::Consumed.as_str();
        let answer = if same {
            PayAnswer::Consumed
        } else {
            PayAnswer::ErrorOrder
        };
        return Ok(Outcome::new(answer, Effect::Duplicate));
    }
    let answer = pay_baidu(tx, n, &key).await?;
    if answer != PayAnswer::Consumed {
        tx.exec(
            "UPDATE notify_log SET answer = $2 WHERE channel = 'baidu_pay' AND notify_key = $1",
            &[text(key), text(answer.as_str())],
        )
        .await?;
    }
    let effect = match answer {
        PayAnswer::Consumed => Effect::Applied,
        PayAnswer::ErrorOrder => Effect::Recorded,
    };
    Ok(Outcome::new(answer, effect))
}

async fn pay_baidu<T: Tx>(
    tx: &mut T,
    n: &PaymentNotification,
    key: &str,
) -> Result<PayAnswer, StoreError> {
    let tp = n.tp_order_id.as_str();
    let Some(total) = row(
        tx,
        "SELECT total_fen FROM orders WHERE tp_order_id = $1",
        &[text(tp)],
    )
    .await?
    else {
        // not an order of ours: have Baidu refund it
        return Ok(PayAnswer::ErrorOrder);
    };
    let total = total.fen(0)?;
    if check_payment(n, &n.tp_order_id, total).is_err() {
        // wrong amount or not paid
        return Ok(PayAnswer::ErrorOrder);
    }
    let user = i64::try_from(n.user_id.get()).map_err(|_| StoreError::Corrupt("user id"))?;
    let inserted = tx
        .exec(
            "INSERT INTO payments (channel, platform_id, tp_order_id, amount_fen, user_id) \
             VALUES ('baidu', $1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[
                text(key),
                text(tp),
                Value::Int(fen_to_db(total)?),
                Value::Int(user),
            ],
        )
        .await?;
    if inserted == 0 {
        // a second payment of the same order: refund it
        return Ok(PayAnswer::ErrorOrder);
    }
    mark_paid(tx, tp).await?;
    Ok(PayAnswer::Consumed)
}

async fn mark_paid<T: Tx>(tx: &mut T, tp: &str) -> Result<(), StoreError> {
    let n = tx
        .exec(
            "UPDATE orders SET state = 'paid' WHERE tp_order_id = $1 AND state = 'created'",
            &[text(tp)],
        )
        .await?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Corrupt(
            "a first payment of an order that is not new",
        ))
    }
}

pub(crate) async fn baidu_refund_audit<T: Tx>(
    tx: &mut T,
    r: &RefundAuditRequest,
) -> Result<Outcome<AuditAnswer>, StoreError> {
    let tp = r.tp_order_id.as_str();
    let key = r.refund_batch_id.as_str();
    if let Some(answer) = audited(tx, tp, key).await? {
        return Ok(Outcome::new(answer, Effect::Duplicate));
    }
    let Some(o) = row(
        tx,
        "SELECT o.total_fen, o.refunded_fen, o.pending_fen FROM orders o \
         JOIN payments p ON p.tp_order_id = o.tp_order_id \
         WHERE o.tp_order_id = $1 AND p.channel = 'baidu' AND o.state IN ('paid', 'refunding')",
        &[text(tp)],
    )
    .await?
    else {
        // not seen paid (its payment notify may still be on the way)
        return Ok(Outcome::new(AuditAnswer::Rejected, Effect::Recorded));
    };
    let left = o
        .fen(0)?
        .checked_sub(o.fen(1)?)
        .and_then(|l| l.checked_sub(o.fen(2).ok()?))
        .unwrap_or(Fen::ZERO);
    let amount = r.apply_refund_money.unwrap_or(left);
    if amount == Fen::ZERO || amount > left {
        return Ok(Outcome::new(AuditAnswer::Rejected, Effect::Recorded));
    }
    let inserted = tx
        .exec(
            "INSERT INTO refunds (channel, tp_order_id, refund_key, amount_fen) \
             VALUES ('baidu', $1, $2, $3) ON CONFLICT DO NOTHING",
            &[text(tp), text(key), Value::Int(fen_to_db(amount)?)],
        )
        .await?;
    if inserted == 0 {
        // the same audit, concurrently: its answer
        let answer = audited(tx, tp, key).await?.unwrap_or(AuditAnswer::Rejected);
        return Ok(Outcome::new(answer, Effect::Duplicate));
    }
    if !reserve(tx, tp, amount).await? {
        undo_refund(tx, "baidu", tp, key).await?;
        return Ok(Outcome::new(AuditAnswer::Rejected, Effect::Recorded));
    }
    Ok(Outcome::new(AuditAnswer::Approved(amount), Effect::Applied))
}

/// The answer given to an earlier audit of this batch, if any.
async fn audited<T: Tx>(
    tx: &mut T,
    tp: &str,
    key: &str,
) -> Result<Option<AuditAnswer>, StoreError> {
    let Some(r) = row(
        tx,
        "SELECT tp_order_id, amount_fen, state FROM refunds \
         WHERE channel = 'baidu' AND refund_key = $1",
        &[text(key)],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(if r.text(0)? == tp && r.text(2)? != "failed" {
        AuditAnswer::Approved(r.fen(1)?)
    } else {
        AuditAnswer::Rejected
    }))
}

/// Puts `amount` pending on a paid order, within what is left; `false` when it does not fit.
async fn reserve<T: Tx>(tx: &mut T, tp: &str, amount: Fen) -> Result<bool, StoreError> {
    Ok(tx
        .exec(
            "UPDATE orders SET pending_fen = pending_fen + $2, state = 'refunding' \
             WHERE tp_order_id = $1 AND state IN ('paid', 'refunding') \
             AND refunded_fen + pending_fen + $2 <= total_fen",
            &[text(tp), Value::Int(fen_to_db(amount)?)],
        )
        .await?
        == 1)
}

async fn undo_refund<T: Tx>(
    tx: &mut T,
    channel: &'static str,
    tp: &str,
    key: &str,
) -> Result<(), StoreError> {
    tx.exec(
        "DELETE FROM refunds WHERE channel = $1 AND tp_order_id = $2 AND refund_key = $3 \
         AND state = 'pending'",
        &[text(channel), text(tp), text(key)],
    )
    .await?;
    Ok(())
}

/// Ends a pending refund: succeeded (counts towards the order) or failed (released).
/// `false` when it was not pending.
async fn finish_refund<T: Tx>(
    tx: &mut T,
    channel: &'static str,
    tp: &str,
    key: &str,
    succeeded: bool,
) -> Result<bool, StoreError> {
    let Some(r) = row(
        tx,
        "SELECT amount_fen FROM refunds WHERE channel = $1 AND tp_order_id = $2 \
         AND refund_key = $3 AND state = 'pending'",
        &[text(channel), text(tp), text(key)],
    )
    .await?
    else {
        return Ok(false);
    };
    let amount = r.int(0)?;
    let state = if succeeded { "succeeded" } else { "failed" };
    let n = tx
        .exec(
            "UPDATE refunds SET state = $4 WHERE channel = $1 AND tp_order_id = $2 \
             AND refund_key = $3 AND state = 'pending'",
            &[text(channel), text(tp), text(key), text(state)],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    let sql = if succeeded {
        "UPDATE orders SET refunded_fen = refunded_fen + $2, pending_fen = pending_fen - $2, \
         state = CASE WHEN refunded_fen + $2 = total_fen THEN 'refunded' \
         WHEN pending_fen - $2 > 0 THEN 'refunding' ELSE 'paid' END \
         WHERE tp_order_id = $1 AND pending_fen >= $2"
    } else {
        "UPDATE orders SET pending_fen = pending_fen - $2, \
         state = CASE WHEN pending_fen - $2 > 0 THEN 'refunding' ELSE 'paid' END \
         WHERE tp_order_id = $1 AND pending_fen >= $2"
    };
    if tx.exec(sql, &[text(tp), Value::Int(amount)]).await? != 1 {
        return Err(StoreError::Corrupt(
            "a pending refund its order does not hold",
        ));
    }
    Ok(true)
}

pub(crate) async fn baidu_refund<T: Tx>(
    tx: &mut T,
    r: &RefundNotification,
) -> Result<Outcome<()>, StoreError> {
    let key = r.refund_batch_id.as_str();
    let tp_given = r.tp_order_id.as_ref().map(TpOrderId::as_str);
    if !take_key(tx, "baidu_refund", key, tp_given.unwrap_or(""), "ok").await? {
        return Ok(Outcome::new((), Effect::Duplicate));
    }
    let approved = row(
        tx,
        "SELECT tp_order_id FROM refunds WHERE channel = 'baidu' AND refund_key = $1 \
         AND state = 'pending'",
        &[text(key)],
    )
    .await?;
    if let Some(a) = approved {
        let tp = a.text(0)?.to_owned();
        if tp_given.is_none_or(|t| t == tp) {
            match r.refund_status {
                RefundNotifyStatus::Succeeded => {
                    finish_refund(tx, "baidu", &tp, key, true).await?;
                }
                RefundNotifyStatus::Failed => {
                    finish_refund(tx, "baidu", &tp, key, false).await?;
                }
                _ => {}
            }
        }
    }
    // the first delivery of a refund result is its effect (as the in-memory ledger counts it)
    Ok(Outcome::new((), Effect::Applied))
}

pub(crate) async fn alipay_notify<T: Tx>(
    tx: &mut T,
    n: &TradeNotification,
    app_id: &str,
) -> Result<Outcome<()>, StoreError> {
    let tp = n.out_trade_no.as_str();
    if !take_key(tx, "alipay", &n.notify_id, tp, "success").await? {
        return Ok(Outcome::new((), Effect::Duplicate));
    }
    if let Some(out_biz_no) = &n.out_biz_no {
        // a refund notify: completes the refund this merchant recorded, if it is pending
        let done = finish_refund(tx, "alipay", tp, out_biz_no, true).await?;
        return Ok(Outcome::new(
            (),
            if done {
                Effect::Applied
            } else {
                Effect::Recorded
            },
        ));
    }
    if !n.is_paid() {
        return Ok(Outcome::new((), Effect::Recorded));
    }
    let Some(o) = row(
        tx,
        "SELECT total_fen FROM orders WHERE tp_order_id = $1",
        &[text(tp)],
    )
    .await?
    else {
        return Ok(Outcome::new((), Effect::Recorded));
    };
    let total = o.fen(0)?;
    let expected = Yuan::from_fen(total)
        .ok()
        .map(|total_amount| ExpectedTrade {
            app_id: app_id.to_owned(),
            out_trade_no: n.out_trade_no.clone(),
            total_amount,
            seller_id: None,
        });
    if expected.is_none_or(|e| check_trade(n, &e).is_err()) {
        // recorded as seen (and abnormal); acknowledged so Alipay stops resending
        return Ok(Outcome::new((), Effect::Recorded));
    }
    let inserted = tx
        .exec(
            "INSERT INTO payments (channel, platform_id, tp_order_id, amount_fen) \
             VALUES ('alipay', $1, $2, $3) ON CONFLICT DO NOTHING",
            &[
                text(n.trade_no.to_string()),
                text(tp),
                Value::Int(fen_to_db(total)?),
            ],
        )
        .await?;
    if inserted == 0 {
        // paid already (another status notify of the same trade)
        return Ok(Outcome::new((), Effect::Recorded));
    }
    mark_paid(tx, tp).await?;
    Ok(Outcome::new((), Effect::Applied))
}

pub(crate) async fn alipay_refund_start<T: Tx>(
    tx: &mut T,
    tp: &TpOrderId,
    out_request_no: &OutRequestNo,
    amount: Fen,
) -> Result<RefundStart, StoreError> {
    let (tp, key) = (tp.as_str(), out_request_no.as_str());
    if amount == Fen::ZERO {
        return Ok(RefundStart::Amount);
    }
    // at most twice: a concurrent start of the same refund is found on the second round
    for _ in 0..2 {
        if let Some(r) = row(
            tx,
            "SELECT amount_fen, state FROM refunds WHERE channel = 'alipay' \
             AND tp_order_id = $1 AND refund_key = $2",
            &[text(tp), text(key)],
        )
        .await?
        {
            if r.fen(0)? != amount {
                return Ok(RefundStart::Reused);
            }
            return match r.text(1)? {
                "succeeded" => Ok(RefundStart::AlreadyDone),
                "pending" => Ok(RefundStart::Send),
                _ => {
                    // refused before: sent again under the same number if it still fits
                    if !reserve(tx, tp, amount).await? {
                        return Ok(RefundStart::Amount);
                    }
                    tx.exec(
                        "UPDATE refunds SET state = 'pending' WHERE channel = 'alipay' \
                         AND tp_order_id = $1 AND refund_key = $2 AND state = 'failed'",
                        &[text(tp), text(key)],
                    )
                    .await?;
                    Ok(RefundStart::Send)
                }
            };
        }
        let paid = row(
            tx,
            "SELECT o.state FROM orders o JOIN payments p ON p.tp_order_id = o.tp_order_id \
             WHERE o.tp_order_id = $1 AND p.channel = 'alipay' \
             AND o.state IN ('paid', 'refunding')",
            &[text(tp)],
        )
        .await?;
        if paid.is_none() {
            return Ok(RefundStart::NotPaid);
        }
        let inserted = tx
            .exec(
                "INSERT INTO refunds (channel, tp_order_id, refund_key, amount_fen) \
                 VALUES ('alipay', $1, $2, $3) ON CONFLICT DO NOTHING",
                &[text(tp), text(key), Value::Int(fen_to_db(amount)?)],
            )
            .await?;
        if inserted == 0 {
            continue;
        }
        if !reserve(tx, tp, amount).await? {
            undo_refund(tx, "alipay", tp, key).await?;
            return Ok(RefundStart::Amount);
        }
        return Ok(RefundStart::Send);
    }
    Err(StoreError::Corrupt("a refund that is there and is not"))
}

pub(crate) async fn alipay_refund_end<T: Tx>(
    tx: &mut T,
    tp: &TpOrderId,
    out_request_no: &OutRequestNo,
    succeeded: bool,
) -> Result<bool, StoreError> {
    finish_refund(
        tx,
        "alipay",
        tp.as_str(),
        out_request_no.as_str(),
        succeeded,
    )
    .await
}

pub(crate) async fn ledger<T: Tx>(tx: &mut T) -> Result<Vec<Entry>, StoreError> {
    let rows = tx
        .rows(
            "SELECT 'payment', tp_order_id, platform_id, '', amount_fen FROM payments \
             UNION ALL \
             SELECT 'refund', tp_order_id, \
             CASE WHEN channel = 'baidu' THEN refund_key ELSE '' END, \
             CASE WHEN channel = 'alipay' THEN refund_key ELSE '' END, amount_fen \
             FROM refunds WHERE state = 'succeeded' \
             ORDER BY 2, 1, 3, 4",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let (tp, amount) = (r.text(1)?, r.fen(4)?);
            Ok(match r.text(0)? {
                "payment" => Entry::payment(tp, amount).with_platform_id(r.text(2)?),
                _ => Entry::refund(tp, amount)
                    .with_platform_id(r.text(2)?)
                    .with_refund_id(r.text(3)?),
            })
        })
        .collect()
}
