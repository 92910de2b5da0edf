//! One merchant's orders, refunds and money: the platform's bookkeeping, without I/O.
//!
//! The money, as the platform keeps it (seeds 000, 001, 004): the commission is taken when the
//! order is paid (the merchant's rate, rounded to the fen, at least 1 fen: a 0.01 order is all
//! commission); a payment reaches the enterprise assets ("企业资产") when the merchant
//! acknowledges its notify (`isConsumed` 2), less the commission; an order whose notify failed
//! every attempt is locked "已付款" and never does. A refund of a consumed order is paid from
//! the assets: the refund less its share of the order's commission (pro rata; all of it when
//! the order is refunded in full), refused when the assets are short. Cancelling the
//! consumption (1.0 `syncOrderStatus`) needs the assets to hold the order's refundable amount
//! (errno 10003 otherwise) and takes the order's part back out of them. The daily refund cap
//! (每日退款上限) limits what is refunded per Beijing day; the payout reserve (打款预留), when
//! set, is what stays in the assets: the sandbox pays everything above it out at once (the
//! platform does at T+1).

use std::collections::HashMap;

use crate::time::beijing_date;

/// `status` of an order as `findByTpOrderId` reports it.
pub(crate) const UNPAID: i64 = 1;
pub(crate) const PAID: i64 = 2;
pub(crate) const CLOSED: i64 = -1;

/// `refundStatus` of `findOrderRefund`.
pub(crate) const REFUNDING: i64 = 1;
pub(crate) const REFUNDED: i64 = 2;
pub(crate) const REFUND_FAILED: i64 = 3;

#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub(crate) order_id: u64,
    pub(crate) user_id: u64,
    pub(crate) tp_order_id: String,
    pub(crate) deal_id: u64,
    pub(crate) total: u64,
    pub(crate) status: i64,
    /// The merchant acknowledged the payment notify (`isConsumed` 2).
    pub(crate) consumed: bool,
    /// The merchant answered `isErrorOrder` 1: the platform refunds it.
    pub(crate) error_order: bool,
    /// The platform's commission, taken at payment.
    pub(crate) commission: u64,
    /// The payment notify failed every attempt: "已付款" for good, never consumed.
    pub(crate) locked: bool,
    /// The payment reached the enterprise assets (less the commission).
    pub(crate) credited: bool,
    /// Taken back out of the assets when the consumption was cancelled.
    pub(crate) withdrawn: u64,
    pub(crate) create_time: i64,
    pub(crate) pay_time: Option<i64>,
    pub(crate) biz_info: String,
    pub(crate) return_data: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Refund {
    pub(crate) refund_batch_id: u64,
    pub(crate) biz_refund_batch_id: String,
    pub(crate) order_id: u64,
    pub(crate) user_id: u64,
    pub(crate) tp_order_id: String,
    /// What the merchant applied for.
    pub(crate) apply: u64,
    /// What is (or was) refunded: the audit may lower it.
    pub(crate) amount: u64,
    pub(crate) status: i64,
    pub(crate) time: i64,
    /// `isSkipAudit=1`: no refund-audit callback.
    pub(crate) skip_audit: bool,
    /// Where the refund notify goes.
    pub(crate) notify_url: String,
    /// What it takes from the enterprise assets (0: the order was not consumed).
    pub(crate) drawn: u64,
}

/// A refund application, as the pay API received it.
#[derive(Debug, Clone)]
pub(crate) struct RefundRequest<'a> {
    pub(crate) order_id: u64,
    pub(crate) user_id: u64,
    /// `None`: everything still refundable.
    pub(crate) apply: Option<u64>,
    pub(crate) biz_refund_batch_id: &'a str,
    pub(crate) skip_audit: bool,
    pub(crate) notify_url: &'a str,
    /// The platform's own refund of an abnormal order (`isErrorOrder`): no cap applies.
    pub(crate) by_platform: bool,
}

/// Why a refund application is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefundRefusal {
    UnknownOrder,
    NotPaid,
    WrongUser,
    OverAmount {
        refundable: u64,
    },
    /// The payment notify failed every attempt: the order is locked "已付款".
    Locked,
    /// The enterprise assets (what stays after payouts) hold less than the refund takes.
    AssetsShort {
        assets: u64,
        needed: u64,
    },
    /// Today's refunds would pass the daily refund cap.
    DayCap {
        cap: u64,
        used: u64,
    },
}

