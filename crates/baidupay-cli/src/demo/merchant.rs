//! The demo's merchant: the least a callback server must do, on the `baidupay_notify::axum`
//! routes (verify before parsing), with the orders in memory: check each callback against
//! the merchant's own order, apply it once (a duplicate is acknowledged, not applied again),
//! answer exactly; and keep a ledger of the money (payments as their callbacks are applied,
//! refunds as they succeed) that it exports in the ledger CSV of `baidupay reconcile`
//! (`kind,merchant_order_id,platform_id,refund_id,amount_fen`). `examples/merchant` is the one
//! to copy (budgeted waits, a router with
//! order endpoints, load-tested); this one exists so that the CLI does not depend on it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use baidupay_model::alipay::TradeNotification;
use baidupay_model::callback::{
    AuditStatus, PaymentAck, PaymentNotification, RefundAuditAnswer, RefundAuditRequest,
    RefundNotification, RefundNotifyStatus, RetryAnswer,
};
use baidupay_model::reconcile::Entry;
use baidupay_model::{Fen, RefundBatchId, TpOrderId, Yuan};
use baidupay_notify::axum::{alipay_route, baidu_route};
use baidupay_notify::http::BaiduAnswer;
use baidupay_notify::{
    AlipayNotifier, BaiduCallback, BaiduKind, BaiduNotifier, ExpectedTrade, check_payment,
    check_trade,
};

/// Callback paths, as registered with the sandbox (and as `baidupay_sandbox::samples` writes
/// them).
pub(super) const PAY_PATH: &str = "/notify/baidu/pay";
pub(super) const REFUND_AUDIT_PATH: &str = "/notify/baidu/refund-audit";
pub(super) const REFUND_PATH: &str = "/notify/baidu/refund";
pub(super) const ALIPAY_PATH: &str = "/notify/alipay";

/// Which platform a ledger row was paid through (each platform's bill is reconciled against
/// its own rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Channel {
    /// The Baidu cashier.
    Baidu,
    /// Alipay.
    Alipay,
}

/// One order: its amount, how it was paid (`None`: not yet), what was refunded.
#[derive(Debug)]
struct Order {
    total: Fen,
    paid_by: Option<String>,
    refunded: Fen,
}

#[derive(Debug, Default)]
struct Books {
    orders: HashMap<TpOrderId, Order>,
    /// Idempotency keys of the callbacks applied: Baidu `orderId` and `refundBatchId`,
    /// Alipay `notify_id`.
    applied: HashSet<String>,
    /// Refunds approved at the audit (the refund notify carries no amount).
    approved: HashMap<RefundBatchId, (TpOrderId, Fen)>,
    effects: u64,
    duplicates: u64,
    /// The money, in the order it moved.
    ledger: Vec<(Channel, Entry)>,
}

/// The merchant's state, shared by its routes and the demo's checks.
#[derive(Debug, Clone)]
pub(super) struct Merchant {
    books: Arc<Mutex<Books>>,
    alipay_app_id: String,
}

impl Merchant {
    pub(super) fn new(alipay_app_id: &str) -> Self {
        Self {
            books: Arc::default(),
            alipay_app_id: alipay_app_id.to_owned(),
        }
    }

    fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records an order before it is offered for payment.
    pub(super) fn create_order(&self, tp_order_id: TpOrderId, total: Fen) {
        let order = Order {
            total,
            paid_by: None,
            refunded: Fen::ZERO,
        };
        self.books().orders.insert(tp_order_id, order);
    }

    /// How the order was paid (`baidu orderId …` or `alipay trade_no …`), if it was.
    pub(super) fn paid_by(&self, tp_order_id: &TpOrderId) -> Option<String> {
        self.books().orders.get(tp_order_id)?.paid_by.clone()
    }

    /// `(effects, duplicates)`: callbacks applied, and callbacks acknowledged again.
    pub(super) fn counters(&self) -> (u64, u64) {
        let b = self.books();
        (b.effects, b.duplicates)
    }

    /// Books a refund the merchant applied for, once the platform says it succeeded: its
    /// order, its refund id (Baidu `bizRefundBatchId`, Alipay `out_request_no`), the platform's
    /// id when there is one (Baidu `refundBatchId`), the amount refunded.
    pub(super) fn record_refund(
        &self,
        channel: Channel,
        tp_order_id: &str,
        refund_id: &str,
        platform_id: Option<String>,
        amount: Fen,
    ) {
        let entry = Entry::refund(tp_order_id, amount)
            .with_refund_id(refund_id)
            .with_platform_id(platform_id.unwrap_or_default());
        self.books().ledger.push((channel, entry));
    }

