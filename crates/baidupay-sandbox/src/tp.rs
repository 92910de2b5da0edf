//! The third-party-platform (TP) side of the simulator (seed 004): a mini program opens its
//! payment service through a TP in three audited steps (payment account, developer config,
//! payment service), each answered with the documented errors while it is under audit or
//! missing, and each audit result pushed to the TP's event URL (retried until `success`).
//!
//! * `POST /sandbox/tp/apps {"app_id", "tp_app_id", "event_url"}` authorizes a mini program
//!   for a TP and returns its authorizer `access_token` (the ticket / pre-auth-code chain is
//!   not simulated);
//! * `POST /sandbox/tp/audit {"app_id", "step": "account"|"develop_config"|"payment_service",
//!   "pass", "reason"}` decides an audit; with `SandboxConfig::tp_audit_delay` audits pass by
//!   themselves after that delay;
//! * once the payment service passes, the mini program is a cashier merchant: its
//!   `pmAppKey`/`dealId` are in `getbindservice`, orders paid through `/sandbox/cashier/pay`
//!   are signed with the developer-config key, callbacks go to the developer-config URLs, and
//!   the `/paymentservice/tp/*` pay APIs, `orderlist`, `financebalance` and `incomedetail`
//!   (with working pagination) answer from them with the authorizer token. No settlement runs:
//!   `otherdetail` and `financeexpense` are empty, `paydetail` knows no task (60021).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use baidupay_crypto::PublicKey;
use serde_json::{Value, json};

use crate::book;
use crate::deliver::{self, CallbackKind};
use crate::http_api::{errno, json_response, ok};
use crate::{
    Inner, Merchant, Token, Unpoisoned, beijing_date, beijing_time, lock, now_unix, signed_yuan,
};

/// Where an audited step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audit {
    Pending,
    Passed,
    Rejected,
}

impl Audit {
    /// The payment service's status code (`paymentservice/auditstatus` `status`,
    /// `getbindservice` `open_status`): 1 under audit, 2 passed, 3 rejected.
    fn service_code(self) -> u8 {
        match self {
            Self::Pending => 1,
            Self::Passed => 2,
            Self::Rejected => 3,
        }
    }
}

/// The three steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Account,
    DevelopConfig,
    PaymentService,
}

impl Step {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "account" => Self::Account,
            "develop_config" => Self::DevelopConfig,
            "payment_service" => Self::PaymentService,
            _ => return None,
        })
    }

    fn event(self, pass: bool) -> &'static str {
        match (self, pass) {
            (Self::Account, true) => "APP_PAYMENT_CREATE_ACCOUNT_PASS",
            (Self::Account, false) => "APP_PAYMENT_CREATE_ACCOUNT_FAIL",
            (Self::DevelopConfig, true) => "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS",
            (Self::DevelopConfig, false) => "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL",
            (Self::PaymentService, true) => "APP_PAYMENT_CREATE_PAYMENT_PASS",
            (Self::PaymentService, false) => "APP_PAYMENT_CREATE_PAYMENT_FAIL",
        }
    }
}

#[derive(Debug, Clone)]
struct Stage {
    audit: Audit,
    reason: String,
    fields: HashMap<String, String>,
}

#[derive(Debug, Default)]
struct Onboarding {
    account: Option<Stage>,
    config: Option<Stage>,
    service: Option<Stage>,
    /// Set when the payment service first passes.
    pm_app_key: Option<String>,
    deal_id: u64,
    pm_app_id: u64,
}

impl Onboarding {
    fn stage_mut(&mut self, step: Step) -> &mut Option<Stage> {
        match step {
            Step::Account => &mut self.account,
            Step::DevelopConfig => &mut self.config,
            Step::PaymentService => &mut self.service,
        }
    }
}

/// A mini program authorized for a TP.
#[derive(Debug)]
pub(crate) struct Program {
    app_id: u64,
    tp_app_id: u64,
    event_url: String,
    token: String,
    state: Mutex<Onboarding>,
}

/// The TP state: mini programs by app id and by authorizer token.
#[derive(Debug, Default)]
pub(crate) struct Tp {
    programs: RwLock<HashMap<u64, Arc<Program>>>,
    by_token: RwLock<HashMap<String, u64>>,
}

fn tp_error(code: i64, msg: &str) -> Response {
    errno(code, msg)
}

