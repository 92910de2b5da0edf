//! `merchant`: run the example callback server.
//!
//! ```text
//! merchant --listen 127.0.0.1:8080 --baidu-key platform_public.pem --alipay-key alipay_public.pem \
//!          [--alipay-app-id 2021000122671080] [--order TP_ORDER_ID=FEN ...]
//! ```
//!
//! `MERCHANT_THREADS=N` sets the number of runtime worker threads (default: one per core).

use anyhow::{Context, bail};
use baidupay_crypto::PublicKey;
use baidupay_example_merchant::{App, router};
use baidupay_model::{Fen, TpOrderId};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};

fn main() -> anyhow::Result<()> {
    let mut listen = "127.0.0.1:8080".to_owned();
    let (mut baidu_key, mut alipay_key, mut app_id) =
        (None, None, String::from("2021000122671080"));
    let mut orders = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--listen" => listen = value()?,
            "--baidu-key" => baidu_key = Some(value()?),
            "--alipay-key" => alipay_key = Some(value()?),
            "--alipay-app-id" => app_id = value()?,
            "--order" => {
                let v = value()?;
                let (id, fen) = v.split_once('=').context("--order takes TP_ORDER_ID=FEN")?;
                orders.push((TpOrderId::new(id)?, fen.parse::<Fen>()?));
            }
            other => bail!("unknown argument {other} (see the source header for usage)"),
        }
    }
    let load = |p: Option<String>, what: &str| -> anyhow::Result<PublicKey> {
        let p = p.with_context(|| format!("--{what}-key is required"))?;
        Ok(PublicKey::parse(
            std::fs::read(&p).with_context(|| format!("reading {p}"))?,
        )?)
    };
    let baidu = BaiduNotifier::new(load(baidu_key, "baidu")?);
    let alipay = AlipayNotifier::new(load(alipay_key, "alipay")?);
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Ok(n) = std::env::var("MERCHANT_THREADS") {
        rt.worker_threads(
            n.parse()
                .ok()
                .filter(|&n: &usize| n > 0)
                .context("MERCHANT_THREADS must be a positive number")?,
        );
    }
    let rt = rt.enable_all().build()?;
    rt.block_on(async move {
        let app = App::new(app_id);
        for (id, fen) in orders {
            app.create_order(id, fen).await;
        }
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        println!("listening on http://{}", listener.local_addr()?);
        // read timeouts and a connection cap sized for the platforms' 2 s budget
        let limits = baidupay_notify::axum::ServerLimits::default();
        baidupay_notify::axum::serve(listener, router(app, baidu, alipay), limits)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
        Ok(())
    })
}
