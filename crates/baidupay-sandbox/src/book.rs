//! One merchant's orders and refunds: the platform's bookkeeping, without I/O.

use std::collections::HashMap;

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
}

/// Why a refund application is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefundRefusal {
    UnknownOrder,
    NotPaid,
    WrongUser,
    OverAmount { refundable: u64 },
}

/// A merchant's book.
#[derive(Debug, Default)]
pub(crate) struct Book {
    orders: Vec<Order>,
    by_id: HashMap<u64, usize>,
    by_tp: HashMap<String, usize>,
    refunds: Vec<Refund>,
    by_biz_batch: HashMap<String, usize>,
}

impl Book {
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
        let refundable = self.refundable(req.order_id);
        let amount = req.apply.unwrap_or(refundable);
        if amount == 0 || amount > refundable {
            return Err(RefundRefusal::OverAmount { refundable });
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
        if let Some(r) = self
            .refunds
            .iter_mut()
            .find(|r| r.refund_batch_id == refund_batch_id)
        {
            match amount {
                Some(a) if a > 0 && a <= r.apply => {
                    r.amount = a;
                    r.status = REFUNDED;
                }
                _ => {
                    r.amount = 0;
                    r.status = REFUND_FAILED;
                }
            }
        }
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
        }
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
}
