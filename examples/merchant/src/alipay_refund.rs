//! Refunding an Alipay payment once, whatever the network or the gateway does.
//!
//! Alipay refunds once per `out_request_no`. When the outcome of a refund is unknown
//! (`ACQ.SYSTEM_ERROR`, a timeout, a 5xx: [`AlipayError::is_unknown_outcome`]), the refund is
//! looked up first (`alipay.trade.fastpay.refund.query` by the same `out_request_no`); only if
//! it is not there is the **same** request sent again. A new `out_request_no` is never made up
//! for a retry: that would be a second refund. A definite refusal (`ACQ.TRADE_STATUS_ERROR`,
//! ...) is not retried.

use baidupay_alipay::{AlipayClient, AlipayError};
use baidupay_model::alipay::{RefundQuery, RefundStatus, TradeRef, TradeRefund};
use baidupay_model::{Fen, OutRequestNo, OutTradeNo, TpOrderId, Yuan};

use crate::store::RefundStart;
use crate::{App, StoreError, within_budget};

/// How many times the same refund request is sent before the refund is left for later.
pub const REFUND_ATTEMPTS: u32 = 3;

/// How a refund came to be recorded as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlipayRefunded {
    /// Alipay answered the refund (`fund_change` `N` on a replay of an earlier attempt).
    Answered,
    /// The answer was lost or unknown; the refund query found the refund done.
    FoundByQuery,
    /// This merchant had recorded it already: nothing was sent.
    AlreadyRecorded,
}

/// Why a refund is not (yet) recorded as done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlipayRefundError {
    /// The order is not one of this merchant's Alipay payments.
    #[error("order {0} is not an alipay payment of this merchant")]
    NotPaid(TpOrderId),
    /// The amount is zero or more than is left to refund.
    #[error("refund of {amount} fen is not within what is left of order {tp_order_id}")]
    Amount {
        /// The order.
        tp_order_id: TpOrderId,
        /// The amount asked for.
        amount: Fen,
    },
    /// `out_request_no` was used for another order or amount.
    #[error("out_request_no {0} is already used for another refund")]
    Reused(OutRequestNo),
    /// Alipay refused the refund (a definite answer: nothing was refunded by this request).
    #[error("alipay refused refund {out_request_no}")]
    Refused {
        /// The refund's number.
        out_request_no: OutRequestNo,
        /// Alipay's answer.
        #[source]
        source: AlipayError,
    },
    /// The ledger could not record the refund (nothing was sent) or its end (run it again
    /// with the same `out_request_no`).
    #[error("refund {out_request_no}: the ledger could not answer")]
    Ledger {
        /// The refund's number.
        out_request_no: OutRequestNo,
        /// Why.
        #[source]
        source: StoreError,
    },
    /// Neither the refund nor the query gave a definite answer: run the refund again later
    /// with the same `out_request_no`, never a new one.
    #[error(
        "the outcome of refund {out_request_no} is still unknown: run it again later with the \
         same out_request_no"
    )]
    StillUnknown {
        /// The refund's number.
        out_request_no: OutRequestNo,
        /// The last unknown outcome.
        #[source]
        source: AlipayError,
    },
}

impl App {
    /// Refunds `amount` of the Alipay-paid order `tp_order_id` under `out_request_no` (the
    /// merchant's refund number: the same number for every attempt of this refund). On an
    /// unknown outcome it queries the refund before sending the same request again, at most
    /// [`REFUND_ATTEMPTS`] times; it never sends a second number.
    ///
    /// # Errors
    /// [`AlipayRefundError`]: not refundable, refused, or still unknown (run it again later with
    /// the same `out_request_no`).
    pub async fn refund_alipay(
        &self,
        client: &AlipayClient,
        tp_order_id: &TpOrderId,
        out_request_no: OutRequestNo,
        amount: Fen,
    ) -> Result<AlipayRefunded, AlipayRefundError> {
        let bad_amount = || AlipayRefundError::Amount {
            tp_order_id: tp_order_id.clone(),
            amount,
        };
        let trade = TradeRef::OutTradeNo(
            OutTradeNo::new(tp_order_id.as_str())
                .map_err(|_| AlipayRefundError::NotPaid(tp_order_id.clone()))?,
        );
        let request = TradeRefund::new(
            trade.clone(),
            Yuan::from_fen(amount).map_err(|_| bad_amount())?,
            out_request_no.clone(),
        );
        let query = RefundQuery::new(trade, out_request_no.clone());
        // recorded as pending before anything is sent, so that a retry (even after a restart)
        // reuses its number and its amount is held on the order
        let started = within_budget(self.store.alipay_refund_start(
            tp_order_id,
            &out_request_no,
            amount,
        ))
        .await;
        match started {
            Ok(RefundStart::Send) => {}
            Ok(RefundStart::AlreadyDone) => return Ok(AlipayRefunded::AlreadyRecorded),
            Ok(RefundStart::Reused) => return Err(AlipayRefundError::Reused(out_request_no)),
            Ok(RefundStart::Amount) => return Err(bad_amount()),
            Ok(_) => return Err(AlipayRefundError::NotPaid(tp_order_id.clone())),
            Err(source) => {
                return Err(AlipayRefundError::Ledger {
                    out_request_no,
                    source,
                });
            }
        }
        let mut attempt = 1;
        loop {
            let unknown = match client.refund(&request).await {
                Ok(_) => {
                    self.alipay_refund_end(tp_order_id, &out_request_no, true)
                        .await?;
                    return Ok(AlipayRefunded::Answered);
                }
                Err(e) if e.is_unknown_outcome() => e,
                Err(source) => {
                    // a definite refusal: the amount held for it is released
                    self.alipay_refund_end(tp_order_id, &out_request_no, false)
                        .await?;
                    return Err(AlipayRefundError::Refused {
                        out_request_no,
                        source,
                    });
                }
            };
            // query before retrying, by the same out_request_no
            match client.refund_query(&query).await {
                Ok(q) if q.refund_status == Some(RefundStatus::RefundSuccess) => {
                    self.alipay_refund_end(tp_order_id, &out_request_no, true)
                        .await?;
                    return Ok(AlipayRefunded::FoundByQuery);
                }
                // not there (yet): the same request again; Alipay applies it once at most
                Ok(_) if attempt < REFUND_ATTEMPTS => attempt += 1,
                _ => {
                    return Err(AlipayRefundError::StillUnknown {
                        out_request_no,
                        source: unknown,
                    });
                }
            }
        }
    }

    /// Records the end of a pending refund once (a success counts as an effect).
    async fn alipay_refund_end(
        &self,
        tp_order_id: &TpOrderId,
        out_request_no: &OutRequestNo,
        succeeded: bool,
    ) -> Result<(), AlipayRefundError> {
        let changed = within_budget(self.store.alipay_refund_end(
            tp_order_id,
            out_request_no,
            succeeded,
        ))
        .await
        .map_err(|source| AlipayRefundError::Ledger {
            out_request_no: out_request_no.clone(),
            source,
        })?;
        if changed && succeeded {
            self.count(crate::store::Effect::Applied);
        }
        Ok(())
    }
}
