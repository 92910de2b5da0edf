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