/// Why cancelling a consumption (1.0 `syncOrderStatus`) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CancelRefusal {
    /// No such order of this user (errno 10002).
    WrongOrder,
    /// The assets hold less than the order's refundable amount (errno 10003).
    AssetsShort { assets: u64, needed: u64 },
}

/// A merchant's money settings (its console's 财务设置).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Commission rate, per mille (default 6, the mini-program rate).
    pub(crate) commission_per_mille: u64,
    /// 每日退款上限 in fen (default 1,000,000: 10,000 yuan, the platform's maximum); none:
    /// no cap.
    pub(crate) day_refund_cap: Option<u64>,
    /// 打款预留 in fen: what stays in the assets; none (default): nothing is paid out.
    pub(crate) payout_reserve: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            commission_per_mille: 6,
            day_refund_cap: Some(1_000_000),
            payout_reserve: None,
        }
    }
}

/// The commission on `total` at `per_mille`: rounded half up to the fen, at least 1 fen (for
/// a rate above 0), never more than `total`.
pub(crate) fn commission(total: u64, per_mille: u64) -> u64 {
    if total == 0 || per_mille == 0 {
        return 0;
    }
    let exact = u128::from(total) * u128::from(per_mille);
    let fen = (exact + 500) / 1000;
    u64::try_from(fen).unwrap_or(u64::MAX).clamp(1, total)
}

/// The part of `o`'s commission that `taken` (refunded so far) carries: pro rata, rounded down.
fn commission_share(o: &Order, taken: u64) -> u64 {
    if o.total == 0 {
        return 0;
    }
    let share = u128::from(o.commission) * u128::from(taken.min(o.total)) / u128::from(o.total);
    u64::try_from(share).unwrap_or(o.commission)
}

/// What refunding `amount` of `o`, after `taken`, takes from the assets: the amount less its
/// share of the commission.
fn refund_cost(o: &Order, taken: u64, amount: u64) -> u64 {
    let after = taken.saturating_add(amount);
    let returned = commission_share(o, after).saturating_sub(commission_share(o, taken));
    amount.saturating_sub(returned)
}

/// The merchant batch id of the platform's own refunds (abnormal orders), followed by the
/// order id.
pub(crate) const BY_PLATFORM: &str = "abnormal-";

/// A merchant's book.
#[derive(Debug, Default)]
pub(crate) struct Book {
    orders: Vec<Order>,
    by_id: HashMap<u64, usize>,
    by_tp: HashMap<String, usize>,
    refunds: Vec<Refund>,
    by_biz_batch: HashMap<String, usize>,
    /// The money settings.
    pub(crate) settings: Settings,
    /// Paid out of the assets to the bank (everything above the payout reserve).
    pub(crate) paid_out: u64,
}

/// What a book looked like before a change, to put it back when the change cannot be stored
/// ([`Book::mark`], [`Book::undo`]).
#[derive(Debug)]
pub(crate) struct Mark {
    orders: usize,
    refunds: usize,
    order: Option<Order>,
    refund: Option<Refund>,
    paid_out: u64,
}

/// A merchant's money, as `GET /sandbox/merchants/{app_key}` shows it (fen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Money {
    /// 企业资产: consumed payments less commission, refunds, cancellations and payouts.
    pub(crate) enterprise_assets: u64,
    /// Paid out to the bank (above the payout reserve).
    pub(crate) paid_out: u64,
    /// Every commission taken (paid orders).
    pub(crate) commission: u64,
    /// Paid orders whose money is still with the platform (not consumed, not locked).
    pub(crate) pending: u64,
    /// Paid orders locked "已付款" (their notify failed every attempt).
    pub(crate) locked: u64,
}

impl Book {
    /// An empty book with these settings, `paid_out` already paid out.
    pub(crate) fn with_money(settings: Settings, paid_out: u64) -> Self {
        Self {
            settings,
            paid_out,
            ..Self::default()
        }
    }

