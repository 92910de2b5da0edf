//! The Alipay JSAPI steps of `baidupay demo`.

use std::net::SocketAddr;
use std::sync::Arc;

use baidupay_alipay::{AlipayClient, AlipayConfig, Gateway};
use baidupay_crypto::PrivateKey;
use baidupay_model::alipay::{
    Buyer, FundChange, RefundQuery, RefundStatus, TradeCreate, TradeQuery, TradeRef, TradeRefund,
    TradeStatus,
};
use baidupay_model::{AlipayAppId, AlipayUserId, Fen, OutRequestNo, OutTradeNo, TpOrderId, Yuan};
use baidupay_sandbox::{CallbackKind, Sandbox};
use baidupay_transport::HyperTransport;
use serde_json::json;

use super::merchant::{ALIPAY_PATH, Channel, Merchant};
use super::{ALIPAY_APP_ID, Demo, acknowledged, eventually, expect, fail, post_json};
use crate::error::CliError;

const ALIPAY_BUYER: &str = "2088102177846880";

/// The Alipay JSAPI flow: app registration, create, my.tradePay, notify, query, refund; gives
/// back the client (for the bill).
#[allow(clippy::too_many_lines)] // one block per step, in order
pub(super) async fn alipay_steps(
    d: &mut Demo,
    sandbox: &Sandbox,
    app: &Merchant,
    http: &Arc<HyperTransport>,
    base: &str,
    merchant: SocketAddr,
) -> Result<AlipayClient, CliError> {
    let client = d
        .step("Alipay app registration (RSA2 app key)", async {
            let key = expect(PrivateKey::generate(2048), "keygen")?;
            let (status, v) = post_json(
                http,
                &format!("{base}/sandbox/alipay/apps"),
                &json!({
                    "app_id": ALIPAY_APP_ID,
                    "app_public_key": key.public_key().to_spki_pem(),
                    "notify_url": format!("http://{merchant}{ALIPAY_PATH}"),
                }),
            )
            .await?;
            if status != 201 {
                return fail(format!("expected 201, got {status}: {v}"));
            }
            let config = expect(
                AlipayConfig::new(
                    expect(AlipayAppId::new(ALIPAY_APP_ID), "app id")?,
                    key,
                    sandbox.alipay_public_key().clone(),
                ),
                "config",
            )?;
            let config = expect(
                config.gateway(Gateway::Custom(format!("{base}/gateway.do"))),
                "gateway",
            )?;
            Ok((
                AlipayClient::new(config, http.clone()),
                format!("seller {}", v["seller_id"].as_str().unwrap_or("?")),
            ))
        })
        .await?;
    let out = expect(OutTradeNo::new("DEMO-ALI-1"), "id").map_err(|f| CliError::Invalid(f.0))?;
    let by_out = || TradeRef::OutTradeNo(out.clone());
    let trade_no = d
        .step("alipay.trade.create (JSAPI_PAY)", async {
            app.create_order(expect(TpOrderId::new("DEMO-ALI-1"), "id")?, Fen::new(8888));
            let create = expect(
                TradeCreate::new(
                    out.clone(),
                    expect("88.88".parse::<Yuan>(), "amount")?,
                    "demo goods",
                    Buyer::BuyerId(expect(AlipayUserId::new(ALIPAY_BUYER), "buyer")?),
                ),
                "trade",
            )?;
            let r = expect(client.create(&create).await, "alipay.trade.create")?;
            let Some(no) = r.trade_no else {
                return fail("no trade_no in the answer");
            };
            let shown = format!("trade_no {no} (signature verified)");
            Ok((no, shown))
        })
        .await?;
    d.step("my.tradePay (the buyer pays)", async {
        let (status, v) = post_json(
            http,
            &format!("{base}/sandbox/alipay/pay"),
            &json!({"trade_no": trade_no.as_str()}),
        )
        .await?;
        if status != 200 || v["resultCode"] != "9000" {
            return fail(format!("expected resultCode 9000, got {status}: {v}"));
        }
        Ok(((), "resultCode 9000".to_owned()))
    })
    .await?;
    d.step("Alipay notify verified, applied, answered success", async {
        let acked = eventually(|| async { acknowledged(sandbox, CallbackKind::AlipayTrade) }).await;
        if !acked {
            return fail(format!(
                "the notify was not acknowledged: {:?}",
                sandbox
                    .deliveries()
                    .iter()
                    .filter(|x| x.kind == CallbackKind::AlipayTrade)
                    .map(|x| x.reason.clone())
                    .collect::<Vec<_>>()
            ));
        }
        let paid = app
            .paid_by(&expect(TpOrderId::new("DEMO-ALI-1"), "id")?)
            .unwrap_or_default();
        if !paid.contains(trade_no.as_str()) {
            return fail(format!("the merchant's order is {paid}"));
        }
        Ok(((), "TRADE_SUCCESS recorded once".to_owned()))
    })
    .await?;
    d.step("alipay.trade.query", async {
        let q = expect(
            client.query(&TradeQuery::new(by_out())).await,
            "alipay.trade.query",
        )?;
        if q.trade_status != Some(TradeStatus::TradeSuccess) {
            return fail(format!("expected TRADE_SUCCESS, got {:?}", q.trade_status));
        }
        Ok(((), "TRADE_SUCCESS, 88.88".to_owned()))
    })
    .await?;
    d.step("alipay.trade.refund (partial, replayed)", async {
        let refund = TradeRefund::new(
            by_out(),
            expect("10.00".parse::<Yuan>(), "amount")?,
            expect(OutRequestNo::new("DEMO-ALI-1-R1"), "id")?,
        );
        let first = expect(client.refund(&refund).await, "alipay.trade.refund")?;
        let again = expect(client.refund(&refund).await, "alipay.trade.refund again")?;
        if first.fund_change != Some(FundChange::Yes) || again.fund_change != Some(FundChange::No) {
            return fail(format!(
                "expected fund_change Y then N, got {:?} then {:?}",
                first.fund_change, again.fund_change
            ));
        }
        app.record_refund(
            Channel::Alipay,
            "DEMO-ALI-1",
            "DEMO-ALI-1-R1",
            None,
            Fen::new(1000),
        );
        Ok(((), "fund_change Y, then N (same out_request_no)".to_owned()))
    })
    .await?;
    d.step("alipay.trade.fastpay.refund.query", async {
        let q = expect(
            client
                .refund_query(&RefundQuery::new(
                    by_out(),
                    expect(OutRequestNo::new("DEMO-ALI-1-R1"), "id")?,
                ))
                .await,
            "refund query",
        )?;
        if q.refund_status != Some(RefundStatus::RefundSuccess) {
            return fail(format!(
                "expected REFUND_SUCCESS, got {:?}",
                q.refund_status
            ));
        }
        Ok(((), "REFUND_SUCCESS, 10.00".to_owned()))
    })
    .await?;
    Ok(client)
}
