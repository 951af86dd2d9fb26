//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code, unreachable_pub, clippy::missing_panics_doc)] // test helpers: panicking is the point

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use velip_webhook::{
    Error, JsonLinesSink, MetricsSnapshot, Receiver, ReceiverConfig, Server, ShutdownHandle, Sink,
};

/// A receiver running on its own runtime thread, on a free port of 127.0.0.1,
/// writing into a temporary folder.
pub struct Running {
    pub url: String,
    pub addr: SocketAddr,
    pub out: PathBuf,
    pub dir: tempfile::TempDir,
    pub receiver: Receiver,
    handle: ShutdownHandle,
    thread: Option<JoinHandle<Result<MetricsSnapshot, Error>>>,
}

/// A config bound to a free port of 127.0.0.1.
pub fn local() -> ReceiverConfig {
    ReceiverConfig::new().bind(SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Starts a receiver over a [`JsonLinesSink`] in a new temporary folder.
pub fn start(config: ReceiverConfig) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("deliveries.jsonl");
    let sink = JsonLinesSink::open(&out).unwrap();
    start_with(config, sink, dir, out)
}

/// Starts a receiver over any sink.
pub fn start_with(
    config: ReceiverConfig,
    sink: impl Sink,
    dir: tempfile::TempDir,
    out: PathBuf,
) -> Running {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = Server::bind(config, sink).await?;
            tx.send((
                server.url(),
                server.local_addr(),
                server.receiver().clone(),
                server.shutdown_handle(),
            ))
            .unwrap();
            server.run().await
        })
    });
    let (url, addr, receiver, handle) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the receiver starts");
    Running {
        url,
        addr,
        out,
        dir,
        receiver,
        handle,
        thread: Some(thread),
    }
}

impl Running {
    /// `http://127.0.0.1:PORT` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops gracefully and returns the counters (the folder stays until
    /// drop).
    pub fn stop(&mut self) -> MetricsSnapshot {
        self.handle.shutdown();
        self.thread
            .take()
            .unwrap()
            .join()
            .unwrap()
            .expect("the receiver stops cleanly")
    }

    /// The lines of the output file, parsed.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        lines(&self.out)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The lines of a JSON-lines file, parsed (none when it does not exist).
pub fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

/// The `call_id` of every line.
pub fn call_ids(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["call_id"].as_str().unwrap().to_owned())
        .collect()
}

/// A client that reports every status instead of failing on 4xx/5xx, keeps
/// connections alive, and never uses a proxy.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// `application/x-www-form-urlencoded` of these pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A JSON delivery (page-shaped body) of these call numbers.
pub fn json_page(ids: &[u64]) -> String {
    let calls: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"cd_id": id, "cd_status": "OK", "dest": "5511999999999", "value": "0,050"}))
        .collect();
    serde_json::json!({"return": {"status": "OK", "status_code": "0"}, "calls": calls}).to_string()
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}
