//! The seed 004 onboarding endpoints: the dictionary, the payment account, the developer config
//! and the payment service, each step audited and refused with the documented errors while it
//! is under audit or a step before it is missing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use baidupay_crypto::PublicKey;
use baidupay_model::tp::TpErrorCode;
use baidupay_model::tp::rules;
use serde_json::{Value, json};

use crate::respond::{ok, or_return, store_failed};
use crate::state::Inner;
use crate::state::tp::{Audit, Onboarding, Stage, Step};
use crate::sync::lock;
use crate::tp::audit::{change, submit};
use crate::tp::common::{authorized, keep, refused, tp_error, tp_invalid};

pub(crate) async fn dict(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let _ = or_return!(authorized(&inner, q.as_deref(), None));
    // laid out as seed 004's example: snake_case lists, camelCase maps and items
    ok(json!({
        "province_list": [
            {"provinceId": 110000, "provinceName": "北京市", "cities": [{"cityId": 110100, "cityName": "北京市"}]},
            {"provinceId": 440000, "provinceName": "广东省", "cities": [
                {"cityId": 440100, "cityName": "广州市"}, {"cityId": 440300, "cityName": "深圳市"}]},
        ],
        "bank_list": [
            {"character": "Z", "banks": [
                {"bankId": 1, "bankName": "中国工商银行", "logoUrl": ""},
                {"bankId": 2, "bankName": "中国建设银行", "logoUrl": ""},
                {"bankId": 3, "bankName": "招商银行", "logoUrl": ""}]},
        ],
        "commissionRate": {"6": "千分之六"},
        "paymentDays": {"1": "T+1", "7": "T+7", "14": "T+14", "28": "T+28"},
    }))
}

/// Whether a step may be created (again): not while it is under audit (`under_audit`), not
/// once it passed (`exists`); a rejected step is corrected and audited again.
fn again(stage: Option<&Stage>, under_audit: TpErrorCode, exists: TpErrorCode) -> Option<Response> {
    match stage.map(|st| st.audit) {
        Some(Audit::Pending) => Some(tp_error(under_audit)),
        Some(Audit::Passed) => Some(tp_error(exists)),
        Some(Audit::Rejected) | None => None,
    }
}

pub(crate) async fn create_account(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let (p, program) = or_return!(authorized(&inner, q.as_deref(), Some(&body)));
    if let Some(refused) = refused(&p, &body, rules::ACCOUNT_CREATE) {
        return refused;
    }
    submit(
        &inner,
        &program,
        Step::Account,
        keep(&p, rules::ACCOUNT_CREATE),
        |s| {
            again(
                s.account.as_ref(),
                TpErrorCode::AccountUnderAudit,
                TpErrorCode::AccountExists,
            )
        },
    )
}

pub(crate) async fn account_status(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let (_, program) = or_return!(authorized(&inner, q.as_deref(), None));
    let s = lock(&program.state);
    match &s.account {
        None => tp_error(TpErrorCode::AccountAuditMissing),
        Some(a) => {
            let (status, message) = match a.audit {
                Audit::Pending => (2, "审核中".to_owned()),
                Audit::Passed => (4, "审核通过".to_owned()),
                Audit::Rejected => (3, a.reason.clone()),
            };
            ok(json!({"status": status, "verify_message": message}))
        }
    }
}

/// The account must have passed its audit before the next steps.
fn account_gate(s: &Onboarding) -> Option<Response> {
    match s.account.as_ref().map(|a| a.audit) {
        None => Some(tp_error(TpErrorCode::AccountNotFound)),
        Some(Audit::Pending) => Some(tp_error(TpErrorCode::AccountUnderAudit)),
        Some(Audit::Rejected) => Some(tp_error(TpErrorCode::AccountRejected)),
        Some(Audit::Passed) => None,
    }
}

pub(crate) async fn submit_config(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let (p, program) = or_return!(authorized(&inner, q.as_deref(), Some(&body)));
    if let Some(refused) = refused(&p, &body, rules::DEVELOP_CONFIG) {
        return refused;
    }
    if let Err(e) = PublicKey::parse(p.get("tp_public_key").map_or(&b""[..], |k| k.as_bytes())) {
        return tp_invalid(&format!("tp_public_key: {e}"));
    }
    submit(
        &inner,
        &program,
        Step::DevelopConfig,
        keep(&p, rules::DEVELOP_CONFIG),
        |s| {
            account_gate(s).or_else(|| {
                s.config
                    .as_ref()
                    .is_some_and(|c| c.audit == Audit::Pending)
                    .then(|| tp_error(TpErrorCode::DeveloperConfigUnderAudit))
            })
        },
    )
}

