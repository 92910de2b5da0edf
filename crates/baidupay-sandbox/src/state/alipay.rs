//! The simulated Alipay's state: its key, the registered apps and their trades, the bills.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use baidupay_crypto::{PublicKey, Signer};
use baidupay_notify::Charset;

use crate::store;
use crate::sync::Unpoisoned;

/// The status of a simulated trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    WaitBuyerPay,
    Success,
    Closed,
}

impl Status {
    /// The gateway's `trade_status`.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::WaitBuyerPay => "WAIT_BUYER_PAY",
            Self::Success => "TRADE_SUCCESS",
            Self::Closed => "TRADE_CLOSED",
        }
    }

    /// The status of a [`code`](Self::code).
    pub(crate) fn parse(code: &str) -> Option<Self> {
        [Self::WaitBuyerPay, Self::Success, Self::Closed]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// A refund of a trade.
#[derive(Debug, Clone)]
pub(crate) struct AliRefund {
    pub(crate) out_request_no: String,
    pub(crate) amount: u64,
    pub(crate) reason: String,
    pub(crate) time: i64,
}

/// A trade.
#[derive(Debug, Clone)]
pub(crate) struct Trade {
    pub(crate) trade_no: String,
    pub(crate) out_trade_no: String,
    pub(crate) total: u64,
    pub(crate) subject: String,
    pub(crate) body: Option<String>,
    pub(crate) buyer_id: Option<String>,
    pub(crate) buyer_open_id: Option<String>,
    pub(crate) passback_params: Option<String>,
    pub(crate) notify_url: Option<String>,
    pub(crate) status: Status,
    pub(crate) created: i64,
    pub(crate) paid: Option<i64>,
    pub(crate) refunds: Vec<AliRefund>,
}

impl Trade {
    /// Fen refunded so far.
    pub(crate) fn refunded(&self) -> u64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }

    /// What identifies the content of a create request (a second create with the same
    /// `out_trade_no` and other content is `ACQ.CONTEXT_INCONSISTENT`).
    pub(crate) fn same_content(&self, other: &Self) -> bool {
        self.total == other.total
            && self.subject == other.subject
            && self.buyer_id == other.buyer_id
            && self.buyer_open_id == other.buyer_open_id
    }
}

/// A registered Alipay app.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) app_id: String,
    pub(crate) key: PublicKey,
    pub(crate) notify_url: Option<String>,
    pub(crate) seller_id: String,
    /// The app's `charset`: its notifies are encoded and signed in it (UTF-8 or GBK).
    pub(crate) charset: Charset,
    pub(crate) trades: Mutex<Vec<Trade>>,
}

/// The simulated Alipay: its key and the apps.
pub(crate) struct Alipay {
    pub(crate) signer: Signer,
    pub(crate) public: PublicKey,
    pub(crate) public_path: Option<std::path::PathBuf>,
    pub(crate) apps: RwLock<HashMap<String, Arc<App>>>,
    pub(crate) bills: RwLock<HashMap<String, String>>,
}

impl std::fmt::Debug for Alipay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alipay")
            .field("public_path", &self.public_path)
            .finish_non_exhaustive()
    }
}

impl Alipay {
    /// The app `app_id`.
    pub(crate) fn app(&self, app_id: &str) -> Option<Arc<App>> {
        self.apps.read_or_recover().get(app_id).cloned()
    }
}

impl App {
    /// The app as stored.
    pub(crate) fn row(&self) -> store::AlipayAppRow {
        store::AlipayAppRow {
            app_id: self.app_id.clone(),
            public_key: self.key.to_spki_pem(),
            notify_url: self.notify_url.clone(),
            seller_id: self.seller_id.clone(),
            charset: self.charset.name().to_owned(),
        }
    }
}