    pub(crate) fn insert(&mut self, order: Order) {
        let i = self.orders.len();
        self.by_id.insert(order.order_id, i);
        self.by_tp.insert(order.tp_order_id.clone(), i);
        self.orders.push(order);
    }

    pub(crate) fn by_tp(&self, tp_order_id: &str) -> Option<&Order> {
        self.by_tp
            .get(tp_order_id)
            .and_then(|&i| self.orders.get(i))
    }

    pub(crate) fn by_id(&self, order_id: u64) -> Option<&Order> {
        self.by_id.get(&order_id).and_then(|&i| self.orders.get(i))
    }

    pub(crate) fn by_id_mut(&mut self, order_id: u64) -> Option<&mut Order> {
        self.by_id
            .get(&order_id)
            .copied()
            .and_then(|i| self.orders.get_mut(i))
    }

    /// Marks the book before a change that may add orders and refunds and change the order
    /// `order_id`, the refund `refund_batch_id` and the payouts (nothing else changes).
    pub(crate) fn mark(&self, order_id: Option<u64>, refund_batch_id: Option<u64>) -> Mark {
        Mark {
            orders: self.orders.len(),
            refunds: self.refunds.len(),
            order: order_id.and_then(|id| self.by_id(id)).cloned(),
            refund: refund_batch_id.and_then(|id| self.refund(id)).cloned(),
            paid_out: self.paid_out,
        }
    }

    /// Puts the book back as it was at `mark`: what was added since is removed, the marked
    /// order and refund and the payouts are restored.
    pub(crate) fn undo(&mut self, mark: Mark) {
        for o in self.orders.drain(mark.orders.min(self.orders.len())..) {
            self.by_id.remove(&o.order_id);
            self.by_tp.remove(&o.tp_order_id);
        }
        for r in self.refunds.drain(mark.refunds.min(self.refunds.len())..) {
            self.by_biz_batch.remove(&r.biz_refund_batch_id);
        }
        if let Some(before) = mark.order
            && let Some(o) = self.by_id_mut(before.order_id)
        {
            *o = before;
        }
        if let Some(before) = mark.refund
            && let Some(r) = self
                .refunds
                .iter_mut()
                .find(|r| r.refund_batch_id == before.refund_batch_id)
        {
            *r = before;
        }
        self.paid_out = mark.paid_out;
    }

    pub(crate) fn orders(&self) -> &[Order] {
        &self.orders
    }

    pub(crate) fn refunds(&self) -> &[Refund] {
        &self.refunds
    }

    /// What can still be refunded: the total less every refund that is not failed.
    pub(crate) fn refundable(&self, order_id: u64) -> u64 {
        let Some(o) = self.by_id(order_id) else {
            return 0;
        };
        let taken: u64 = self
            .refunds
            .iter()
            .filter(|r| r.order_id == order_id && r.status != REFUND_FAILED)
            .map(|r| r.amount)
            .sum();
        o.total.saturating_sub(taken)
    }

    /// Refunded (or being refunded) of `order_id` so far.
    fn taken(&self, order_id: u64) -> u64 {
        self.refunds
            .iter()
            .filter(|r| r.order_id == order_id && r.status != REFUND_FAILED)
            .fold(0u64, |sum, r| sum.saturating_add(r.amount))
    }

    /// Gross assets before payouts, signed (cannot overflow an `i128` with `u64` terms).
    fn gross(&self) -> i128 {
        let credited: i128 = self
            .orders
            .iter()
            .filter(|o| o.credited)
            .map(|o| i128::from(o.total) - i128::from(o.commission) - i128::from(o.withdrawn))
            .sum();
        let drawn: i128 = self
            .refunds
            .iter()
            .filter(|r| r.status != REFUND_FAILED)
            .map(|r| i128::from(r.drawn))
            .sum();
        credited - drawn
    }

    /// The enterprise assets: what the merchant can refund from.
    pub(crate) fn assets(&self) -> u64 {
        let left = self.gross() - i128::from(self.paid_out);
        u64::try_from(left.max(0)).unwrap_or(u64::MAX)
    }

