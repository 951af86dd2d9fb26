//! Throughput and latency of the receiver with durability on (JSON-lines
//! sink, one `fdatasync` per batch), over real HTTP on 127.0.0.1.
//!
//! The receiver runs in a child process (this binary with `--serve`), so its
//! peak RSS is its own; the senders are threads with one keep-alive
//! connection each (`ureq`), one request at a time per connection.
//!
//! ```sh
//! cargo run --release -p velip-webhook --example bench -- \
//!     --form 1000000 --senders 32 --pages 200 --json-senders 4
//! ```
//!
//! Prints deliveries/s, p50/p99/max latency per phase, and the receiver's
//! RSS while the form phase runs (it must stay flat).

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

/// mimalloc, as the Python extension uses: many small short-lived
/// allocations per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Form deliveries to send (one call each).
    #[arg(long, default_value_t = 200_000)]
    form: u64,
    /// Concurrent form senders (keep-alive connections).
    #[arg(long, default_value_t = 32)]
    senders: u64,
    /// JSON deliveries of 5,000 calls to send.
    #[arg(long, default_value_t = 100)]
    pages: u64,
    /// Concurrent JSON senders.
    #[arg(long, default_value_t = 4)]
    json_senders: u64,
    /// Run as the receiver, writing to this file (internal).
    #[arg(long, hide = true)]
    serve: Option<PathBuf>,
    /// Folder for the receiver's file (default: a temporary folder).
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if let Some(out) = &args.serve {
        return serve(out);
    }
    let tmp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let out = dir.join("bench.jsonl");
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--serve")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let pid = child.id();
    let url = BufReader::new(child.stdout.take().ok_or("no stdout")?)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("URL=").map(str::to_owned))
        .ok_or("the receiver did not start")?;
    println!("receiver pid {pid} at {url}, file {}", out.display());
    println!("rss at start: {} MiB", rss_mib(pid, "VmRSS"));

    run(&args, &url, pid);
    child.kill()?;
    child.wait()?;
    let size = std::fs::metadata(&out).map_or(0, |m| m.len());
    println!("file: {:.1} MiB", mib(size));
    Ok(())
}

fn run(args: &Args, url: &str, pid: u32) {
    // Warm-up: connections, page cache, allocator.
    phase(url, 2_000, 8, 1, |_| Body::Form, None);

    println!(
        "\nform: {} deliveries, one call each, {} keep-alive senders",
        args.form, args.senders
    );
    let rss = RssWatch::start(pid);
    let stats = phase(
        url,
        args.form,
        args.senders,
        1,
        |_| Body::Form,
        Some(&rss.progress),
    );
    let samples = rss.stop();
    stats.print("form", 1);
    println!("receiver rss (MiB) by progress:");
    for (done, rss) in samples {
        println!("  {done:>9} deliveries: {rss:.1}");
    }
    println!("  peak (VmHWM): {:.1}", rss_mib(pid, "VmHWM"));

    println!(
        "\njson: {} deliveries of 5,000 calls, {} senders",
        args.pages, args.json_senders
    );
    let page_calls = 5_000;
    let stats = phase(
        url,
        args.pages,
        args.json_senders,
        page_calls,
        |_| Body::Json,
        None,
    );
    stats.print("json", page_calls);
    println!("  peak (VmHWM): {:.1} MiB", rss_mib(pid, "VmHWM"));
}

/// The receiver side: logs off, JSON-lines sink.
fn serve(out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let config = velip_webhook::ReceiverConfig::new().bind("127.0.0.1:0".parse()?);
        let sink = velip_webhook::JsonLinesSink::open(out)?;
        let server = velip_webhook::Server::bind(config, sink).await?;
        println!("URL={}", server.url());
        std::io::stdout().flush()?;
        server.run_until(velip_webhook::shutdown_signal()).await?;
        Ok(())
    })
}

#[derive(Clone, Copy)]
enum Body {
    Form,
    Json,
}

/// Ids are unique across phases.
static NEXT_ID: AtomicU64 = AtomicU64::new(1_000_000);

fn form_body(id: u64) -> String {
    format!(
        "cd_id=42_{id}&cd_status=OK&cd_amdasw=HM&cp_id=555&cpid=camp-nov&ctid=order-{id}&origin=api\
         &dest=5511987654321&cd_dest=5511987654321&conf=1&date=2026-11-20&time_dial=10%3A00%3A01\
         &time_start=10%3A00%3A09&time_end=10%3A00%3A36&dur=27&resp_1=1&resp_2=&route=Mobile+BR\
         &rate=0%2C050&value=0%2C050&cdr_url=https%3A%2F%2Frec.example%2F{id}.mp3&cdr_sec=27"
    )
}

