//! A restarted sandbox resumes what the platform still owes its merchants.

use std::sync::Arc;

use crate::baidu::cashier::notify_payment;
use crate::baidu::refund::run_refund;
use crate::book::{self, Order};
use crate::state::Inner;
use crate::sync::{lock, values};

/// Resumes what a loaded sandbox still owes its merchants: payment notifies not acknowledged
/// (a fresh retry schedule) and refunds still being processed (from the audit on; merchants
/// answer a repeated audit the same way, as they must for Baidu's own retries).
pub(crate) fn resume(inner: &Arc<Inner>) {
    for m in values(&inner.merchants) {
        let (unacked, refunding): (Vec<Order>, Vec<u64>) = {
            let book = lock(&m.book);
            (
                book.orders()
                    .iter()
                    .filter(|o| o.status == book::PAID && !o.consumed)
                    .cloned()
                    .collect(),
                book.refunds()
                    .iter()
                    .filter(|r| r.status == book::REFUNDING)
                    .map(|r| r.refund_batch_id)
                    .collect(),
            )
        };
        for o in unacked {
            tracing::info!(order_id = o.order_id, "resuming the payment notify");
            tokio::spawn(notify_payment(inner.clone(), m.clone(), o));
        }
        for id in refunding {
            tracing::info!(refund_batch_id = id, "resuming the refund");
            tokio::spawn(run_refund(inner.clone(), m.clone(), id));
        }
    }
}
