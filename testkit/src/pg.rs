//! A PostgreSQL database of its own for each test, on the server `BAIDUPAY_TEST_POSTGRES_URL`
//! names, dropped at the end (also when the test panicked).

use std::io::Write;

use tokio_postgres::NoTls;

/// The variable that names the test server (a URL whose user may create databases).
pub const URL_VAR: &str = "BAIDUPAY_TEST_POSTGRES_URL";

/// The server's URL, or `None` after a loud `SKIPPED: <test> needs PostgreSQL` line written
/// straight to stderr (past the test harness's capture, so that a skip is always seen).
pub fn server_url(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {test} needs PostgreSQL: set {URL_VAR} (see README)"
            );
            None
        }
    }
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

/// A name `<prefix>_<random hex>` no other test or process will pick.
fn fresh_name(prefix: &str) -> String {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let random = std::collections::hash_map::RandomState::new()
        .hash_one((std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed)));
    format!("{prefix}_{random:016x}")
}

/// Connects to `url` (no TLS: a loopback test server), the connection driven by a task.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// Creates a database `<prefix>_<random hex>` through the server at `admin_url`; its name and
/// URL.
pub async fn create_database(
    admin_url: &str,
    prefix: &str,
) -> Result<(String, String), tokio_postgres::Error> {
    let name = fresh_name(prefix);
    connect(admin_url)
        .await?
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    let url = with_dbname(admin_url, &name);
    Ok((name, url))
}

/// Drops the database `name` (ending its sessions) through the server at `admin_url`, on a
/// thread and runtime of its own, so that it works from `Drop` and after a panic.
pub fn drop_database(admin_url: &str, name: &str) -> Result<(), String> {
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("{name:?} is not a name this crate made"));
    }
    let (url, sql) = (
        admin_url.to_owned(),
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async { connect(&url).await?.batch_execute(&sql).await })
            .map_err(|e| e.to_string())
    })
    .join()
    .map_err(|_| "the thread dropping the database panicked".to_owned())?
}

/// A database `bp_<random hex>` created for one test, dropped with this value.
#[derive(Debug)]
pub struct TestDb {
    admin_url: String,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl TestDb {
    /// A fresh database for `test`, or `None` (after the loud `SKIPPED` line) when
    /// `BAIDUPAY_TEST_POSTGRES_URL` is not set.
    pub async fn for_test(test: &str) -> Option<TestDb> {
        let admin_url = server_url(test)?;
        Some(Self::create(&admin_url).await)
    }

    /// A fresh database on the server at `admin_url`.
    pub async fn create(admin_url: &str) -> TestDb {
        let (name, url) = create_database(admin_url, "bp")
            .await
            .unwrap_or_else(|e| panic!("{URL_VAR}: cannot create a database: {e}"));
        TestDb {
            admin_url: admin_url.to_owned(),
            name,
            url,
        }
    }

    /// A plain connection to this test's database.
    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connecting to the test database {}: {e}", self.name))
    }

    /// Ends every session on this database but the caller's, and waits until they are gone.
    pub async fn kill_sessions(&self) {
        let admin = connect(&self.admin_url).await.unwrap();
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
    /// Drops the database; a failure is only printed.
    fn drop(&mut self) {
        if let Err(e) = drop_database(&self.admin_url, &self.name) {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn names_are_fresh_and_only_made_names_are_dropped() {
        let (a, b) = (fresh_name("bp"), fresh_name("bp"));
        assert_ne!(a, b);
        assert!(a.starts_with("bp_") && a.len() == 19, "{a}");
        let refused = drop_database("postgres://127.0.0.1:1/x", "x; DROP TABLE y").unwrap_err();
        assert!(refused.contains("not a name"), "{refused}");
    }
}