fn params(query: Option<&str>, body: &[u8]) -> HashMap<String, String> {
    crate::http_api::params(query, Some(body))
}

/// The mini program of an authorizer token.
fn program(inner: &Inner, p: &HashMap<String, String>) -> Result<Arc<Program>, Box<Response>> {
    let token = p.get("access_token").map(String::as_str).unwrap_or("");
    let app_id = inner.tp.by_token.read_or_recover().get(token).copied();
    let found = app_id.and_then(|id| inner.tp.programs.read_or_recover().get(&id).cloned());
    found.ok_or_else(|| {
        Box::new(json_response(
            StatusCode::OK,
            &json!({"error_code": 110, "error_msg": "Access token invalid or no longer valid"}),
        ))
    })
}

macro_rules! program_or_return {
    ($inner:expr, $p:expr) => {
        match program(&$inner, &$p) {
            Ok(p) => p,
            Err(r) => return *r,
        }
    };
}

fn missing(p: &HashMap<String, String>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find(|n| p.get(**n).is_none_or(String::is_empty))
        .map(|n| format!("参数错误: {n} 不能为空"))
}

fn keep(p: &HashMap<String, String>, names: &[&str]) -> HashMap<String, String> {
    names
        .iter()
        .filter_map(|n| p.get(*n).map(|v| ((*n).to_owned(), v.clone())))
        .collect()
}

/// Puts `step` under audit with `fields`, unless `gate` (run under the program's lock, on its
/// state as it is) answers an error first; then, with `tp_audit_delay`, lets it pass by itself.
fn submit(
    inner: &Arc<Inner>,
    program: &Arc<Program>,
    step: Step,
    fields: HashMap<String, String>,
    gate: impl FnOnce(&Onboarding) -> Option<Response>,
) -> Response {
    {
        let mut s = lock(&program.state);
        if let Some(refused) = gate(&s) {
            return refused;
        }
        *s.stage_mut(step) = Some(Stage {
            audit: Audit::Pending,
            reason: String::new(),
            fields,
        });
    }
    auto_pass(inner, program, step);
    ok(Value::Null)
}

// --- control API ------------------------------------------------------------------------------

/// A control-API id given as a JSON number or a numeric string.
fn json_id(v: &Value, key: &str) -> Option<u64> {
    match v.get(key) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) async fn authorize_app(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (Some(app_id), Some(tp_app_id)) = (json_id(&v, "app_id"), json_id(&v, "tp_app_id")) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "app_id and tp_app_id (numbers) are required"}),
        );
    };
    let Some(event_url) = v
        .get("event_url")
        .and_then(Value::as_str)
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
    else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "event_url must be an absolute http(s) URL"}),
        );
    };
    let token = format!("tp.authorizer.{app_id}.{:x}", inner.next_id());
    let program = Arc::new(Program {
        app_id,
        tp_app_id,
        event_url: event_url.to_owned(),
        token: token.clone(),
        state: Mutex::default(),
    });
    {
        let mut programs = inner.tp.programs.write_or_recover();
        if programs.contains_key(&app_id) {
            return json_response(
                StatusCode::CONFLICT,
                &json!({"error": format!("mini program {app_id} is already authorized")}),
            );
        }
        programs.insert(app_id, program);
    }
    inner
        .tp
        .by_token
        .write_or_recover()
        .insert(token.clone(), app_id);
    // the authorizer token also calls the /paymentservice/tp/ pay APIs once a pmAppKey exists
    lock(&inner.tokens).insert(
        token.clone(),
        Token {
            app_keys: Vec::new(),
            expires: Instant::now() + Duration::from_secs(30 * 86_400),
        },
    );
    json_response(
        StatusCode::CREATED,
        &json!({"app_id": app_id, "tp_app_id": tp_app_id, "access_token": token, "expires_in": 30 * 86_400}),
    )
}

pub(crate) async fn decide(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let app_id = json_id(&v, "app_id");
    let step = v.get("step").and_then(Value::as_str).and_then(Step::parse);
    let (Some(app_id), Some(step), Some(pass)) =
        (app_id, step, v.get("pass").and_then(Value::as_bool))
    else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "app_id, step (account, develop_config, payment_service) and pass are required"}),
        );
    };
    let reason = v
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or(if pass { "" } else { "资料不符合要求" })
        .to_owned();
    let Some(p) = inner.tp.programs.read_or_recover().get(&app_id).cloned() else {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no mini program {app_id}")}),
        );
    };
    match settle(&inner, &p, step, pass, &reason) {
        Ok(()) => json_response(StatusCode::OK, &json!({"event": step.event(pass)})),
        Err(why) => json_response(StatusCode::CONFLICT, &json!({"error": why})),
    }
}

