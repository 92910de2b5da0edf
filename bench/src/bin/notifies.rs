//! `notifies`: distinct, signed Baidu payment notifies for the ledger runs of `bench load`.
//!
//! `notifies --count N --out DIR` generates a 1024-bit "platform" key pair and writes
//! `DIR/platform_public.pem` (what the merchant verifies with), `DIR/bodies.form` (one
//! form-encoded payment notify per line, each for its own order and Baidu order id) and
//! `DIR/orders.txt` (`TP_ORDER_ID=FEN` per line, for `merchant --orders`).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use baidupay_crypto::{Algorithm, PrivateKey, Rules, Signer, form};

fn main() -> anyhow::Result<()> {
    let (mut count, mut out) = (10_000usize, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().with_context(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--count" => count = v.parse()?,
            "--out" => out = Some(PathBuf::from(v)),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let out = out.context("--out is required")?;
    std::fs::create_dir_all(&out).with_context(|| out.display().to_string())?;
    let key = PrivateKey::generate(1024)?;
    std::fs::write(
        out.join("platform_public.pem"),
        key.public_key().to_spki_pem(),
    )?;
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let per = count.div_ceil(threads);
    let parts: Vec<anyhow::Result<(String, String)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let key = key.clone();
                s.spawn(move || -> anyhow::Result<(String, String)> {
                    let signer = Signer::new(key, Algorithm::RsaSha1);
                    let (mut bodies, mut orders) = (String::new(), String::new());
                    for i in (t * per)..((t + 1) * per).min(count) {
                        let (tp, fen) = (format!("B-{i}"), (100 + i % 1000).to_string());
                        let order_id = (5_000_000_000u64 + u64::try_from(i)?).to_string();
                        let fields = [
                            ("orderId", order_id.as_str()),
                            ("userId", "149235070"),
                            ("tpOrderId", tp.as_str()),
                            ("dealId", "470193086"),
                            ("totalMoney", fen.as_str()),
                            ("payMoney", fen.as_str()),
                            ("status", "2"),
                            ("returnData", ""),
                        ];
                        let (_, sig) = signer.sign_params(Rules::BaiduCallback, fields)?;
                        let mut all = fields.to_vec();
                        all.push(("rsaSign", &sig));
                        bodies.push_str(&form::encode(all));
                        bodies.push('\n');
                        writeln!(orders, "{tp}={fen}")?;
                    }
                    Ok((bodies, orders))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("a signing thread failed"))?
            })
            .collect()
    });
    let (mut bodies, mut orders) = (String::new(), String::new());
    for p in parts {
        let (b, o) = p?;
        bodies.push_str(&b);
        orders.push_str(&o);
    }
    std::fs::write(out.join("bodies.form"), bodies)?;
    std::fs::write(out.join("orders.txt"), orders)?;
    println!("{count} notifies in {}", out.display());
    Ok(())
}
