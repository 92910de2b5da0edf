//! `baidupay check-order`: the checklist behind the cashier's "errCode:6 请求签名错误".

use std::path::PathBuf;

use baidupay_cashier::check_order_info;
use clap::Args;

use crate::error::{CliError, CliResult};
use crate::keys::{load_public_key, read_file};

#[derive(Debug, Args)]
pub(crate) struct CheckOrderArgs {
    /// The merchant public key (the one uploaded to Baidu), any format.
    #[arg(long)]
    pubkey: PathBuf,
    /// The orderInfo JSON object as the mini program passes it (`-` for standard input).
    #[arg(long)]
    order_info: PathBuf,
}

pub(crate) fn check_order(args: &CheckOrderArgs) -> CliResult {
    let key = load_public_key(&args.pubkey)?;
    let text = read_file(&args.order_info, "orderInfo file")?;
    let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
        CliError::input(format!(
            "orderInfo file {} is not JSON: {e}",
            args.order_info.display()
        ))
    })?;
    let checks = check_order_info(&value, &key);
    let mut failed = 0;
    for c in &checks {
        if c.ok {
            println!("ok    {}", c.name);
        } else {
            failed += 1;
            println!("FAIL  {}: {} (fix: {})", c.name, c.detail, c.fix);
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(CliError::Invalid(format!(
            "{failed} of {} checks failed",
            checks.len()
        )))
    }
}

#[derive(Debug, Args)]
pub(crate) struct OrderArgs {
    /// The config file (else BAIDUPAY_CONFIG, else ./baidupay.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The merchant order id.
    #[arg(long)]
    tp_order_id: String,
    /// The amount in fen.
    #[arg(long)]
    amount: String,
    /// The order title (dealTitle).
    #[arg(long)]
    title: String,
    /// Pass-through data (a JSON value) echoed in the payment notify.
    #[arg(long)]
    return_data: Option<String>,
}

pub(crate) fn order(args: &OrderArgs) -> CliResult {
    use baidupay_model::{AppKey, DealId, Fen, TpOrderId};
    let config = crate::config::Config::load(args.config.as_deref())?;
    let b = &config.baidu;
    let bad = |what: &str, e: &dyn std::error::Error| {
        CliError::input(format!("{what}: {}", crate::error::chain(e)))
    };
    let app_key = AppKey::new(crate::config::required(
        b.app_key.clone(),
        "baidu",
        "app_key",
    )?)
    .map_err(|e| bad("config app_key", &e))?;
    let deal_id: DealId = crate::config::required(b.deal_id.clone(), "baidu", "deal_id")?
        .parse()
        .map_err(|e| bad("config deal_id", &e))?;
    let key =
        crate::config::required(config.baidu_private_key(), "baidu", "private_key")?.load()?;
    let tp_order_id =
        TpOrderId::new(args.tp_order_id.clone()).map_err(|e| bad("--tp-order-id", &e))?;
    let amount: Fen = args.amount.parse().map_err(|e| bad("--amount (fen)", &e))?;
    let client = baidupay_cashier::CashierClient::new(
        baidupay_cashier::CashierConfig::new(app_key, deal_id, key),
        std::sync::Arc::new(baidupay_transport_stub()),
        std::sync::Arc::new(baidupay_cashier::StaticToken(baidupay_model::Secret::new(
            "",
        ))),
    );
    let mut draft = client
        .order_info_draft(tp_order_id, amount, args.title.clone())
        .map_err(|e| bad("order", &e))?;
    if let Some(rd) = &args.return_data {
        let v: serde_json::Value =
            serde_json::from_str(rd).map_err(|e| bad("--return-data is not JSON", &e))?;
        draft = draft.return_data(v);
    }
    let info = client
        .sign_order_info(draft)
        .map_err(|e| bad("signing", &e))?;
    let json = serde_json::to_string(&info).map_err(|e| bad("output", &e))?;
    println!("{json}");
    Ok(())
}

/// `order` never sends anything: an empty scripted transport.
fn baidupay_transport_stub() -> baidupay_transport::replay::ReplayTransport {
    baidupay_transport::replay::ReplayTransport::default()
}