    /// Pays out everything above the payout reserve (when one is set).
    fn pay_out(&mut self) {
        if let Some(reserve) = self.settings.payout_reserve {
            let above = self.gross() - i128::from(self.paid_out) - i128::from(reserve);
            if above > 0 {
                let above = u64::try_from(above).unwrap_or(u64::MAX);
                self.paid_out = self.paid_out.saturating_add(above);
            }
        }
    }

    /// The merchant's money.
    pub(crate) fn money(&self) -> Money {
        let paid = || self.orders.iter().filter(|o| o.status == PAID);
        let sum = |it: &mut dyn Iterator<Item = u64>| it.fold(0u64, u64::saturating_add);
        Money {
            enterprise_assets: self.assets(),
            paid_out: self.paid_out,
            commission: sum(&mut paid().map(|o| o.commission)),
            pending: sum(&mut paid()
                .filter(|o| !o.credited && !o.locked && !o.consumed)
                .map(|o| o.total)),
            locked: sum(&mut paid().filter(|o| o.locked).map(|o| o.total)),
        }
    }

    /// The payment is paid: the commission is taken.
    pub(crate) fn take_commission(&mut self, order_id: u64) {
        let rate = self.settings.commission_per_mille;
        if let Some(o) = self.by_id_mut(order_id) {
            o.commission = commission(o.total, rate);
        }
    }

    /// The merchant acknowledged the payment notify: consumed, and (unless it asked for an
    /// abnormal refund) the money less the commission reaches the assets.
    pub(crate) fn consume(&mut self, order_id: u64, error_order: bool) {
        if let Some(o) = self.by_id_mut(order_id) {
            if o.locked || o.consumed {
                return;
            }
            o.consumed = true;
            o.error_order = error_order;
            o.credited = !error_order;
        }
        self.pay_out();
    }

    /// The payment notify failed every attempt: the order is locked "已付款".
    pub(crate) fn lock_order(&mut self, order_id: u64) {
        if let Some(o) = self.by_id_mut(order_id)
            && !o.consumed
        {
            o.locked = true;
        }
    }

    /// Cancels the consumption of `order_id` (1.0 `syncOrderStatus`): the assets must hold its
    /// refundable amount; its part leaves them.
    pub(crate) fn cancel_consumption(
        &mut self,
        order_id: u64,
        user_id: u64,
    ) -> Result<(), CancelRefusal> {
        let refundable = self.refundable(order_id);
        let taken = self.taken(order_id);
        let assets = self.assets();
        let o = self
            .by_id(order_id)
            .filter(|o| o.user_id == user_id && o.status == PAID)
            .ok_or(CancelRefusal::WrongOrder)?;
        if !o.consumed {
            return Ok(());
        }
        if o.credited && assets < refundable {
            return Err(CancelRefusal::AssetsShort {
                assets,
                needed: refundable,
            });
        }
        let part = refund_cost(o, taken, refundable);
        if let Some(o) = self.by_id_mut(order_id) {
            o.consumed = false;
            if o.credited {
                o.withdrawn = o.withdrawn.saturating_add(part);
            }
        }
        Ok(())
    }

    /// Refunded today (Beijing day of `now`) by the merchant.
    fn refunded_on(&self, now: i64) -> u64 {
        let day = beijing_date(now);
        self.refunds
            .iter()
            .filter(|r| {
                r.status != REFUND_FAILED && !r.biz_refund_batch_id.starts_with(BY_PLATFORM)
            })
            .filter(|r| beijing_date(r.time) == day)
            .fold(0u64, |sum, r| sum.saturating_add(r.amount))
    }

    /// The refund already applied with this merchant batch id, if any.
    pub(crate) fn refund_by_biz_batch(&self, biz: &str) -> Option<&Refund> {
        self.by_biz_batch
            .get(biz)
            .and_then(|&i| self.refunds.get(i))
    }

