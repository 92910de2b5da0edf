//! The in-memory ledger: the same rules as the SQL engines, in `HashMap`s behind one lock.
//! Lost on exit; for tests and as the reference of the load bench (`memory://`).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use baidupay_model::alipay::TradeNotification;
use baidupay_model::callback::{
    PaymentNotification, RefundAuditRequest, RefundNotification, RefundNotifyStatus,
};
use baidupay_model::reconcile::Entry;
use baidupay_model::{Fen, OutRequestNo, TpOrderId, Yuan};
use baidupay_notify::{ExpectedTrade, check_payment, check_trade};

use super::{
    AuditAnswer, Effect, OrderCreated, Outcome, PayAnswer, RefundStart, Store, StoreError,
};
use crate::{Order, OrderState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefundState {
    Pending,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone)]
struct Refund {
    amount: Fen,
    state: RefundState,
}

#[derive(Debug, Default)]
struct Ledger {
    orders: HashMap<String, Order>,
    /// `(channel, platform id)` → order, and order → `(channel, platform id, Baidu user id)`.
    payments: HashMap<(&'static str, String), String>,
    paid_by: HashMap<String, (&'static str, String, u64)>,
    /// `(channel, order, refund key)` → refund.
    refunds: HashMap<(&'static str, String, String), Refund>,
    /// Baidu refund batch → order.
    baidu_batches: HashMap<String, String>,
    /// `(channel, notify key)` → `(order, answer)`.
    notify_log: HashMap<(&'static str, String), (String, PayAnswer)>,
}

/// The in-memory ledger (see the module docs).
#[derive(Debug, Default)]
pub struct MemoryStore {
    ledger: Mutex<Ledger>,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Ledger {
    fn left(o: &Order) -> Fen {
        o.total
            .checked_sub(o.refunded)
            .and_then(|l| l.checked_sub(o.refunding))
            .unwrap_or(Fen::ZERO)
    }

    fn reserve(&mut self, tp: &str, amount: Fen) -> bool {
        match self.orders.get_mut(tp) {
            Some(o)
                if matches!(
                    o.state,
                    OrderState::Paid { .. } | OrderState::PaidAlipay { .. } | OrderState::Refunding
                ) && amount <= Self::left(o) =>
            {
                o.refunding = o.refunding.checked_add(amount).unwrap_or(o.total);
                o.state = OrderState::Refunding;
                true
            }
            _ => false,
        }
    }

    fn finish(&mut self, channel: &'static str, tp: &str, key: &str, succeeded: bool) -> bool {
        let Some(r) = self
            .refunds
            .get_mut(&(channel, tp.to_owned(), key.to_owned()))
            .filter(|r| r.state == RefundState::Pending)
        else {
            return false;
        };
        r.state = if succeeded {
            RefundState::Succeeded
        } else {
            RefundState::Failed
        };
        let amount = r.amount;
        let paid_state = self.paid_state(tp);
        if let Some(o) = self.orders.get_mut(tp) {
            o.refunding = o.refunding.checked_sub(amount).unwrap_or(Fen::ZERO);
            if succeeded {
                o.refunded = o.refunded.checked_add(amount).unwrap_or(o.total);
            }
            o.state = if o.refunded >= o.total {
                OrderState::Refunded
            } else if o.refunding > Fen::ZERO {
                OrderState::Refunding
            } else {
                paid_state
            };
        }
        true
    }

    /// The `paid` state of an order, with its payment's ids.
    fn paid_state(&self, tp: &str) -> OrderState {
        match self.paid_by.get(tp) {
            Some(("baidu", id, user_id)) => OrderState::Paid {
                order_id: id.parse().unwrap_or(0),
                user_id: *user_id,
            },
            Some((_, id, _)) => OrderState::PaidAlipay {
                trade_no: id.clone(),
            },
            None => OrderState::Created,
        }
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn create_order(&self, tp: &TpOrderId, total: Fen) -> Result<OrderCreated, StoreError> {
        let mut l = self.lock();
        if let Some(o) = l.orders.get(tp.as_str()) {
            return Ok(if o.total == total {
                OrderCreated::AlreadyExists
            } else {
                OrderCreated::Conflict { existing: o.total }
            });
        }
        l.orders.insert(
            tp.as_str().to_owned(),
            Order {
                total,
                state: OrderState::Created,
                refunded: Fen::ZERO,
                refunding: Fen::ZERO,
            },
        );
        Ok(OrderCreated::Created)
    }

    async fn create_orders(
        &self,
        orders: &[(TpOrderId, Fen)],
    ) -> Result<Vec<OrderCreated>, StoreError> {
        let mut out = Vec::with_capacity(orders.len());
        for (tp, total) in orders {
            out.push(self.create_order(tp, *total).await?);
        }
        Ok(out)
    }

    async fn order(&self, tp: &TpOrderId) -> Result<Option<Order>, StoreError> {
        Ok(self.lock().orders.get(tp.as_str()).cloned())
    }

    async fn baidu_payment(
        &self,
        n: &PaymentNotification,
    ) -> Result<Outcome<PayAnswer>, StoreError> {
        let mut l = self.lock();
        let key = ("baidu_pay", n.order_id.get().to_string());
        let tp = n.tp_order_id.as_str();
        if let Some((seen_tp, answer)) = l.notify_log.get(&key) {
            let answer = if seen_tp == tp {
                *answer
            } else {
                PayAnswer::ErrorOrder
            };
            return Ok(Outcome::new(answer, Effect::Duplicate));
        }
        let fits = l.orders.get(tp).is_some_and(|o| {
            o.state == OrderState::Created && check_payment(n, &n.tp_order_id, o.total).is_ok()
        });
        let answer = if fits {
            l.payments.insert(("baidu", key.1.clone()), tp.to_owned());
            l.paid_by
                .insert(tp.to_owned(), ("baidu", key.1.clone(), n.user_id.get()));
            if let Some(o) = l.orders.get_mut(tp) {
                o.state = OrderState::Paid {
                    order_id: n.order_id.get(),
                    user_id: n.user_id.get(),
                };
            }
            PayAnswer::Consumed
        } else {
            PayAnswer::ErrorOrder
        };
        l.notify_log.insert(key, (tp.to_owned(), answer));
        let effect = if fits {
            Effect::Applied
        } else {
            Effect::Recorded
        };
        Ok(Outcome::new(answer, effect))
    }

    async fn baidu_refund_audit(
        &self,
        r: &RefundAuditRequest,
    ) -> Result<Outcome<AuditAnswer>, StoreError> {
        let mut l = self.lock();
        let (tp, key) = (r.tp_order_id.as_str(), r.refund_batch_id.as_str());
        if let Some(seen) = l.baidu_batches.get(key) {
            let approved = l
                .refunds
                .get(&("baidu", seen.clone(), key.to_owned()))
                .filter(|x| seen == tp && x.state != RefundState::Failed)
                .map(|x| x.amount);
            let answer = approved.map_or(AuditAnswer::Rejected, AuditAnswer::Approved);
            return Ok(Outcome::new(answer, Effect::Duplicate));
        }
        let baidu_paid = matches!(l.paid_by.get(tp), Some(("baidu", _, _)));
        let left = l
            .orders
            .get(tp)
            .filter(|_| baidu_paid)
            .map_or(Fen::ZERO, Ledger::left);
        let amount = r.apply_refund_money.unwrap_or(left);
        if amount == Fen::ZERO || amount > left || !l.reserve(tp, amount) {
            return Ok(Outcome::new(AuditAnswer::Rejected, Effect::Recorded));
        }
        l.baidu_batches.insert(key.to_owned(), tp.to_owned());
        l.refunds.insert(
            ("baidu", tp.to_owned(), key.to_owned()),
            Refund {
                amount,
                state: RefundState::Pending,
            },
        );
        Ok(Outcome::new(AuditAnswer::Approved(amount), Effect::Applied))
    }

    async fn baidu_refund(&self, r: &RefundNotification) -> Result<Outcome<()>, StoreError> {
        let mut l = self.lock();
        let key = r.refund_batch_id.as_str();
        let tp_given = r.tp_order_id.as_ref().map(TpOrderId::as_str);
        let log_key = ("baidu_refund", key.to_owned());
        if l.notify_log.contains_key(&log_key) {
            return Ok(Outcome::new((), Effect::Duplicate));
        }
        l.notify_log.insert(
            log_key,
            (tp_given.unwrap_or("").to_owned(), PayAnswer::Consumed),
        );
        if let Some(tp) = l.baidu_batches.get(key).cloned()
            && tp_given.is_none_or(|t| t == tp)
        {
            match r.refund_status {
                RefundNotifyStatus::Succeeded => {
                    l.finish("baidu", &tp, key, true);
                }
                RefundNotifyStatus::Failed => {
                    l.finish("baidu", &tp, key, false);
                }
                _ => {}
            }
        }
        Ok(Outcome::new((), Effect::Applied))
    }

    async fn alipay_notify(
        &self,
        n: &TradeNotification,
        app_id: &str,
    ) -> Result<Outcome<()>, StoreError> {
        let mut l = self.lock();
        let tp = n.out_trade_no.as_str();
        let log_key = ("alipay", n.notify_id.clone());
        if l.notify_log.contains_key(&log_key) {
            return Ok(Outcome::new((), Effect::Duplicate));
        }
        l.notify_log
            .insert(log_key, (tp.to_owned(), PayAnswer::Consumed));
        if let Some(out_biz_no) = &n.out_biz_no {
            let done = l.finish("alipay", tp, out_biz_no, true);
            return Ok(Outcome::new(
                (),
                if done {
                    Effect::Applied
                } else {
                    Effect::Recorded
                },
            ));
        }
        let fits = l.orders.get(tp).is_some_and(|o| {
            o.state == OrderState::Created
                && n.is_paid()
                && Yuan::from_fen(o.total).is_ok_and(|total_amount| {
                    check_trade(
                        n,
                        &ExpectedTrade {
                            app_id: app_id.to_owned(),
                            out_trade_no: n.out_trade_no.clone(),
                            total_amount,
                            seller_id: None,
                        },
                    )
                    .is_ok()
                })
        });
        if !fits {
            return Ok(Outcome::new((), Effect::Recorded));
        }
        let trade_no = n.trade_no.to_string();
        l.payments
            .insert(("alipay", trade_no.clone()), tp.to_owned());
        l.paid_by
            .insert(tp.to_owned(), ("alipay", trade_no.clone(), 0));
        if let Some(o) = l.orders.get_mut(tp) {
            o.state = OrderState::PaidAlipay { trade_no };
        }
        Ok(Outcome::new((), Effect::Applied))
    }

    async fn alipay_refund_start(
        &self,
        tp: &TpOrderId,
        out_request_no: &OutRequestNo,
        amount: Fen,
    ) -> Result<RefundStart, StoreError> {
        let mut l = self.lock();
        let (tp, key) = (tp.as_str(), out_request_no.as_str());
        if amount == Fen::ZERO {
            return Ok(RefundStart::Amount);
        }
        let id = ("alipay", tp.to_owned(), key.to_owned());
        if let Some(r) = l.refunds.get(&id).cloned() {
            if r.amount != amount {
                return Ok(RefundStart::Reused);
            }
            return Ok(match r.state {
                RefundState::Succeeded => RefundStart::AlreadyDone,
                RefundState::Pending => RefundStart::Send,
                RefundState::Failed => {
                    if !l.reserve(tp, amount) {
                        return Ok(RefundStart::Amount);
                    }
                    if let Some(r) = l.refunds.get_mut(&id) {
                        r.state = RefundState::Pending;
                    }
                    RefundStart::Send
                }
            });
        }
        let alipay_paid = matches!(l.paid_by.get(tp), Some(("alipay", _, _)))
            && l.orders.get(tp).is_some_and(|o| {
                matches!(
                    o.state,
                    OrderState::PaidAlipay { .. } | OrderState::Refunding
                )
            });
        if !alipay_paid {
            return Ok(RefundStart::NotPaid);
        }
        if !l.reserve(tp, amount) {
            return Ok(RefundStart::Amount);
        }
        l.refunds.insert(
            id,
            Refund {
                amount,
                state: RefundState::Pending,
            },
        );
        Ok(RefundStart::Send)
    }

    async fn alipay_refund_end(
        &self,
        tp: &TpOrderId,
        out_request_no: &OutRequestNo,
        succeeded: bool,
    ) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .finish("alipay", tp.as_str(), out_request_no.as_str(), succeeded))
    }

    async fn ledger(&self) -> Result<Vec<Entry>, StoreError> {
        let l = self.lock();
        let mut rows: Vec<(String, u8, String, String, Fen)> = Vec::new();
        for ((_, platform_id), tp) in &l.payments {
            let total = l.orders.get(tp).map_or(Fen::ZERO, |o| o.total);
            rows.push((tp.clone(), 0, platform_id.clone(), String::new(), total));
        }
        for ((channel, tp, key), r) in &l.refunds {
            if r.state == RefundState::Succeeded {
                let (platform_id, refund_id) = if *channel == "baidu" {
                    (key.clone(), String::new())
                } else {
                    (String::new(), key.clone())
                };
                rows.push((tp.clone(), 1, platform_id, refund_id, r.amount));
            }
        }
        rows.sort();
        Ok(rows
            .into_iter()
            .map(|(tp, kind, platform_id, refund_id, amount)| {
                if kind == 0 {
                    Entry::payment(tp, amount).with_platform_id(platform_id)
                } else {
                    Entry::refund(tp, amount)
                        .with_platform_id(platform_id)
                        .with_refund_id(refund_id)
                }
            })
            .collect())
    }
}
