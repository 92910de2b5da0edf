//! A database of its own for each PostgreSQL test, on the server `BAIDUPAY_TEST_POSTGRES_URL`
//! names (the README says how to start one; CI always sets it).

use std::hash::BuildHasher;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use baidupay_tp::store::tokio_postgres::{self, NoTls};

/// The variable that names the test server.
pub const URL_VAR: &str = "BAIDUPAY_TEST_POSTGRES_URL";

/// A database `bp_<random hex>` created for one test, dropped with this value.
#[derive(Debug)]
pub struct TestDb {
    admin_url: String,
    pub name: String,
    pub url: String,
}

/// `url` with its database name replaced by `name` (the query string kept).
pub fn with_dbname(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_at = base.find("://").map_or(0, |i| i + 3);
    let end = base[authority_at..]
        .find('/')
        .map_or(base.len(), |i| authority_at + i);
    let mut out = format!("{}/{name}", &base[..end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A fresh database for `test`, or `None` (after a loud line on stderr) when
/// `BAIDUPAY_TEST_POSTGRES_URL` is not set.
pub async fn database(test: &str) -> Option<TestDb> {
    let Ok(admin_url) = std::env::var(URL_VAR) else {
        // straight to stderr, past the test harness's capture, so that the skip is seen
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {test} needs PostgreSQL: set {URL_VAR} (see README)"
        );
        return None;
    };
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let random = std::collections::hash_map::RandomState::new()
        .hash_one((std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed)));
    let name = format!("bp_{random:016x}");
    let admin = admin(&admin_url).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = with_dbname(&admin_url, &name);
    Some(TestDb {
        admin_url,
        name,
        url,
    })
}

/// A connection to the server's administration database (the one the variable names).
async fn admin(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("{URL_VAR}: cannot connect: {e}"));
    tokio::spawn(connection);
    client
}

impl TestDb {
    /// A plain connection to this test's database (for what the store does not offer).
    pub async fn client(&self) -> tokio_postgres::Client {
        admin(&self.url).await
    }

    /// Ends every session on this database but the caller's, and waits until they are gone.
    pub async fn kill_sessions(&self) {
        let admin = admin(&self.admin_url).await;
        let killed: i64 = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&self.name],
            )
            .await
            .unwrap()
            .get(0);
        assert!(killed > 0, "no session to end");
        for _ in 0..500 {
            let left: i64 = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                    &[&self.name],
                )
                .await
                .unwrap()
                .get(0);
            if left == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the sessions on {} did not end", self.name);
    }
}

impl Drop for TestDb {
    /// Drops the database (ending its sessions), from a thread of its own so that it also runs
    /// when the test panicked; a failure is only printed.
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
            })
            .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!(
                "could not drop the test database {}: {dropped:?}",
                self.name
            );
        }
    }
}

#[test]
fn the_database_name_is_replaced() {
    assert_eq!(
        with_dbname("postgres://postgres@127.0.0.1:54331/postgres", "bp_1"),
        "postgres://postgres@127.0.0.1:54331/bp_1"
    );
    assert_eq!(
        with_dbname("postgres://u:p@h:1/db?sslmode=disable", "bp_1"),
        "postgres://u:p@h:1/bp_1?sslmode=disable"
    );
    assert_eq!(
        with_dbname("postgresql://u@h", "bp_1"),
        "postgresql://u@h/bp_1"
    );
}