    /// Registers a refund application (status "refunding"), or refuses it. A repeated
    /// `bizRefundBatchId` is answered by the caller with the existing refund, never here.
    pub(crate) fn apply_refund(
        &mut self,
        req: &RefundRequest<'_>,
        refund_batch_id: u64,
        now: i64,
    ) -> Result<Refund, RefundRefusal> {
        let order = self
            .by_id(req.order_id)
            .ok_or(RefundRefusal::UnknownOrder)?;
        if order.status != PAID {
            return Err(RefundRefusal::NotPaid);
        }
        if order.user_id != req.user_id {
            return Err(RefundRefusal::WrongUser);
        }
        if order.locked {
            return Err(RefundRefusal::Locked);
        }
        let refundable = self.refundable(req.order_id);
        let amount = req.apply.unwrap_or(refundable);
        if amount == 0 || amount > refundable {
            return Err(RefundRefusal::OverAmount { refundable });
        }
        if !req.by_platform
            && let Some(cap) = self.settings.day_refund_cap
        {
            let used = self.refunded_on(now);
            if used.saturating_add(amount) > cap {
                return Err(RefundRefusal::DayCap { cap, used });
            }
        }
        let drawn = if order.consumed && order.credited {
            refund_cost(order, self.taken(req.order_id), amount)
        } else {
            0
        };
        let assets = self.assets();
        if drawn > assets {
            return Err(RefundRefusal::AssetsShort {
                assets,
                needed: drawn,
            });
        }
        let refund = Refund {
            refund_batch_id,
            biz_refund_batch_id: req.biz_refund_batch_id.to_owned(),
            order_id: req.order_id,
            user_id: req.user_id,
            tp_order_id: order.tp_order_id.clone(),
            apply: amount,
            amount,
            status: REFUNDING,
            time: now,
            skip_audit: req.skip_audit,
            notify_url: req.notify_url.to_owned(),
            drawn,
        };
        self.insert_refund(refund.clone());
        Ok(refund)
    }

    /// Adds a refund as it is (loading a stored book).
    pub(crate) fn insert_refund(&mut self, refund: Refund) {
        self.by_biz_batch
            .insert(refund.biz_refund_batch_id.clone(), self.refunds.len());
        self.refunds.push(refund);
    }

    /// Settles a refund: `Some(amount)` refunded (never more than applied), `None` refused.
    pub(crate) fn settle_refund(&mut self, refund_batch_id: u64, amount: Option<u64>) {
        let Some(i) = self
            .refunds
            .iter()
            .position(|r| r.refund_batch_id == refund_batch_id)
        else {
            return;
        };
        let Some(r) = self.refunds.get(i).cloned() else {
            return;
        };
        // what the refunds before this one took of the order
        let before = self
            .refunds
            .iter()
            .take(i)
            .filter(|o| o.order_id == r.order_id && o.status != REFUND_FAILED)
            .fold(0u64, |sum, o| sum.saturating_add(o.amount));
        let drawn = match (amount, self.by_id(r.order_id)) {
            (Some(a), Some(o)) if r.drawn > 0 && a > 0 && a <= r.apply => refund_cost(o, before, a),
            _ => 0,
        };
        if let Some(r) = self.refunds.get_mut(i) {
            match amount {
                Some(a) if a > 0 && a <= r.apply => {
                    r.amount = a;
                    r.status = REFUNDED;
                    r.drawn = drawn;
                }
                _ => {
                    r.amount = 0;
                    r.status = REFUND_FAILED;
                    r.drawn = 0;
                }
            }
        }
    }

    /// The part of its order's commission that a refund gave back (its pro-rata share, after
    /// the refunds of the order before it; 0 for a failed refund). For the bills.
    pub(crate) fn commission_returned(&self, refund: &Refund) -> u64 {
        let Some(o) = self.by_id(refund.order_id) else {
            return 0;
        };
        if refund.status == REFUND_FAILED {
            return 0;
        }
        let before = self
            .refunds
            .iter()
            .take_while(|r| r.refund_batch_id != refund.refund_batch_id)
            .filter(|r| r.order_id == refund.order_id && r.status != REFUND_FAILED)
            .fold(0u64, |sum, r| sum.saturating_add(r.amount));
        let after = before.saturating_add(refund.amount);
        commission_share(o, after).saturating_sub(commission_share(o, before))
    }