/// Decides an audit under way and pushes the event.
fn settle(
    inner: &Arc<Inner>,
    p: &Arc<Program>,
    step: Step,
    pass: bool,
    reason: &str,
) -> Result<(), String> {
    {
        let mut s = lock(&p.state);
        let Some(stage) = s
            .stage_mut(step)
            .as_mut()
            .filter(|st| st.audit == Audit::Pending)
        else {
            return Err(format!("{step:?} is not under audit"));
        };
        stage.audit = if pass { Audit::Passed } else { Audit::Rejected };
        stage.reason = reason.to_owned();
        if step == Step::PaymentService && pass {
            open_service(inner, p, &mut s)?;
        }
    }
    let push = json!({
        "appId": p.app_id,
        "tpAppId": p.tp_app_id,
        "eventTime": beijing_time(now_unix()),
        "event": step.event(pass),
        "reason": if pass { Value::Null } else { Value::String(reason.to_owned()) },
    });
    let push = match push {
        Value::Object(mut o) => {
            o.retain(|_, v| !v.is_null());
            Value::Object(o)
        }
        other => other,
    };
    tokio::spawn(deliver::deliver(
        inner.clone(),
        CallbackKind::TpAudit,
        p.app_id.to_string(),
        p.event_url.clone(),
        push.to_string(),
    ));
    Ok(())
}

/// The payment service passed: the mini program becomes a cashier merchant.
fn open_service(inner: &Arc<Inner>, p: &Program, s: &mut Onboarding) -> Result<(), String> {
    let Some(config) = s.config.as_ref() else {
        return Err("no developer config".into());
    };
    let field = |k: &str| config.fields.get(k).cloned().unwrap_or_default();
    let key = PublicKey::parse(field("tp_public_key").as_bytes())
        .map_err(|e| format!("tp_public_key: {e}"))?;
    if s.pm_app_key.is_none() {
        s.pm_app_key = Some(format!("MMMtp{}", p.app_id));
        s.deal_id = 400_000_000 + inner.next_id() % 100_000_000;
        s.pm_app_id = 10_000 + inner.next_id() % 90_000;
    }
    let app_key = s.pm_app_key.clone().unwrap_or_default();
    let merchant = Arc::new(Merchant {
        app_key: app_key.clone(),
        deal_id: s.deal_id,
        app_id: s.pm_app_id,
        client_id: format!("tp-{}", p.app_id),
        client_secret: format!("tp-secret-{:x}", inner.next_id()),
        key,
        notify_url: field("pay_notify_url"),
        refund_audit_url: field("refund_audit_url"),
        refund_notify_url: field("refund_succ_url"),
        book: Mutex::default(),
    });
    inner.persist(|db, next| db.merchant(&merchant.row(), next));
    inner
        .merchants
        .write_or_recover()
        .entry(app_key.clone())
        .or_insert(merchant);
    if let Some(t) = lock(&inner.tokens).get_mut(&p.token)
        && !t.app_keys.contains(&app_key)
    {
        t.app_keys.push(app_key);
    }
    Ok(())
}

/// With `tp_audit_delay`, the audit just submitted passes by itself after the delay.
fn auto_pass(inner: &Arc<Inner>, p: &Arc<Program>, step: Step) {
    if let Some(delay) = inner.config.tp_audit_delay {
        let (inner, p) = (inner.clone(), p.clone());
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            // already decided explicitly: nothing to do
            let _ = settle(&inner, &p, step, true, "");
        });
    }
}

// --- seed 004 endpoints -----------------------------------------------------------------------

pub(crate) async fn dict(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), b"");
    let _program = program_or_return!(inner, p);
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

const ACCOUNT_FIELDS: [&str; 8] = [
    "business_scope",
    "business_province",
    "business_city",
    "business_detail_address",
    "legal_person",
    "legal_id",
    "id_card_front_url",
    "id_card_back_url",
];

