//! The armed faults (see the `faults` module for what each does).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::callback::CallbackKind;
use crate::sync::lock;

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Delay,
    Status,
    Drop,
    TokenExpired,
    DuplicateCallback,
    ReorderCallback,
    Error,
}

impl Kind {
    /// The kind named `s` in `POST /sandbox/faults`.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "delay" => Self::Delay,
            "status" => Self::Status,
            "drop" => Self::Drop,
            "token_expired" => Self::TokenExpired,
            "duplicate_callback" => Self::DuplicateCallback,
            "reorder_callback" => Self::ReorderCallback,
            "error" => Self::Error,
            _ => return None,
        })
    }

    /// Whether it applies to callbacks (not to requests).
    fn on_callbacks(self) -> bool {
        matches!(self, Self::DuplicateCallback | Self::ReorderCallback)
    }
}

/// The error a `kind: error` fault answers, in one of the platforms' shapes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub(crate) enum ErrorAnswer {
    /// Baidu's business envelope `{"errno","msg"}` (cashier and TP codes).
    Errno { errno: i64, msg: String },
    /// Baidu's OpenAPI gateway `{"error_code","error_msg"}`.
    Gateway { error_code: i64, error_msg: String },
    /// OAuth `{"error","error_description"}`.
    #[serde(rename = "oauth")]
    OAuth {
        error: String,
        error_description: String,
    },
    /// An Alipay gateway answer `{"<method>_response":{"code","msg","sub_code","sub_msg"},"sign"}`.
    Alipay {
        code: String,
        msg: String,
        sub_code: Option<String>,
        sub_msg: Option<String>,
    },
}

/// One armed fault.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Fault {
    pub(crate) id: u64,
    pub(crate) kind: Kind,
    pub(crate) path: Option<String>,
    /// The Alipay gateway `method` a request must call to match (`/gateway.do` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) method: Option<String>,
    pub(crate) callback: Option<CallbackKind>,
    /// How many more matches it applies to.
    pub(crate) remaining: u32,
    pub(crate) delay_ms: u64,
    pub(crate) status: u16,
    /// What a `kind: error` fault answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<ErrorAnswer>,
}

/// The armed faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    armed: Mutex<Vec<Fault>>,
    next: AtomicU64,
}

impl Faults {
    /// The id of the next fault armed (from 1).
    pub(crate) fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Arms `fault`.
    pub(crate) fn arm(&self, fault: Fault) {
        lock(&self.armed).push(fault);
    }

    /// What is armed, with the count left.
    pub(crate) fn armed(&self) -> Vec<Fault> {
        lock(&self.armed).clone()
    }

    /// Disarms everything.
    pub(crate) fn clear(&self) {
        lock(&self.armed).clear();
    }

    /// Whether a fault armed for requests matches on the Alipay gateway `method` (so that the
    /// gateway's body must be read to match it).
    pub(crate) fn on_methods(&self) -> bool {
        lock(&self.armed)
            .iter()
            .any(|f| f.method.is_some() && f.remaining > 0)
    }

    /// Takes one use of the first fault armed for a request to `path` (calling the Alipay
    /// gateway `method`, if it is one).
    pub(crate) fn for_request(&self, path: &str, method: Option<&str>) -> Option<Fault> {
        self.take(|f| {
            !f.kind.on_callbacks()
                && match &f.path {
                    Some(p) => path.starts_with(p.as_str()),
                    None => !path.starts_with("/sandbox/"),
                }
                && f.method.as_deref().is_none_or(|m| Some(m) == method)
        })
    }

    /// Takes one use of the first fault armed for a callback of `kind`.
    pub(crate) fn for_callback(&self, kind: CallbackKind) -> Option<Fault> {
        self.take(|f| f.kind.on_callbacks() && f.callback.is_none_or(|k| k == kind))
    }

    fn take(&self, matches: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let mut armed = lock(&self.armed);
        let i = armed.iter().position(|f| f.remaining > 0 && matches(f))?;
        let f = armed.get_mut(i)?;
        f.remaining -= 1;
        let taken = f.clone();
        armed.retain(|f| f.remaining > 0);
        Some(taken)
    }
}