pub(crate) async fn create_service(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let (p, program) = or_return!(authorized(&inner, q.as_deref(), Some(&body)));
    if let Some(refused) = refused(&p, &body, rules::PAYMENT_SERVICE) {
        return refused;
    }
    submit(
        &inner,
        &program,
        Step::PaymentService,
        keep(&p, rules::PAYMENT_SERVICE),
        |s| {
            account_gate(s)
                .or_else(|| match s.config.as_ref().map(|c| c.audit) {
                    None | Some(Audit::Rejected) => {
                        Some(tp_error(TpErrorCode::DeveloperConfigMissing))
                    }
                    Some(Audit::Pending) => Some(tp_error(TpErrorCode::DeveloperConfigUnderAudit)),
                    Some(Audit::Passed) => None,
                })
                .or_else(|| {
                    again(
                        s.service.as_ref(),
                        TpErrorCode::ServiceUnderAudit,
                        TpErrorCode::ServiceExists,
                    )
                })
        },
    )
}

pub(crate) async fn service_status(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let (_, program) = or_return!(authorized(&inner, q.as_deref(), None));
    let s = lock(&program.state);
    match &s.service {
        None => tp_error(TpErrorCode::ServiceNotFound),
        Some(v) => ok(json!({"status": v.audit.service_code(), "fail_reason": v.reason})),
    }
}

pub(crate) async fn update_service(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let (p, program) = or_return!(authorized(&inner, q.as_deref(), Some(&body)));
    if let Some(refused) = refused(&p, &body, rules::PAYMENT_SERVICE_UPDATE) {
        return refused;
    }
    let mut s = lock(&program.state);
    let mut next = s.clone();
    match next.service.as_mut() {
        None => tp_error(TpErrorCode::ServiceNotFound),
        Some(v) if v.audit == Audit::Pending => tp_error(TpErrorCode::ServiceUnderAudit),
        Some(v) => {
            v.fields.extend(keep(&p, rules::PAYMENT_SERVICE_UPDATE));
            match change(&inner, &program, &mut s, next) {
                Ok(()) => ok(Value::Null),
                Err(e) => store_failed(&e),
            }
        }
    }
}

pub(crate) async fn update_bound_service(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let (p, program) = or_return!(authorized(&inner, q.as_deref(), Some(&body)));
    if let Some(refused) = refused(&p, &body, rules::PAYMENT_SERVICE) {
        return refused;
    }
    submit(
        &inner,
        &program,
        Step::PaymentService,
        keep(&p, rules::PAYMENT_SERVICE),
        |s| match s.service.as_ref().map(|v| v.audit) {
            None => Some(tp_error(TpErrorCode::ServiceNotFound)),
            Some(Audit::Pending) => Some(tp_error(TpErrorCode::ServiceUnderAudit)),
            Some(_) => None,
        },
    )
}

pub(crate) async fn bound_service(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let (_, program) = or_return!(authorized(&inner, q.as_deref(), None));
    let s = lock(&program.state);
    let Some(v) = &s.service else {
        return tp_error(TpErrorCode::ServiceNotFound);
    };
    let f = |k: &str| v.fields.get(k).cloned().unwrap_or_default();
    let n = |k: &str| {
        v.fields
            .get(k)
            .and_then(|x| x.parse::<u64>().ok())
            .unwrap_or(0)
    };
    ok(json!({
        "pm_app_id": s.pm_app_id,
        "app_name": f("app_name"),
        "pm_app_key": s.pm_app_key.clone().unwrap_or_default(),
        "platform_public_key": inner.public.to_base64(),
        "deal_id": s.deal_id.to_string(),
        "service_phone": f("service_phone"),
        "bank_account": f("bank_account"),
        "bank_card": f("bank_card"),
        "bank_name": f("bank_name"),
        "bank_branch": f("bank_branch"),
        "open_province": f("open_province"),
        "open_city": f("open_city"),
        "payment_days": n("payment_days"),
        "commission_rate": n("commission_rate"),
        "pool_cash_pledge": n("pool_cash_pledge"),
        "day_max_frozen_amount": n("day_max_frozen_amount"),
        "open_status": v.audit.service_code(),
        "fail_reason": v.reason,
    }))
}