    /// The ledger of `channel` as ledger CSV (`kind,merchant_order_id,platform_id,refund_id,
    /// amount_fen`, cells quoted when they hold a comma or a quote).
    pub(super) fn ledger_csv(&self, channel: Channel) -> String {
        let cell = |s: &str| {
            if s.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        let mut out = String::from("kind,merchant_order_id,platform_id,refund_id,amount_fen\n");
        for (_, e) in self.books().ledger.iter().filter(|(c, _)| *c == channel) {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                e.kind.as_str(),
                cell(&e.merchant_order_id),
                cell(e.platform_id.as_deref().unwrap_or("")),
                cell(e.refund_id.as_deref().unwrap_or("")),
                e.amount.get()
            ));
        }
        out
    }

    /// Runs `apply` unless the callback `key` was applied before (then answers `again`).
    fn once<T>(&self, key: String, again: T, apply: impl FnOnce(&mut Books) -> T) -> T {
        let mut b = self.books();
        if b.applied.insert(key) {
            apply(&mut b)
        } else {
            b.duplicates += 1;
            again
        }
    }

    fn payment(&self, n: &PaymentNotification) -> BaiduAnswer {
        let answer = self.once(
            format!("baidu order {}", n.order_id.get()),
            PaymentAck::consumed(),
            |b| match b.orders.get_mut(&n.tp_order_id) {
                Some(o)
                    if o.paid_by.is_none() && check_payment(n, &n.tp_order_id, o.total).is_ok() =>
                {
                    o.paid_by = Some(format!("baidu orderId {}", n.order_id.get()));
                    let entry = Entry::payment(n.tp_order_id.as_str(), o.total)
                        .with_platform_id(n.order_id.get().to_string());
                    b.ledger.push((Channel::Baidu, entry));
                    b.effects += 1;
                    PaymentAck::consumed()
                }
                // not ours, not paid, the wrong amount or paid twice: Baidu refunds it
                _ => PaymentAck::error_order(),
            },
        );
        BaiduAnswer::Payment(answer)
    }

    fn refund_audit(&self, r: &RefundAuditRequest) -> BaiduAnswer {
        let mut b = self.books();
        let left = match b.orders.get(&r.tp_order_id) {
            Some(o) if o.paid_by.is_some() => o.total.checked_sub(o.refunded),
            _ => None,
        };
        let amount = r.apply_refund_money.or(left).unwrap_or(Fen::ZERO);
        let answer = if amount > Fen::ZERO && left.is_some_and(|left| amount <= left) {
            b.approved
                .insert(r.refund_batch_id.clone(), (r.tp_order_id.clone(), amount));
            RefundAuditAnswer::new(AuditStatus::Approved, amount)
        } else {
            RefundAuditAnswer::new(AuditStatus::Rejected, Fen::ZERO)
        };
        BaiduAnswer::RefundAudit(answer)
    }

    fn refund(&self, r: &RefundNotification) -> BaiduAnswer {
        self.once(
            format!("baidu refund {}", r.refund_batch_id),
            BaiduAnswer::Refund,
            |b| {
                let approved = b.approved.get(&r.refund_batch_id).cloned();
                if r.refund_status == RefundNotifyStatus::Succeeded
                    && let Some((tp, amount)) = approved
                    && let Some(o) = b.orders.get_mut(&tp)
                {
                    o.refunded = o.refunded.checked_add(amount).unwrap_or(o.total);
                }
                b.effects += 1;
                BaiduAnswer::Refund
            },
        )
    }

    fn baidu(&self, callback: &BaiduCallback) -> BaiduAnswer {
        match callback {
            BaiduCallback::Payment(n) => self.payment(n),
            BaiduCallback::RefundAudit(r) => self.refund_audit(r),
            BaiduCallback::Refund(r) => self.refund(r),
            _ => BaiduAnswer::Retry(RetryAnswer::new("unexpected callback")),
        }
    }

    /// Applies a paid trade of one of our orders once; `true` answers `success` (an abnormal
    /// notify is recorded as seen and acknowledged, so that Alipay stops resending it).
    fn alipay(&self, n: &TradeNotification) -> bool {
        self.once(format!("alipay {}", n.notify_id), true, |b| {
            let Ok(tp) = TpOrderId::new(n.out_trade_no.as_str()) else {
                return true;
            };
            if let Some(o) = b.orders.get_mut(&tp)
                && o.paid_by.is_none()
                && n.is_paid()
                && let Ok(total_amount) = Yuan::from_fen(o.total)
                && check_trade(
                    n,
                    &ExpectedTrade {
                        app_id: self.alipay_app_id.clone(),
                        out_trade_no: n.out_trade_no.clone(),
                        total_amount,
                        seller_id: None,
                    },
                )
                .is_ok()
            {
                o.paid_by = Some(format!("alipay trade_no {}", n.trade_no));
                let entry = Entry::payment(n.out_trade_no.as_str(), o.total)
                    .with_platform_id(n.trade_no.as_str());
                b.ledger.push((Channel::Alipay, entry));
                b.effects += 1;
            }
            true
        })
    }

    /// The four callback routes.
    pub(super) fn router(&self, baidu: &BaiduNotifier, alipay: AlipayNotifier) -> axum::Router {
        let on_baidu = {
            let m = self.clone();
            move |cb: BaiduCallback| {
                let answer = m.baidu(&cb);
                async move { answer }
            }
        };
        let on_alipay = {
            let m = self.clone();
            move |n: TradeNotification| {
                let ok = m.alipay(&n);
                async move { ok }
            }
        };
        let route = |kind| baidu_route(baidu.clone(), kind, on_baidu.clone());
        axum::Router::new()
            .route(PAY_PATH, route(BaiduKind::Payment))
            .route(REFUND_AUDIT_PATH, route(BaiduKind::RefundAudit))
            .route(REFUND_PATH, route(BaiduKind::Refund))
            .route(ALIPAY_PATH, alipay_route(alipay, on_alipay))
    }
}