pub(crate) async fn create_account(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), &body);
    let program = program_or_return!(inner, p);
    if let Some(why) = missing(&p, &ACCOUNT_FIELDS) {
        return tp_error(60000, &why);
    }
    let person = p.get("legal_person").map_or(0, |s| s.chars().count());
    if !(2..=50).contains(&person) {
        return tp_error(60004, "法人姓名限定在 2 - 50 字符");
    }
    if p.get("legal_id").map_or(0, |s| s.chars().count()) != 18 {
        return tp_error(60005, "身份证号必须为 18 位");
    }
    submit(
        &inner,
        &program,
        Step::Account,
        keep(&p, &ACCOUNT_FIELDS),
        |s| match s.account.as_ref().map(|a| a.audit) {
            Some(Audit::Pending) => Some(tp_error(60017, "支付账号审核中,无法再次创建")),
            Some(Audit::Passed) => Some(tp_error(60012, "支付账号已经存在,请勿重复创建")),
            // rejected: a corrected submission is audited again
            Some(Audit::Rejected) | None => None,
        },
    )
}

pub(crate) async fn account_status(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), b"");
    let program = program_or_return!(inner, p);
    let s = lock(&program.state);
    match &s.account {
        None => tp_error(60006, "支付账号审核信息不存在"),
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

const CONFIG_FIELDS: [&str; 4] = [
    "tp_public_key",
    "pay_notify_url",
    "refund_audit_url",
    "refund_succ_url",
];

/// The account must have passed its audit before the next steps.
fn account_gate(s: &Onboarding) -> Option<Response> {
    match s.account.as_ref().map(|a| a.audit) {
        None => Some(tp_error(60013, "支付账号不存在,请先创建支付账号")),
        Some(Audit::Pending) => Some(tp_error(60017, "支付账号审核中,无法再次创建")),
        Some(Audit::Rejected) => Some(tp_error(
            60016,
            "创建账号审核未通过,请查看创建账号的审核状态",
        )),
        Some(Audit::Passed) => None,
    }
}

pub(crate) async fn submit_config(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), &body);
    let program = program_or_return!(inner, p);
    if let Some(why) = missing(&p, &CONFIG_FIELDS) {
        return tp_error(60000, &why);
    }
    if let Err(e) = PublicKey::parse(p.get("tp_public_key").map_or(&b""[..], |k| k.as_bytes())) {
        return tp_error(60000, &format!("参数错误: tp_public_key: {e}"));
    }
    submit(
        &inner,
        &program,
        Step::DevelopConfig,
        keep(&p, &CONFIG_FIELDS),
        |s| {
            account_gate(s).or_else(|| {
                s.config
                    .as_ref()
                    .is_some_and(|c| c.audit == Audit::Pending)
                    .then(|| tp_error(60018, "开发者设置审核中,无法再次修改"))
            })
        },
    )
}

const SERVICE_FIELDS: [&str; 12] = [
    "app_name",
    "service_phone",
    "bank_account",
    "bank_card",
    "bank_name",
    "bank_branch",
    "open_province",
    "open_city",
    "payment_days",
    "commission_rate",
    "pool_cash_pledge",
    "day_max_frozen_amount",
];

fn check_service(p: &HashMap<String, String>) -> Option<Response> {
    if let Some(why) = missing(p, &SERVICE_FIELDS) {
        return Some(tp_error(60000, &why));
    }
    let n = |k: &str| p.get(k).and_then(|v| v.parse::<u64>().ok());
    if !matches!(n("payment_days"), Some(1 | 7 | 14 | 28)) {
        return Some(tp_error(
            60000,
            "参数错误: payment_days 须为 1, 7, 14 或 28",
        ));
    }
    if n("commission_rate") != Some(6) {
        return Some(tp_error(60000, "参数错误: commission_rate 须为 6"));
    }
    if n("day_max_frozen_amount").is_none_or(|v| v > 10_000) {
        return Some(tp_error(
            60000,
            "参数错误: day_max_frozen_amount 不超过 10000",
        ));
    }
    if n("pool_cash_pledge").is_none() {
        return Some(tp_error(60000, "参数错误: pool_cash_pledge 须为整数"));
    }
    None
}

