//! `merchant`: run the example callback server.
//!
//! ```text
//! merchant --listen 127.0.0.1:8080 --baidu-key platform_public.pem --alipay-key alipay_public.pem \
//!          [--database-url sqlite://merchant.db | postgres://user@host/db | memory://] \
//!          [--orders-token TOKEN] [--alipay-app-id 2021000122671080] [--order TP_ORDER_ID=FEN ...] \
//!          [--orders FILE]
//! merchant --database-url URL --export-ledger      # print the ledger CSV and exit
//! ```
//!
//! `--database-url` defaults to `DATABASE_URL`, else `sqlite://merchant.db` (created on first
//! start). `--orders-token` defaults to `MERCHANT_ORDERS_TOKEN`; without one, `POST /orders` and
//! `GET /ledger.csv` are refused. `--order` creates an order at start (`--orders FILE`: one
//! `TP_ORDER_ID=FEN` per line); an order that exists with the same amount is left as it is, so
//! several instances can start with the same flags; one with another amount stops the start.
//! `MERCHANT_THREADS=N` sets the number of runtime worker threads (default: one per core).

use anyhow::{Context, bail};
use baidupay_crypto::PublicKey;
use baidupay_example_merchant::{App, OrderCreated, router, store};
use baidupay_model::{Fen, TpOrderId};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};

/// The ledger when neither `--database-url` nor `DATABASE_URL` names one.
const DEFAULT_DATABASE_URL: &str = "sqlite://merchant.db";

fn main() -> anyhow::Result<()> {
    let mut listen = "127.0.0.1:8080".to_owned();
    let (mut baidu_key, mut alipay_key, mut app_id) =
        (None, None, String::from("2021000122671080"));
    let mut database_url = std::env::var("DATABASE_URL").ok();
    let mut token = std::env::var("MERCHANT_ORDERS_TOKEN").ok();
    let mut export = false;
    let mut orders = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--listen" => listen = value()?,
            "--baidu-key" => baidu_key = Some(value()?),
            "--alipay-key" => alipay_key = Some(value()?),
            "--alipay-app-id" => app_id = value()?,
            "--database-url" => database_url = Some(value()?),
            "--orders-token" => token = Some(value()?),
            "--export-ledger" => export = true,
            "--order" => orders.push(order_arg(&value()?)?),
            "--orders" => {
                let file = value()?;
                let text =
                    std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
                for (n, line) in text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                {
                    orders
                        .push(order_arg(line.trim()).with_context(|| format!("{file}:{}", n + 1))?);
                }
            }
            other => bail!("unknown argument {other} (see the source header for usage)"),
        }
    }
    let database_url = database_url.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
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
        let ledger = store::open(&database_url)
            .await
            .with_context(|| format!("opening the ledger {}", redact(&database_url)))?;
        let mut app = App::with_store(app_id, ledger);
        if export {
            print!("{}", app.ledger_csv().await?);
            return Ok(());
        }
        let load = |p: Option<String>, what: &str| -> anyhow::Result<PublicKey> {
            let p = p.with_context(|| format!("--{what}-key is required"))?;
            Ok(PublicKey::parse(
                std::fs::read(&p).with_context(|| format!("reading {p}"))?,
            )?)
        };
        let baidu = BaiduNotifier::new(load(baidu_key, "baidu")?);
        let alipay = AlipayNotifier::new(load(alipay_key, "alipay")?);
        if let Some(token) = token {
            app = app.with_orders_token(token);
        }
        create_orders(&app, &orders).await?;
        eprintln!("ledger: {}", redact(&database_url));
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        println!("listening on http://{}", listener.local_addr()?);
        serve(listener, router(app, baidu, alipay)).await
    })
}

/// `TP_ORDER_ID=FEN`.
fn order_arg(v: &str) -> anyhow::Result<(TpOrderId, Fen)> {
    let (id, fen) = v.split_once('=').context("--order takes TP_ORDER_ID=FEN")?;
    let fen = fen.parse::<Fen>()?;
    if fen == Fen::ZERO {
        bail!("order {id}: the amount must be at least 1 fen");
    }
    Ok((TpOrderId::new(id)?, fen))
}

/// Creates the orders given at start, a thousand per transaction; an order that exists with
/// the same amount is left as it is, one with another amount is an error.
async fn create_orders(app: &App, orders: &[(TpOrderId, Fen)]) -> anyhow::Result<()> {
    for chunk in orders.chunks(1000) {
        let created = app
            .store()
            .create_orders(chunk)
            .await
            .context("creating the orders given at start")?;
        for ((id, fen), c) in chunk.iter().zip(created) {
            if let OrderCreated::Conflict { existing } = c {
                bail!("order {id} exists with {existing} fen, not {fen}");
            }
        }
    }
    Ok(())
}

/// Serves `router` on `listener` until Ctrl-C, with read timeouts and a connection cap sized
/// for the platforms' 2 s budget (`baidupay_notify::axum::serve`, not `axum::serve`).
async fn serve(listener: tokio::net::TcpListener, router: axum::Router) -> anyhow::Result<()> {
    let limits = baidupay_notify::axum::ServerLimits::default();
    baidupay_notify::axum::serve(listener, router, limits)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    Ok(())
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:[redacted]{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
