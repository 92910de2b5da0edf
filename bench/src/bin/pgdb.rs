//! `pgdb`: throwaway PostgreSQL databases for the ledger runs of `bench load`.
//!
//! `pgdb create URL` creates a database `bp_bench_<random hex>` through the server at `URL`
//! and prints its URL; `pgdb drop URL NAME` drops it.

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let cmd = args
        .next()
        .context("usage: pgdb create URL | pgdb drop URL NAME")?;
    let url = args.next().context("a server URL is required")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        tokio::spawn(conn);
        match cmd.as_str() {
            "create" => {
                let name = format!("bp_bench_{:016x}", rand::random::<u64>());
                client
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await?;
                println!("{}", baidupay_testkit::pg::with_dbname(&url, &name));
            }
            "drop" => {
                let name = args.next().context("drop needs the database name")?;
                anyhow::ensure!(
                    name.starts_with("bp_bench_")
                        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                    "only databases made by `pgdb create` are dropped"
                );
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
            }
            other => anyhow::bail!("unknown command {other}"),
        }
        anyhow::Ok(())
    })
}
