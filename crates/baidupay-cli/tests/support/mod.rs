//! What several CLI test files share: `baidupay sandbox` as a child process, and one plain
//! HTTP/1.1 exchange with it.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// `baidupay sandbox` in the background (killed when dropped), its `host:port`, and what it
/// printed on stderr so far.
pub struct Served {
    pub child: Child,
    pub addr: String,
    pub stderr: Arc<Mutex<String>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `baidupay sandbox --listen 127.0.0.1:0 ARGS` (in `dir` when given, without
/// `RUST_LOG`) and waits for its "listening" line; its stdout is drained so that it never
/// blocks on a full pipe, and its stderr collected.
pub fn serve_sandbox(dir: Option<&Path>, args: &[&str]) -> Served {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baidupay"));
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let mut child = cmd
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("sandbox listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    std::thread::spawn(move || for _ in out.lines() {});
    let stderr = Arc::new(Mutex::new(String::new()));
    let (mut err, seen) = (child.stderr.take().unwrap(), stderr.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = err.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    Served {
        child,
        addr,
        stderr,
    }
}

/// One plain HTTP/1.1 exchange with a JSON body (`Connection: close`): status and body.
pub fn http_exchange(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    baidupay_testkit::http::exchange(addr, method, path, "application/json", body)
}
