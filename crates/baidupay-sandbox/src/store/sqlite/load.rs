//! Loading a `--db` file into the sandbox's state.

use super::*;

/// A value the database holds that this sandbox does not know.
fn unknown(column: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, what.into())
}

/// A stored ticket: both columns or neither.
fn stored_ticket(value: Option<String>, at: Option<i64>) -> Option<(Secret, i64)> {
    value.zip(at).map(|(v, at)| (Secret::new(v), at))
}

/// Loads the TP and Alipay state and the owed callbacks (schema version 2) into `out`.
#[allow(clippy::too_many_lines)] // one query per table
fn load_v2(conn: &Connection, out: &mut Loaded) -> rusqlite::Result<()> {
    let mut st = conn.prepare(
        "SELECT client_id, tp_app_id, token, aes_key, auth_event_url, event_url \
         FROM tp_platforms ORDER BY rowid",
    )?;
    out.platforms = st
        .query_map([], |r| {
            Ok(PlatformRow {
                client_id: r.get(0)?,
                tp_app_id: uint(r.get(1)?),
                token: Secret::new(r.get::<_, String>(2)?),
                aes_key: Secret::new(r.get::<_, String>(3)?),
                auth_event_url: r.get(4)?,
                event_url: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT client_id, latest, latest_issued, previous, previous_issued, pushed \
         FROM tp_tickets",
    )?;
    out.tickets = st
        .query_map([], |r| {
            Ok(TicketsRow {
                client_id: r.get(0)?,
                latest: stored_ticket(r.get(1)?, r.get(2)?),
                previous: stored_ticket(r.get(3)?, r.get(4)?),
                pushed: uint(r.get(5)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT value, kind, client_id, expires_at, used FROM tp_issued")?;
    out.issued = st
        .query_map([], |r| {
            let kind: String = r.get(1)?;
            let kind = [IssuedKind::TpToken, IssuedKind::PreAuthCode]
                .into_iter()
                .find(|k| k.name() == kind)
                .ok_or_else(|| unknown(1, format!("unknown issued kind {kind:?}")))?;
            Ok(IssuedRow {
                kind,
                value: Secret::new(r.get::<_, String>(0)?),
                client_id: r.get(2)?,
                expires_at: r.get(3)?,
                used: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT code, client_id, app_id, expires_at, used FROM tp_codes")?;
    out.codes = st
        .query_map([], |r| {
            Ok(CodeRow {
                code: Secret::new(r.get::<_, String>(0)?),
                client_id: r.get(1)?,
                app_id: uint(r.get(2)?),
                expires_at: r.get(3)?,
                used: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT token, client_id, app_id, state FROM tp_refresh_tokens")?;
    out.refresh_tokens = st
        .query_map([], |r| {
            Ok(RefreshRow {
                token: Secret::new(r.get::<_, String>(0)?),
                client_id: r.get(1)?,
                app_id: uint(r.get(2)?),
                state: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st =
        conn.prepare("SELECT app_id, code_exchanges, refreshes, refresh_reuses FROM tp_counts")?;
    out.counts = st
        .query_map([], |r| {
            Ok((
                uint(r.get(0)?),
                Counts {
                    code_exchanges: uint(r.get(1)?),
                    refreshes: uint(r.get(2)?),
                    refresh_reuses: uint(r.get(3)?),
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT app_id, tp_app_id, event_url, client_id, token, token_expires_at, onboarding \
         FROM tp_programs ORDER BY app_id",
    )?;
    out.programs = st
        .query_map([], |r| {
            Ok(ProgramRow {
                app_id: uint(r.get(0)?),
                tp_app_id: uint(r.get(1)?),
                event_url: r.get(2)?,
                client_id: r.get(3)?,
                token: Secret::new(r.get::<_, String>(4)?),
                token_expires_at: r.get(5)?,
                onboarding: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT id, kind, key, url, body FROM owed_callbacks ORDER BY id")?;
    out.owed = st
        .query_map([], |r| {
            let name: String = r.get(1)?;
            let kind = CallbackKind::parse(&name)
                .ok_or_else(|| unknown(1, format!("unknown callback kind {name:?}")))?;
            Ok(OwedRow {
                id: uint(r.get(0)?),
                kind,
                key: r.get(2)?,
                url: r.get(3)?,
                body: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT app_id, public_key, notify_url, seller_id, charset FROM alipay_apps \
         ORDER BY rowid",
    )?;
    out.alipay_apps = st
        .query_map([], |r| {
            Ok(AlipayAppRow {
                app_id: r.get(0)?,
                public_key: r.get(1)?,
                notify_url: r.get(2)?,
                seller_id: r.get(3)?,
                charset: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT trade_no, out_request_no, amount, reason, time FROM alipay_refunds \
         ORDER BY time, rowid",
    )?;
    let mut refunds: std::collections::HashMap<String, Vec<AliRefund>> =
        std::collections::HashMap::new();
    for row in st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            AliRefund {
                out_request_no: r.get(1)?,
                amount: uint(r.get(2)?),
                reason: r.get(3)?,
                time: r.get(4)?,
            },
        ))
    })? {
        let (trade_no, refund) = row?;
        refunds.entry(trade_no).or_default().push(refund);
    }
    let mut st = conn.prepare(
        "SELECT app_id, trade_no, out_trade_no, total, subject, body, buyer_id, \
         buyer_open_id, passback_params, notify_url, status, created, paid \
         FROM alipay_trades ORDER BY rowid",
    )?;
    out.trades = st
        .query_map([], |r| {
            let status: String = r.get(10)?;
            let status = Status::parse(&status)
                .ok_or_else(|| unknown(10, format!("unknown trade status {status:?}")))?;
            let trade_no: String = r.get(1)?;
            Ok((
                r.get(0)?,
                Trade {
                    refunds: refunds.remove(&trade_no).unwrap_or_default(),
                    trade_no,
                    out_trade_no: r.get(2)?,
                    total: uint(r.get(3)?),
                    subject: r.get(4)?,
                    body: r.get(5)?,
                    buyer_id: r.get(6)?,
                    buyer_open_id: r.get(7)?,
                    passback_params: r.get(8)?,
                    notify_url: r.get(9)?,
                    status,
                    created: r.get(11)?,
                    paid: r.get(12)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT id, content FROM alipay_bills")?;
    out.alipay_bills = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(())
}

pub(super) fn load(conn: &Connection) -> rusqlite::Result<Loaded> {
    let mut out = Loaded::default();
    let mut st = conn.prepare(
        "SELECT app_key, deal_id, app_id, client_id, client_secret, public_key, notify_url, \
         refund_audit_url, refund_notify_url, commission_per_mille, day_refund_cap, \
         payout_reserve, paid_out FROM merchants ORDER BY rowid",
    )?;
    out.merchants = st
        .query_map([], |r| {
            Ok(MerchantRow {
                app_key: r.get(0)?,
                deal_id: uint(r.get(1)?),
                app_id: uint(r.get(2)?),
                client_id: r.get(3)?,
                client_secret: Secret::new(r.get::<_, String>(4)?),
                public_key: r.get(5)?,
                notify_url: r.get(6)?,
                refund_audit_url: r.get(7)?,
                refund_notify_url: r.get(8)?,
                settings: Settings {
                    commission_per_mille: uint(r.get(9)?),
                    day_refund_cap: r.get::<_, Option<i64>>(10)?.map(uint),
                    payout_reserve: r.get::<_, Option<i64>>(11)?.map(uint),
                },
                paid_out: uint(r.get(12)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT app_key, order_id, user_id, tp_order_id, deal_id, total, status, consumed, \
         error_order, create_time, pay_time, biz_info, return_data, commission, locked, \
         credited, withdrawn FROM orders ORDER BY order_id",
    )?;
    out.orders = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                Order {
                    order_id: uint(r.get(1)?),
                    user_id: uint(r.get(2)?),
                    tp_order_id: r.get(3)?,
                    deal_id: uint(r.get(4)?),
                    total: uint(r.get(5)?),
                    status: r.get(6)?,
                    consumed: r.get(7)?,
                    error_order: r.get(8)?,
                    create_time: r.get(9)?,
                    pay_time: r.get(10)?,
                    biz_info: r.get(11)?,
                    return_data: r.get(12)?,
                    commission: uint(r.get(13)?),
                    locked: r.get(14)?,
                    credited: r.get(15)?,
                    withdrawn: uint(r.get(16)?),
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT app_key, refund_batch_id, biz_refund_batch_id, order_id, user_id, tp_order_id, \
         apply, amount, status, time, skip_audit, notify_url, drawn FROM refunds \
         ORDER BY refund_batch_id",
    )?;
    out.refunds = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                Refund {
                    refund_batch_id: uint(r.get(1)?),
                    biz_refund_batch_id: r.get(2)?,
                    order_id: uint(r.get(3)?),
                    user_id: uint(r.get(4)?),
                    tp_order_id: r.get(5)?,
                    apply: uint(r.get(6)?),
                    amount: uint(r.get(7)?),
                    status: r.get(8)?,
                    time: r.get(9)?,
                    skip_audit: r.get(10)?,
                    notify_url: r.get(11)?,
                    drawn: uint(r.get(12)?),
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT token, app_keys, expires_at FROM tokens")?;
    out.tokens = st
        .query_map([], |r| {
            let keys: String = r.get(1)?;
            Ok(TokenRow {
                token: Secret::new(r.get::<_, String>(0)?),
                app_keys: keys.split(' ').map(str::to_owned).collect(),
                expires_at: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare(
        "SELECT id, kind, app_key, url, body, attempt, status, response, acknowledged, reason \
         FROM deliveries ORDER BY id",
    )?;
    out.deliveries = st
        .query_map([], |r| {
            let name: String = r.get(1)?;
            let kind = CallbackKind::parse(&name).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    1,
                    rusqlite::types::Type::Text,
                    format!("unknown callback kind {name:?}").into(),
                )
            })?;
            Ok(Delivery {
                id: uint(r.get(0)?),
                kind,
                app_key: r.get(2)?,
                url: r.get(3)?,
                body: r.get(4)?,
                attempt: r.get(5)?,
                status: r.get(6)?,
                response: r.get(7)?,
                acknowledged: r.get(8)?,
                reason: r.get(9)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT id, content FROM bills")?;
    out.bills = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    load_v2(conn, &mut out)?;
    Ok(out)
}