#[cfg(test)]
mod tests {
    use baidupay_model::callback::PaymentNotification;

    use super::*;

    fn payment(order_id: u64, tp: &str, total: u64) -> PaymentNotification {
        let (order_id, total) = (order_id.to_string(), total.to_string());
        PaymentNotification::from_pairs([
            ("orderId", order_id.as_str()),
            ("userId", "7"),
            ("tpOrderId", tp),
            ("dealId", "470193086"),
            ("totalMoney", total.as_str()),
            ("payMoney", total.as_str()),
            ("status", "2"),
        ])
        .unwrap()
    }

    #[test]
    fn a_payment_is_applied_once_and_only_for_the_right_amount() {
        let m = Merchant::new("2021000122671080");
        let tp = TpOrderId::new("T-1").unwrap();
        m.create_order(tp.clone(), Fen::new(100));
        let wrong = m.baidu(&BaiduCallback::Payment(payment(1, "T-1", 99)));
        assert_eq!(
            wrong.to_json(),
            BaiduAnswer::Payment(PaymentAck::error_order()).to_json()
        );
        assert_eq!(m.paid_by(&tp), None);
        let ok = m.baidu(&BaiduCallback::Payment(payment(2, "T-1", 100)));
        let again = m.baidu(&BaiduCallback::Payment(payment(2, "T-1", 100)));
        assert_eq!(ok.to_json(), again.to_json());
        assert_eq!(
            ok.to_json(),
            BaiduAnswer::Payment(PaymentAck::consumed()).to_json()
        );
        assert_eq!(m.paid_by(&tp).as_deref(), Some("baidu orderId 2"));
        assert_eq!(m.counters(), (1, 1));
        // the payment is in the ledger once, the wrong amount not at all
        m.record_refund(
            Channel::Baidu,
            "T-1",
            "RB,1",
            Some("91".into()),
            Fen::new(30),
        );
        m.record_refund(Channel::Alipay, "A-1", "A-1-R1", None, Fen::new(5));
        assert_eq!(
            m.ledger_csv(Channel::Baidu),
            "kind,merchant_order_id,platform_id,refund_id,amount_fen\n\
             payment,T-1,2,,100\nrefund,T-1,91,\"RB,1\",30\n"
        );
        let alipay = m.ledger_csv(Channel::Alipay);
        assert_eq!(alipay.lines().nth(1), Some("refund,A-1,,A-1-R1,5"));
        let parsed = baidupay_model::reconcile::parse_ledger(&m.ledger_csv(Channel::Baidu));
        assert_eq!(parsed.map(|l| l.len()), Ok(2));
    }

    fn audit(tp: &str, batch: &str, amount: &str) -> BaiduCallback {
        let r = RefundAuditRequest::from_pairs([
            ("orderId", "2"),
            ("userId", "7"),
            ("tpOrderId", tp),
            ("refundBatchId", batch),
            ("applyRefundMoney", amount),
        ]);
        BaiduCallback::RefundAudit(r.unwrap())
    }

    fn refunded(batch: &str) -> BaiduCallback {
        let r = RefundNotification::from_pairs([
            ("orderId", "2"),
            ("refundBatchId", batch),
            ("refundStatus", "1"),
        ]);
        BaiduCallback::Refund(r.unwrap())
    }

    #[test]
    fn refunds_are_approved_up_to_what_was_paid_and_applied_once() {
        let m = Merchant::new("2021000122671080");
        let tp = TpOrderId::new("T-2").unwrap();
        m.create_order(tp.clone(), Fen::new(100));
        let rejected = RefundAuditAnswer::new(AuditStatus::Rejected, Fen::ZERO);
        let unpaid = m.baidu(&audit("T-2", "9", "30"));
        assert_eq!(
            unpaid.to_json(),
            BaiduAnswer::RefundAudit(rejected).to_json()
        );
        m.baidu(&BaiduCallback::Payment(payment(2, "T-2", 100)));
        let approved = m.baidu(&audit("T-2", "10", "70"));
        let ok = RefundAuditAnswer::new(AuditStatus::Approved, Fen::new(70));
        assert_eq!(approved.to_json(), BaiduAnswer::RefundAudit(ok).to_json());
        m.baidu(&refunded("10"));
        m.baidu(&refunded("10"));
        assert_eq!(m.counters(), (2, 1));
        let too_much = m.baidu(&audit("T-2", "11", "31"));
        assert_eq!(
            too_much.to_json(),
            BaiduAnswer::RefundAudit(rejected).to_json()
        );
    }
}
