//! The callbacks the platforms send and the log of every attempt (`GET /sandbox/deliveries`).

use serde::Serialize;

/// Which callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallbackKind {
    /// 通知支付状态.
    Payment,
    /// 请求业务方退款审核.
    RefundAudit,
    /// 通知退款状态.
    Refund,
    /// Alipay's trade notify (`trade_status_sync`), answered with `success`.
    AlipayTrade,
    /// A TP payment audit push, answered with `success`: sealed with the TP's keys, or plain
    /// JSON (unauthenticated) for a mini program of the shortcut without a registered platform.
    TpAudit,
    /// A ticket push to a registered TP (sealed), answered with `success`.
    TpTicket,
    /// An authorization event (`AUTHORIZED`, `UPDATE_AUTHORIZED`, `UNAUTHORIZED`) to a
    /// registered TP (sealed), answered with `success`.
    TpAuthorization,
}

impl CallbackKind {
    /// Every kind.
    const ALL: [Self; 7] = [
        Self::Payment,
        Self::RefundAudit,
        Self::Refund,
        Self::AlipayTrade,
        Self::TpAudit,
        Self::TpTicket,
        Self::TpAuthorization,
    ];

    /// The name the control API and the database use (`refund-audit`), as serialized.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::RefundAudit => "refund-audit",
            Self::Refund => "refund",
            Self::AlipayTrade => "alipay-trade",
            Self::TpAudit => "tp-audit",
            Self::TpTicket => "tp-ticket",
            Self::TpAuthorization => "tp-authorization",
        }
    }

    /// Whether it goes to a TP (a JSON body answered with `success`).
    pub(crate) fn to_tp(self) -> bool {
        matches!(self, Self::TpAudit | Self::TpTicket | Self::TpAuthorization)
    }

    /// The kind of a [`name`](Self::name).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One attempt to deliver a callback, as `GET /sandbox/deliveries` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// Sequence number over all deliveries.
    pub id: u64,
    /// The callback.
    pub kind: CallbackKind,
    /// The merchant's payment appKey (TP pushes: the mini program's app id, or the TP's client
    /// id for ticket and authorization events).
    pub app_key: String,
    /// Where it was POSTed.
    pub url: String,
    /// The body as POSTed (a signed form; for a TP, the sealed envelope JSON).
    pub body: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// The answer body (first 1000 characters) or the transport error.
    pub response: String,
    /// Whether the platform counts it as acknowledged.
    pub acknowledged: bool,
    /// Why not (or what the answer said).
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for kind in CallbackKind::ALL {
            assert_eq!(CallbackKind::parse(kind.name()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::String(kind.name().to_owned()))
            );
        }
        assert_eq!(CallbackKind::parse("refund_audit"), None);
    }
}
