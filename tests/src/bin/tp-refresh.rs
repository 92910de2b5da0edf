//! `tp-refresh`: one process of a TP sharing its token store with others, for the test that
//! two OS processes refresh a mini program's authorizer token exactly once between them.
//!
//! `tp-refresh (--db FILE | --postgres URL) --base URL --client-id ID --app-id N --now UNIX
//! --start FILE [--tasks 16]` opens the `SqliteTokenStore` in `FILE` (or connects the
//! `PostgresTokenStore` to the database at `URL`), builds a `TpAuth` on the sandbox at
//! `URL` whose clock stands still at `UNIX` (the test's sandbox clock), prints `ready`, waits
//! until the file `--start` exists (the start barrier), then runs the tasks at once, each
//! asking `authorizer_token(N)`, and prints one line per task: `token <value>` or
//! `error <what failed>`. Exits 0 when every task got a token; gives up after 60 seconds.

use std::collections::HashMap;
use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use baidupay_tp::{PostgresTokenStore, SqliteTokenStore, TokenStore, TpAuth};
use baidupay_transport::{HyperTransport, ManualClock, Settings};

type Failure = Box<dyn Error + Send + Sync>;

/// How long the whole run may take, barrier included.
const DEADLINE: Duration = Duration::from_secs(60);

/// Where the tokens are.
#[derive(Debug)]
enum Store {
    Sqlite(PathBuf),
    Postgres(String),
}

#[derive(Debug)]
struct Args {
    store: Store,
    base: String,
    client_id: String,
    app_id: u64,
    now: i64,
    start: PathBuf,
    tasks: usize,
}

fn args() -> Result<Args, Failure> {
    let mut given = HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(name) = it.next() {
        let value = it.next().ok_or(format!("{name} needs a value"))?;
        given.insert(name, value);
    }
    let mut take = |name: &str| given.remove(name).ok_or(format!("{name} is required"));
    let store = match (take("--db"), take("--postgres")) {
        (Ok(file), Err(_)) => Store::Sqlite(file.into()),
        (Err(_), Ok(url)) => Store::Postgres(url),
        _ => return Err("give exactly one of --db FILE and --postgres URL".into()),
    };
    Ok(Args {
        store,
        base: take("--base")?,
        client_id: take("--client-id")?,
        app_id: take("--app-id")?.parse()?,
        now: take("--now")?.parse()?,
        start: take("--start")?.into(),
        tasks: take("--tasks").map_or(Ok(16), |n| n.parse())?,
    })
}

/// What one failed task prints: the error and its sources, on one line.
fn chain(e: &dyn Error) -> String {
    baidupay_e2e::chain(e).replace('\n', ": ")
}

async fn run(args: Args) -> Result<bool, Failure> {
    let store: Arc<dyn TokenStore> = match &args.store {
        Store::Sqlite(file) => Arc::new(SqliteTokenStore::open(file).await?),
        Store::Postgres(url) => Arc::new(PostgresTokenStore::connect(url).await?),
    };
    let transport = Arc::new(HyperTransport::new(Settings::default().allow_http(true))?);
    let auth = TpAuth::new(
        args.client_id,
        args.base,
        transport,
        store,
        Arc::new(ManualClock::new(args.now)),
    );
    println!("ready");
    // a tight poll (Tokio's timer is 1 ms coarse), so that the processes start within tens of
    // microseconds of each other and their stores race for the lease
    while !args.start.try_exists()? {
        std::thread::sleep(Duration::from_micros(50));
    }
    let tasks: Vec<_> = (0..args.tasks)
        .map(|_| {
            let auth = auth.clone();
            tokio::spawn(async move { auth.authorizer_token(args.app_id).await })
        })
        .collect();
    let mut all_ok = true;
    for task in tasks {
        match task.await? {
            Ok(token) => println!("token {}", token.expose()),
            Err(e) => {
                all_ok = false;
                println!("error {}", chain(&e));
            }
        }
    }
    Ok(all_ok)
}

fn main() -> std::process::ExitCode {
    let outcome = args().and_then(|args| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(async { tokio::time::timeout(DEADLINE, run(args)).await? })
    });
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("tp-refresh: {}", chain(&*e));
            std::process::ExitCode::from(2)
        }
    }
}