    pub(crate) fn refund(&self, refund_batch_id: u64) -> Option<&Refund> {
        self.refunds
            .iter()
            .find(|r| r.refund_batch_id == refund_batch_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: u64, total: u64, status: i64) -> Order {
        Order {
            order_id: id,
            user_id: 7,
            tp_order_id: format!("T{id}"),
            deal_id: 1,
            total,
            status,
            consumed: false,
            error_order: false,
            commission: 0,
            locked: false,
            credited: false,
            withdrawn: 0,
            create_time: 0,
            pay_time: None,
            biz_info: String::new(),
            return_data: String::new(),
        }
    }

    fn req(order_id: u64, user_id: u64, apply: Option<u64>, biz: &str) -> RefundRequest<'_> {
        RefundRequest {
            order_id,
            user_id,
            apply,
            biz_refund_batch_id: biz,
            skip_audit: false,
            notify_url: "http://127.0.0.1:1/refund",
            by_platform: false,
        }
    }

    /// A change that could not be stored is put back whole: added orders and refunds leave
    /// their indexes, the changed order and the payouts are as they were.
    #[test]
    fn undo_puts_the_book_back_as_it_was_at_the_mark() {
        let mut b = Book::with_money(
            Settings {
                payout_reserve: Some(0),
                ..Settings::default()
            },
            0,
        );
        let view = |b: &Book| format!("{:?} {:?} {}", b.orders(), b.refunds(), b.paid_out);
        b.insert(order(1, 1000, PAID));
        let before = view(&b);
        let mark = b.mark(Some(1), None);
        b.insert(order(2, 500, PAID));
        b.take_commission(1);
        b.consume(1, false);
        assert!(b.paid_out > 0);
        let r = b.apply_refund(&req(2, 7, None, "B2"), 9, 0).unwrap();
        assert_eq!(r.refund_batch_id, 9);
        b.undo(mark);
        assert_eq!(view(&b), before);
        assert!(b.by_tp("T2").is_none() && b.by_id(2).is_none());
        assert!(b.refund_by_biz_batch("B2").is_none());
        assert_eq!(b.by_tp("T1").map(|o| o.order_id), Some(1));
        // a refund settled, then put back
        b.insert(order(3, 800, PAID));
        let r = b.apply_refund(&req(3, 7, Some(100), "B1"), 10, 0).unwrap();
        let applied = view(&b);
        let mark = b.mark(None, Some(r.refund_batch_id));
        b.settle_refund(r.refund_batch_id, Some(100));
        assert_ne!(view(&b), applied);
        b.undo(mark);
        assert_eq!(view(&b), applied);
        assert_eq!(
            b.refund_by_biz_batch("B1").map(|r| r.refund_batch_id),
            Some(10)
        );
    }

    #[test]
    fn refunds_never_exceed_the_paid_amount() {
        let mut b = Book::default();
        b.insert(order(1, 1000, PAID));
        b.insert(order(2, 1000, UNPAID));
        assert_eq!(
            b.apply_refund(&req(2, 7, None, "x"), 10, 0).unwrap_err(),
            RefundRefusal::NotPaid
        );
        assert_eq!(
            b.apply_refund(&req(1, 8, None, "x"), 10, 0).unwrap_err(),
            RefundRefusal::WrongUser
        );
        let r = b.apply_refund(&req(1, 7, Some(600), "a"), 11, 0).unwrap();
        assert_eq!(r.amount, 600);
        assert_eq!(b.refundable(1), 400);
        assert_eq!(
            b.apply_refund(&req(1, 7, Some(401), "b"), 12, 0)
                .unwrap_err(),
            RefundRefusal::OverAmount { refundable: 400 }
        );
        // the audit lowers the first refund to 500: 500 remain
        b.settle_refund(11, Some(500));
        assert_eq!(b.refundable(1), 500);
        // a failed refund gives its amount back
        let r = b.apply_refund(&req(1, 7, None, "c"), 13, 0).unwrap();
        assert_eq!(r.amount, 500);
        b.settle_refund(13, None);
        assert_eq!(b.refund(13).unwrap().status, REFUND_FAILED);
        assert_eq!(b.refundable(1), 500);
        assert_eq!(b.refund_by_biz_batch("a").unwrap().refund_batch_id, 11);
        // settling with more than applied is a failure, not an overdraft
        let r = b.apply_refund(&req(1, 7, Some(100), "d"), 14, 0).unwrap();
        b.settle_refund(r.refund_batch_id, Some(101));
        assert_eq!(b.refund(14).unwrap().status, REFUND_FAILED);
    }