pub(crate) async fn create_service(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), &body);
    let program = program_or_return!(inner, p);
    if let Some(r) = check_service(&p) {
        return r;
    }
    submit(
        &inner,
        &program,
        Step::PaymentService,
        keep(&p, &SERVICE_FIELDS),
        |s| {
            account_gate(s)
                .or_else(|| match s.config.as_ref().map(|c| c.audit) {
                    None | Some(Audit::Rejected) => {
                        Some(tp_error(60014, "开发者设置未提交,请先提交开发者设置"))
                    }
                    Some(Audit::Pending) => Some(tp_error(60018, "开发者设置审核中,无法再次修改")),
                    Some(Audit::Passed) => None,
                })
                .or_else(|| match s.service.as_ref().map(|v| v.audit) {
                    Some(Audit::Pending) => Some(tp_error(60019, "支付服务审核中,无法再次修改")),
                    Some(Audit::Passed) => Some(tp_error(60009, "支付服务已经存在,请勿重复创建")),
                    Some(Audit::Rejected) | None => None,
                })
        },
    )
}

pub(crate) async fn service_status(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), b"");
    let program = program_or_return!(inner, p);
    let s = lock(&program.state);
    match &s.service {
        None => tp_error(60008, "支付服务不存在"),
        Some(v) => ok(json!({"status": v.audit.service_code(), "fail_reason": v.reason})),
    }
}

pub(crate) async fn update_service(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), &body);
    let program = program_or_return!(inner, p);
    if let Some(why) = missing(&p, &["app_name", "service_phone", "pool_cash_pledge"]) {
        return tp_error(60000, &why);
    }
    let mut s = lock(&program.state);
    match s.service.as_mut() {
        None => tp_error(60008, "支付服务不存在"),
        Some(v) if v.audit == Audit::Pending => tp_error(60019, "支付服务审核中,无法再次修改"),
        Some(v) => {
            v.fields
                .extend(keep(&p, &["app_name", "service_phone", "pool_cash_pledge"]));
            ok(Value::Null)
        }
    }
}

pub(crate) async fn update_bound_service(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), &body);
    let program = program_or_return!(inner, p);
    if let Some(r) = check_service(&p) {
        return r;
    }
    submit(
        &inner,
        &program,
        Step::PaymentService,
        keep(&p, &SERVICE_FIELDS),
        |s| match s.service.as_ref().map(|v| v.audit) {
            None => Some(tp_error(60008, "支付服务不存在")),
            Some(Audit::Pending) => Some(tp_error(60019, "支付服务审核中,无法再次修改")),
            Some(_) => None,
        },
    )
}

pub(crate) async fn bound_service(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), b"");
    let program = program_or_return!(inner, p);
    let s = lock(&program.state);
    let Some(v) = &s.service else {
        return tp_error(60008, "支付服务不存在");
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

/// The TP order list: the cashier orders of the mini program's payment service, newest first,
/// filtered by status and creation time, one page.
pub(crate) async fn order_list(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), b"");
    let program = program_or_return!(inner, p);
    let n = |k: &str| p.get(k).and_then(|v| v.parse::<u64>().ok());
    let (Some(start), Some(end), Some(page), Some(size)) = (
        n("start_time"),
        n("end_time"),
        n("current_page"),
        n("page_size"),
    ) else {
        return tp_error(
            60000,
            "参数错误: start_time, end_time, current_page, page_size",
        );
    };
    if page == 0 || size == 0 || end < start {
        return tp_error(60000, "参数错误: 分页或时间范围不合法");
    }
    let status_filter = p.get("status").cloned().unwrap_or_else(|| "all".into());
    let app_key = lock(&program.state).pm_app_key.clone();
    let Some(m) = app_key.and_then(|k| inner.merchant(&k)) else {
        return tp_error(60008, "支付服务不存在");
    };
    let book = lock(&m.book);
    let sub_status = |o: &book::Order| -> u64 {
        let refunds: Vec<&book::Refund> = book
            .refunds()
            .iter()
            .filter(|r| r.order_id == o.order_id)
            .collect();
        if refunds.iter().any(|r| r.status == book::REFUNDING) {
            4
        } else if refunds.iter().any(|r| r.status == book::REFUNDED) {
            5
        } else if refunds.iter().any(|r| r.status == book::REFUND_FAILED) {
            6
        } else {
            match o.status {
                book::CLOSED => 7,
                book::PAID if o.consumed => 3,
                book::PAID => 2,
                _ => 1,
            }
        }
    };
    let mut matching: Vec<(&book::Order, u64)> = book
        .orders()
        .iter()
        .filter(|o| {
            let t = u64::try_from(o.create_time).unwrap_or(0);
            t >= start && t <= end
        })
        .map(|o| (o, sub_status(o)))
        .filter(|(_, s)| status_filter == "all" || status_filter == s.to_string())
        .collect();
    matching.reverse();
    let total = u64::try_from(matching.len()).unwrap_or(u64::MAX);
    let skip = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let take = usize::try_from(size).unwrap_or(usize::MAX);
    let refunded = |o: &book::Order| -> u64 {
        book.refunds()
            .iter()
            .filter(|r| r.order_id == o.order_id && r.status == book::REFUNDED)
            .map(|r| r.amount)
            .sum()
    };
    let list: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(take)
        .map(|(o, s)| {
            json!({
                "id": o.order_id.to_string(),
                "deal_id": o.deal_id.to_string(),
                "deal_title": "",
                "order_id": o.order_id.to_string(),
                "tp_order_id": o.tp_order_id,
                "phone": "",
                "create_time": beijing_time(o.create_time),
                "update_time": beijing_time(o.pay_time.unwrap_or(o.create_time)),
                "sub_status": s.to_string(),
                "total_money": o.total.to_string(),
                "pay_money": if o.status == book::PAID { o.total } else { 0 }.to_string(),
                "segment_refunded_money": refunded(o).to_string(),
                "channel": "sandbox",
            })
        })
        .collect();
    ok(json!({
        "total_money": matching.iter().map(|(o, _)| o.total).sum::<u64>().to_string(),
        "current_page": page,
        "page_size": size,
        "total_count": total,
        "total_page": total.div_ceil(size),
        "data": list,
    }))
}

