//! A restarted sandbox resumes what the platform still owes its merchants.

use std::sync::Arc;

use crate::baidu::cashier::notify_payment_from;
use crate::baidu::refund::run_refund;
use crate::book::{self, Order};
use crate::callback::CallbackKind;
use crate::deliver::PAYMENT_ATTEMPTS;
use crate::state::Inner;
use crate::sync::{lock, values};

/// Resumes what a loaded sandbox still owes its merchants: payment notifies not acknowledged
/// nor locked (with the attempts they have left, counted in the delivery log; none left: the
/// order is locked) and refunds still being processed (from the audit on; merchants
/// answer a repeated audit the same way, as they must for Baidu's own retries).
pub(crate) fn resume(inner: &Arc<Inner>) {
    for m in values(&inner.merchants) {
        let (unacked, refunding): (Vec<Order>, Vec<u64>) = {
            let book = lock(&m.book);
            (
                book.orders()
                    .iter()
                    .filter(|o| o.status == book::PAID && !o.consumed && !o.locked)
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
            let made = attempts_made(inner, &m.app_key, o.order_id);
            tracing::info!(order_id = o.order_id, made, "resuming the payment notify");
            // none left: the notify below locks the order at once
            let next = made
                .saturating_add(1)
                .min(PAYMENT_ATTEMPTS.saturating_add(1));
            tokio::spawn(notify_payment_from(inner.clone(), m.clone(), o, next));
        }
        for id in refunding {
            tracing::info!(refund_batch_id = id, "resuming the refund");
            tokio::spawn(run_refund(inner.clone(), m.clone(), id));
        }
    }
}

/// The payment-notify attempts the delivery log holds for `order_id`.
fn attempts_made(inner: &Inner, app_key: &str, order_id: u64) -> u32 {
    let needle = format!("&orderId={order_id}&");
    let n = lock(&inner.deliveries)
        .iter()
        .filter(|d| d.kind == CallbackKind::Payment && d.app_key == app_key)
        .filter(|d| d.body.contains(&needle))
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}