    #[test]
    fn commission_is_at_least_a_fen_and_rounds_half_up() {
        assert_eq!(commission(1, 6), 1);
        assert_eq!(commission(10, 6), 1);
        assert_eq!(commission(1000, 6), 6);
        assert_eq!(commission(11300, 6), 68);
        assert_eq!(commission(1250, 6), 8);
        assert_eq!(commission(0, 6), 0);
        assert_eq!(commission(500, 0), 0);
        assert_eq!(commission(u64::MAX, 1000), u64::MAX);
    }

    fn paid(b: &mut Book, id: u64, total: u64) {
        b.insert(order(id, total, PAID));
        b.take_commission(id);
    }

    #[test]
    fn the_assets_follow_consumption_refunds_and_cancellations() {
        let mut b = Book::default();
        // a 0.01 order is all commission: consumed, nothing reaches the assets
        paid(&mut b, 1, 1);
        b.consume(1, false);
        assert_eq!(b.assets(), 0);
        assert_eq!(
            b.cancel_consumption(1, 7),
            Err(CancelRefusal::AssetsShort {
                assets: 0,
                needed: 1
            })
        );
        assert_eq!(b.cancel_consumption(1, 8), Err(CancelRefusal::WrongOrder));
        // one 10.00 order: 994 in the assets, short of its refundable 1000
        paid(&mut b, 2, 1000);
        b.consume(2, false);
        assert_eq!(b.assets(), 994);
        assert!(matches!(
            b.cancel_consumption(2, 7),
            Err(CancelRefusal::AssetsShort { .. })
        ));
        // a second one: enough; the order's part leaves the assets
        paid(&mut b, 3, 1000);
        b.consume(3, false);
        assert_eq!(b.assets(), 1988);
        assert_eq!(b.cancel_consumption(2, 7), Ok(()));
        assert_eq!(b.assets(), 994);
        // a full refund of a consumed order takes exactly what it brought
        let r = b.apply_refund(&req(3, 7, None, "full"), 20, 0).unwrap();
        assert_eq!(r.drawn, 994);
        assert_eq!(b.assets(), 0);
        b.settle_refund(20, Some(1000));
        assert_eq!(b.assets(), 0);
        // the unconsumed order refunds without the assets
        let r = b.apply_refund(&req(2, 7, Some(400), "p"), 21, 0).unwrap();
        assert_eq!(r.drawn, 0);
        // an order locked after its notify failed is never consumed nor refunded
        paid(&mut b, 4, 500);
        b.lock_order(4);
        b.consume(4, false);
        assert_eq!(b.assets(), 0);
        assert_eq!(
            b.apply_refund(&req(4, 7, None, "l"), 22, 0).unwrap_err(),
            RefundRefusal::Locked
        );
        let m = b.money();
        assert_eq!((m.locked, m.commission), (500, 1 + 6 + 6 + 3));
    }

    #[test]
    fn the_day_cap_and_the_payout_reserve_limit_refunds() {
        let mut b = Book::default();
        b.settings.day_refund_cap = Some(1400);
        b.settings.payout_reserve = Some(600);
        for id in 1..=3 {
            paid(&mut b, id, 1000);
            b.consume(id, false);
        }
        // 3 x 994 earned, all but the 600 reserve paid out
        assert_eq!((b.assets(), b.paid_out), (600, 2382));
        assert!(matches!(
            b.apply_refund(&req(1, 7, Some(700), "a"), 10, 0),
            Err(RefundRefusal::AssetsShort { assets: 600, .. })
        ));
        b.apply_refund(&req(1, 7, Some(500), "b"), 11, 0).unwrap();
        assert_eq!(b.assets(), 103);
        b.settings.payout_reserve = None;
        assert_eq!(
            b.apply_refund(&req(2, 7, Some(1000), "c"), 12, 0)
                .unwrap_err(),
            RefundRefusal::DayCap {
                cap: 1400,
                used: 500
            }
        );
        // the next Beijing day starts afresh
        assert!(matches!(
            b.apply_refund(&req(2, 7, Some(1000), "d"), 13, 86_400),
            Err(RefundRefusal::AssetsShort { .. })
        ));
    }
}