// --- finance ----------------------------------------------------------------------------------

/// The merchant of the mini program's opened payment service.
fn service_merchant(inner: &Inner, program: &Program) -> Result<Arc<Merchant>, Box<Response>> {
    let app_key = lock(&program.state).pm_app_key.clone();
    app_key
        .and_then(|k| inner.merchant(&k))
        .ok_or_else(|| Box::new(tp_error(60008, "支付服务不存在")))
}

/// One money movement of the mini program: `(day, unix time, fen (negative for refunds),
/// order id, tp order id, is_refund)`.
type Movement = (String, i64, i64, u64, String, bool);

fn movements(m: &Merchant) -> Vec<Movement> {
    let book = lock(&m.book);
    let mut out: Vec<Movement> = book
        .orders()
        .iter()
        .filter_map(|o| {
            let t = o.pay_time?;
            Some((
                beijing_date(t),
                t,
                i64::try_from(o.total).unwrap_or(i64::MAX),
                o.order_id,
                o.tp_order_id.clone(),
                false,
            ))
        })
        .collect();
    out.extend(
        book.refunds()
            .iter()
            .filter(|r| r.status == book::REFUNDED)
            .map(|r| {
                (
                    beijing_date(r.time),
                    r.time,
                    -i64::try_from(r.amount).unwrap_or(i64::MAX),
                    r.order_id,
                    r.tp_order_id.clone(),
                    true,
                )
            }),
    );
    out.sort_by_key(|m| m.1);
    out
}

struct Paging {
    page: u64,
    size: u64,
    start: String,
    end: String,
}

fn paging(p: &HashMap<String, String>, single_day: bool) -> Result<Paging, Box<Response>> {
    let n = |k: &str| {
        p.get(k)
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|v| *v > 0)
    };
    let date = |k: &str| {
        p.get(k)
            .filter(|d| baidupay_model::cashier::Date::parse(d).is_ok())
            .cloned()
    };
    let start = date("start_time");
    let end = if single_day {
        start.clone()
    } else {
        date("end_time")
    };
    match (n("current_page"), n("page_size"), start, end) {
        (Some(page), Some(size), Some(start), Some(end)) if start <= end => Ok(Paging {
            page,
            size,
            start,
            end,
        }),
        _ => Err(Box::new(tp_error(
            60000,
            "参数错误: current_page, page_size (从 1 起), start_time / end_time (yyyy-MM-dd)",
        ))),
    }
}

fn page_of<T: Clone>(items: &[T], pg: &Paging) -> Vec<T> {
    let skip = usize::try_from((pg.page - 1).saturating_mul(pg.size)).unwrap_or(usize::MAX);
    let take = usize::try_from(pg.size).unwrap_or(usize::MAX);
    items.iter().skip(skip).take(take).cloned().collect()
}