fn json_body(first: u64, n: u64) -> String {
    let calls: Vec<serde_json::Value> = (first..first + n)
        .map(|id| {
            serde_json::json!({
                "cd_id": format!("42_{id}"), "cd_status": "OK", "cd_amdasw": "HM", "cp_id": 555,
                "cpid": "camp-nov", "ctid": format!("order-{id}"), "origin": "api",
                "dest": "5511987654321", "date": "2026-11-20", "time_dial": "10:00:01",
                "time_start": "10:00:09", "time_end": "10:00:36", "dur": 27, "resp_1": "1",
                "route": "Mobile BR", "rate": "0,050", "value": "0,050",
                "cdr_url": format!("https://rec.example/{id}.mp3"), "cdr_sec": 27
            })
        })
        .collect();
    serde_json::json!({"return": {"status": "OK", "status_code": "0"}, "calls": calls}).to_string()
}

struct Stats {
    deliveries: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    failures: u64,
}

impl Stats {
    fn print(&self, name: &str, calls_each: u64) {
        let mut l = self.latencies_us.clone();
        l.sort_unstable();
        let pct = |p: f64| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let i = ((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1));
            f64::from(l.get(i).copied().unwrap_or(0)) / 1000.0
        };
        #[allow(clippy::cast_precision_loss)]
        let per_s = self.deliveries as f64 / self.elapsed.as_secs_f64();
        println!(
            "{name}: {} deliveries in {:.2} s = {per_s:.0} deliveries/s ({:.0} calls/s); \
             latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; failures {}",
            self.deliveries,
            self.elapsed.as_secs_f64(),
            per_s * f64::from(u32::try_from(calls_each).unwrap_or(u32::MAX)),
            pct(0.50),
            pct(0.99),
            pct(1.0),
            self.failures
        );
    }
}

fn phase(
    url: &str,
    total: u64,
    senders: u64,
    calls_each: u64,
    kind: impl Fn(u64) -> Body + Copy + Send + 'static,
    progress: Option<&Arc<AtomicU64>>,
) -> Stats {
    let started = Instant::now();
    let remaining = Arc::new(AtomicU64::new(total));
    let threads: Vec<_> = (0..senders)
        .map(|_| {
            let url = url.to_owned();
            let remaining = Arc::clone(&remaining);
            let progress = progress.cloned();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .proxy(None)
                    .timeout_global(Some(Duration::from_secs(60)))
                    .build()
                    .into();
                let mut latencies = Vec::new();
                let mut failures = 0;
                while remaining
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| r.checked_sub(1))
                    .is_ok()
                {
                    let id = NEXT_ID.fetch_add(calls_each, Ordering::Relaxed);
                    let (ct, body) = match kind(id) {
                        Body::Form => ("application/x-www-form-urlencoded", form_body(id)),
                        Body::Json => ("application/json", json_body(id, calls_each)),
                    };
                    let t = Instant::now();
                    let ok = agent
                        .post(&url)
                        .header("Content-Type", ct)
                        .send(body)
                        .is_ok_and(|mut r| {
                            let _ = r.body_mut().read_to_vec();
                            r.status() == 200
                        });
                    latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                    if !ok {
                        failures += 1;
                    }
                    if let Some(p) = &progress {
                        p.fetch_add(1, Ordering::Relaxed);
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies_us = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    let mut failures = 0;
    for t in threads {
        let (l, f) = t.join().unwrap_or_default();
        latencies_us.extend(l);
        failures += f;
    }
    Stats {
        deliveries: total,
        elapsed: started.elapsed(),
        latencies_us,
        failures,
    }
}

/// Samples the receiver's RSS as the phase progresses.
struct RssWatch {
    progress: Arc<AtomicU64>,
    stop: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<Vec<(u64, f64)>>,
}

impl RssWatch {
    fn start(pid: u32) -> Self {
        let progress = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicU64::new(0));
        let (p, s) = (Arc::clone(&progress), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut samples = Vec::new();
            let mut last: Option<Instant> = None;
            while s.load(Ordering::Relaxed) == 0 {
                if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
                    samples.push((p.load(Ordering::Relaxed), rss_mib(pid, "VmRSS")));
                    last = Some(Instant::now());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            samples.push((p.load(Ordering::Relaxed), rss_mib(pid, "VmRSS")));
            samples
        });
        Self {
            progress,
            stop,
            thread,
        }
    }

    fn stop(self) -> Vec<(u64, f64)> {
        self.stop.store(1, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// A `/proc/PID/status` field (kB) in MiB.
fn rss_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    mib(kb * 1024)
}

#[allow(clippy::cast_precision_loss)]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
