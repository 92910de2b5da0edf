//! The checklist behind the cashier's "errCode:6 请求签名错误" (seed 000 FAQ), as automatic checks
//! with a fix for each: what `baidupay check-order` prints and what a simulator answers.

use baidupay_crypto::{Algorithm, PublicKey, Rules, Verifier};
use serde_json::Value;

/// One item of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderCheck {
    /// What is checked.
    pub name: &'static str,
    /// Whether it holds.
    pub ok: bool,
    /// What was found (on failure: what is wrong).
    pub detail: String,
    /// How to fix it (shown on failure).
    pub fix: &'static str,
}

const SIGNED: [&str; 4] = ["appKey", "dealId", "totalAmount", "tpOrderId"];

/// The text of a JSON string or number (`"11300"` and `11300` both give `11300`).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Runs every check on an `orderInfo` JSON value against the merchant public key (the one
/// uploaded to Baidu). All checks run; each says what it found.
pub fn check_order_info(order_info: &Value, merchant_key: &PublicKey) -> Vec<OrderCheck> {
    let mut out = Vec::new();
    let mut push = |name, ok, detail: String, fix| {
        out.push(OrderCheck {
            name,
            ok,
            detail,
            fix,
        });
    };
    let Some(obj) = order_info.as_object() else {
        push(
            "orderInfo is a JSON object",
            false,
            format!("found {}", kind(order_info)),
            "pass the orderInfo object itself to swan.requestPolymerPayment, not a string or array",
        );
        return out;
    };
    push("orderInfo is a JSON object", true, String::new(), "");

    // the four signed fields
    let mut fields = Vec::new();
    let mut missing = Vec::new();
    for f in SIGNED {
        match obj.get(f).and_then(text).filter(|v| !v.is_empty()) {
            Some(v) => fields.push((f, v)),
            None => missing.push(f),
        }
    }
    push(
        "appKey, dealId, totalAmount, tpOrderId are present",
        missing.is_empty(),
        if missing.is_empty() {
            String::new()
        } else {
            format!("missing or empty: {}", missing.join(", "))
        },
        "fill every signed field (strings or numbers)",
    );

    // the values' form (FAQ item 3: "按照要求填写正确")
    let mut wrong = Vec::new();
    for (f, v) in &fields {
        let ok = match *f {
            "totalAmount" => v.parse::<baidupay_model::Fen>().is_ok_and(|a| !a.is_zero()),
            "dealId" => v.parse::<baidupay_model::DealId>().is_ok(),
            "appKey" => baidupay_model::AppKey::new(v.as_str()).is_ok(),
            _ => baidupay_model::TpOrderId::new(v.as_str()).is_ok(),
        };
        if !ok {
            wrong.push(format!("{f}={v:?}"));
        }
    }
    push(
        "the signed fields have the documented form",
        wrong.is_empty(),
        wrong.join(", "),
        "totalAmount in integer fen (11300, not 113.00), dealId digits, appKey letters and digits, tpOrderId without spaces, & or =",
    );

    // bizInfo
    let biz = obj.get("bizInfo");
    let tp_data = match biz {
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(v) if v.is_object() => {
                let tp = v.get("tpData").cloned();
                push(
                    "bizInfo is a string holding a JSON object",
                    true,
                    String::new(),
                    "",
                );
                tp
            }
            Ok(v) => {
                push(
                    "bizInfo is a string holding a JSON object",
                    false,
                    format!("the string holds {}", kind(&v)),
                    "bizInfo must be JSON.stringify({tpData: {...}})",
                );
                None
            }
            Err(e) => {
                push(
                    "bizInfo is a string holding a JSON object",
                    false,
                    format!("the string is not JSON: {e}"),
                    "bizInfo must be JSON.stringify({tpData: {...}})",
                );
                None
            }
        },
        Some(other) => {
            push(
                "bizInfo is a string holding a JSON object",
                false,
                format!("bizInfo is {}, not a string", kind(other)),
                "serialize bizInfo to a string (JSON.stringify); the cashier rejects an object",
            );
            None
        }
        None => {
            push(
                "bizInfo is a string holding a JSON object",
                false,
                "bizInfo is missing".into(),
                "add bizInfo: a string holding {\"tpData\":{...}}",
            );
            None
        }
    };

    // tpData agrees with the signed fields
    match tp_data.as_ref().and_then(Value::as_object) {
        Some(tp) => {
            let mut diffs = Vec::new();
            for (f, v) in &fields {
                match tp.get(*f).and_then(text) {
                    Some(t) if &t == v => {}
                    Some(t) => diffs.push(format!("{f}: orderInfo {v} vs tpData {t}")),
                    None => diffs.push(format!("{f}: missing in tpData")),
                }
            }
            push(
                "bizInfo.tpData agrees with the signed fields",
                diffs.is_empty(),
                diffs.join("; "),
                "build tpData from the same appKey, dealId, totalAmount and tpOrderId as orderInfo",
            );
        }
        None => push(
            "bizInfo.tpData agrees with the signed fields",
            false,
            "no tpData object in bizInfo".into(),
            "bizInfo must hold {\"tpData\":{appKey, dealId, tpOrderId, totalAmount, ...}}",
        ),
    }

    // signFieldsRange
    let range = obj.get("signFieldsRange").and_then(text);
    push(
        "signFieldsRange is 1",
        range.as_deref() == Some("1"),
        match &range {
            Some(r) if r == "1" => String::new(),
            Some(r) => format!("signFieldsRange is {r}"),
            None => "signFieldsRange is missing".into(),
        },
        "set signFieldsRange to \"1\" (the signature covers totalAmount)",
    );

    // rsaSign
    let sig = obj
        .get("rsaSign")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let verified = if sig.is_empty() {
        Err("rsaSign is missing".to_owned())
    } else if !missing.is_empty() {
        Err("cannot check: signed fields missing".to_owned())
    } else {
        Verifier::new(merchant_key.clone(), Algorithm::RsaSha1)
            .verify_params(
                Rules::Baidu,
                fields.iter().map(|(k, v)| (*k, v.as_str())),
                sig,
            )
            .map_err(|e| e.to_string())
    };
    push(
        "rsaSign verifies with the merchant public key",
        verified.is_ok(),
        verified.err().unwrap_or_default(),
        "sign appKey=…&dealId=…&totalAmount=…&tpOrderId=… (sorted, raw values) with SHA1withRSA using the private key whose public key is uploaded to Baidu",
    );
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