macro_rules! or_return {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return *r,
        }
    };
}

/// 支付收入列表: income per day (paid orders less refunds), days with movements only.
pub(crate) async fn finance_balance(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), b"");
    let program = program_or_return!(inner, p);
    let pg = or_return!(paging(&p, false));
    let m = or_return!(service_merchant(&inner, &program));
    let mut days: Vec<(String, i64)> = Vec::new();
    for (day, _, fen, ..) in movements(&m)
        .into_iter()
        .filter(|mv| mv.0 >= pg.start && mv.0 <= pg.end)
    {
        match days.last_mut() {
            Some((d, sum)) if *d == day => *sum += fen,
            _ => days.push((day, fen)),
        }
    }
    let total: i64 = days.iter().map(|d| d.1).sum();
    let period = lock(&program.state).service.as_ref().and_then(|s| {
        s.fields
            .get("payment_days")
            .and_then(|v| v.parse::<u64>().ok())
    });
    let data: Vec<Value> = page_of(&days, &pg)
        .into_iter()
        .map(|(day, fen)| {
            json!({"income": signed_yuan(fen), "operate_time": day,
                   "adjust_amount": "0.00", "others": "0.00"})
        })
        .collect();
    ok(json!({
        "income": signed_yuan(total),
        "period": period,
        "data": data,
        "adjustment": "0.00",
        "free_balance": signed_yuan(total),
        "payment_due": period.map(|d| format!("T+{d}")),
        "others": "0.00",
        "page_size": pg.size,
        "total_count": days.len(),
        "current_page": pg.page,
    }))
}

/// 支付收入货款列表: one day's payments and refunds.
pub(crate) async fn income_detail(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), b"");
    let program = program_or_return!(inner, p);
    let pg = or_return!(paging(&p, true));
    let m = or_return!(service_merchant(&inner, &program));
    let items: Vec<Movement> = movements(&m)
        .into_iter()
        .filter(|mv| mv.0 == pg.start)
        .collect();
    let income: i64 = items.iter().filter(|i| !i.5).map(|i| i.2).sum();
    let refunds: i64 = items.iter().filter(|i| i.5).map(|i| i.2).sum();
    let data: Vec<Value> = page_of(&items, &pg)
        .into_iter()
        .map(|(_, t, fen, order_id, tp_order_id, refund)| {
            json!({
                "opt_type": if refund { "退款" } else { "收入" },
                "money": signed_yuan(fen),
                "order_id": order_id,
                "operate_time": beijing_time(t),
                "third_order_id": tp_order_id,
            })
        })
        .collect();
    ok(json!({
        "income": signed_yuan(income + refunds),
        "quantity": items.len(),
        "data": data,
        "operate_time": pg.start,
        "income_amount": signed_yuan(income),
        "refund_amount": signed_yuan(refunds),
        "page_size": pg.size,
        "total_count": items.len(),
        "current_page": pg.page,
    }))
}

/// 支付收入其他款项列表: the sandbox makes no adjustments or subsidies, so the list is empty
/// (with the period asked for).
pub(crate) async fn other_detail(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), b"");
    let program = program_or_return!(inner, p);
    let pg = or_return!(paging(&p, false));
    let _m = or_return!(service_merchant(&inner, &program));
    ok(json!({
        "total_amount": "0.00",
        "order_amount": "0.00",
        "data": [],
        "rule_type": "",
        "settlement_start_time": pg.start,
        "settlement_end_time": pg.end,
        "total_count": 0,
    }))
}

/// 支出列表: the sandbox pays nothing out (no settlement runs), so the list is empty.
pub(crate) async fn expenses(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), b"");
    let program = program_or_return!(inner, p);
    let _pg = or_return!(paging(&p, false));
    let _m = or_return!(service_merchant(&inner, &program));
    ok(json!({"expense_count": 0, "data": [], "expense_money": "0.00", "total_count": 0}))
}

/// 支付打款详情: no payout exists in the sandbox, so every `task_id` is unknown.
pub(crate) async fn pay_detail(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), b"");
    let program = program_or_return!(inner, p);
    let _m = or_return!(service_merchant(&inner, &program));
    if p.get("task_id")
        .and_then(|t| t.parse::<u64>().ok())
        .is_none()
    {
        return tp_error(60000, "参数错误: task_id");
    }
    tp_error(60021, "未获取到有效数据")
}
