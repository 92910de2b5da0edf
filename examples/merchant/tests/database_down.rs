//! PostgreSQL going away mid-run: the merchant answers "retry" (not a hang past the budget, not
//! a crash), and applies the notify once the database is back and the platform retries.
//!
//! The database is cut with a loopback TCP proxy this test controls in front of the server at
//! `BAIDUPAY_TEST_POSTGRES_URL` (stopping that shared server from inside a test is not
//! practical): `cut` closes every connection and refuses new ones, `stall` accepts new ones and
//! never answers (a hung server), `restore` forwards again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use baidupay_example_merchant::{App, OrderState};
use baidupay_model::TpOrderId;
use common::*;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

const UP: u8 = 0;
const CUT: u8 = 1;
const STALL: u8 = 2;

struct Proxy {
    addr: SocketAddr,
    mode: Arc<AtomicU8>,
    conns: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(UP));
        let conns: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (m, c) = (mode.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let task = match m.load(Ordering::SeqCst) {
                    CUT => continue, // dropped: the connection is closed at once
                    STALL => tokio::spawn(async move {
                        // hold it open, say nothing
                        std::future::pending::<()>().await;
                        drop(inbound);
                    }),
                    _ => tokio::spawn(async move {
                        if let Ok(mut out) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                        }
                    }),
                };
                c.lock().unwrap().push(task.abort_handle());
            }
        })
        .abort_handle();
        Proxy {
            addr,
            mode,
            conns,
            accept,
        }
    }

    /// Closes every connection and makes new ones fail (`CUT`) or hang (`STALL`).
    fn down(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    fn restore(&self) {
        self.mode.store(UP, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.down(CUT);
    }
}

/// `url` with its host and port replaced by `addr`.
fn via(url: &str, addr: SocketAddr) -> String {
    let start = url.find("://").unwrap() + 3;
    let auth_start = url[start..].find('@').map_or(start, |i| start + i + 1);
    let end = url[auth_start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| auth_start + i);
    format!("{}{addr}{}", &url[..auth_start], &url[end..])
}

/// The platform's retries: the same notify until it is acknowledged; every answer is either
/// the ack or "retry".
async fn until_consumed(
    t: &baidupay_transport::HyperTransport,
    addr: SocketAddr,
    body: bytes::Bytes,
) -> usize {
    for attempt in 1..=50 {
        let (status, text) = post(t, addr, "/notify/baidu/pay", body.clone()).await;
        assert_eq!(status, 200);
        if text == CONSUMED {
            return attempt;
        }
        assert_eq!(text, RETRY);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never acknowledged after the database came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_answers_retry_then_applies_once_back() {
    let Some(admin) = pg_url("postgres_down_answers_retry_then_applies_once_back") else {
        return;
    };
    let db = TestDb::create(&admin).await;
    let config: tokio_postgres::Config = admin.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        #[allow(unreachable_patterns)]
        _ => panic!("{} must name a TCP host", baidupay_testkit::pg::URL_VAR),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let upstream = tokio::net::lookup_host((host.as_str(), port))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = Proxy::start(upstream).await;
    let url = via(&db.url, proxy.addr);

    let dir = tempfile::tempdir().unwrap();
    let keys = key_files(dir.path());
    let orders: Vec<String> = ["D-1=100", "D-2=200", "D-3=300"]
        .iter()
        .flat_map(|o| ["--order".to_owned(), (*o).to_owned()])
        .collect();
    let mut m = Instance::start(&url, &keys, &orders);
    let t = client();
    assert_eq!(
        post(
            &t,
            m.addr,
            "/notify/baidu/pay",
            pay_body("601", "D-1", "100")
        )
        .await,
        (200, CONSUMED.to_owned())
    );

    // the database goes away: connections closed, new ones refused
    proxy.down(CUT);
    let d2 = pay_body("602", "D-2", "200");
    for _ in 0..3 {
        assert_eq!(
            post(&t, m.addr, "/notify/baidu/pay", d2.clone()).await,
            (200, RETRY.to_owned())
        );
    }
    assert!(m.running(), "the merchant survives the database going away");

    // back: the platform's retry is applied
    proxy.restore();
    let attempts = until_consumed(&t, m.addr, d2).await;
    eprintln!("D-2 acknowledged on attempt {attempts} after the database came back");

    // a hung database (accepts, never answers): "retry" once the budget runs out, not a hang
    proxy.down(STALL);
    let d3 = pay_body("603", "D-3", "300");
    assert_eq!(
        post(&t, m.addr, "/notify/baidu/pay", d3.clone()).await,
        (200, RETRY.to_owned())
    );
    assert!(m.running());
    proxy.restore();
    until_consumed(&t, m.addr, d3).await;

    assert_eq!(m.stats(&t).await.0, 3, "three payments, each applied once");
    m.kill();
    let app = App::with_store(APP_ID, ledger_store(&db.url).await);
    for (tp, order_id) in [("D-1", 601), ("D-2", 602), ("D-3", 603)] {
        let o = app
            .order(&TpOrderId::new(tp).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            o.state,
            OrderState::Paid {
                order_id,
                user_id: 149_235_070
            }
        );
    }
    let rows = baidupay_model::reconcile::parse_ledger(&app.ledger_csv().await.unwrap()).unwrap();
    assert_eq!(rows.len(), 3);
}

async fn ledger_store(url: &str) -> Arc<dyn baidupay_example_merchant::Store> {
    baidupay_example_merchant::store::open(url).await.unwrap()
}
