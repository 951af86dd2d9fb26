//! `velip webhook listen` end to end, over real HTTP on 127.0.0.1: the
//! built `velip` pushes (`calls push --rurl ...`) through the sandbox to the
//! built `velip webhook listen`, which stores every pushed call exactly
//! once: form and JSON, POST and GET; across kill -9 and restarts of the
//! receiver mid-push (the sandbox's delivery retries and the push's own
//! `--resume` cover the gap); with a wrong password every delivery is
//! refused (401) and the sandbox records the failed deliveries.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use velip_core::Query;
use velip_sandbox::{Fault, FaultPlan, Sandbox, SandboxConfig, WebhookConfig};
use velip_store::db::{Source, Store};

const BIN: &str = env!("CARGO_BIN_EXE_velip");
const USER: &str = "hook";
const PASSWORD: &str = "hook-pass-9";
const HEADER: &str = "X-Velip-Key: key-77";
const RANGE: [&str; 4] = ["--date-start", "2000-01-01", "--date-end", "2100-12-31"];

/// A sandbox of `calls` calls whose deliveries are retried `retries` times
/// (50 ms apart).
fn sandbox(calls: usize, retries: u32) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls,
        webhook: WebhookConfig {
            retries,
            ..WebhookConfig::default()
        },
        ..SandboxConfig::default()
    })
    .expect("sandbox starts")
}

fn state_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

/// `velip calls push` of the whole sandbox to `rurl`.
fn push(sb: &Sandbox, rurl: &str, extra: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(["--base-url", sb.url(), "--retries", "0", "--timeout", "10"])
        .args(["calls", "push", "--rurl", rurl])
        .args(RANGE)
        .args(extra)
        .env("VELIP_TOKEN", sb.token())
        .env("VELIP_STATE_DIR", state_dir())
        .env_remove("VELIP_BASE_URL")
        .env_remove("VELIP_RURL_PASSWORD")
        .output()
        .expect("velip runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(PASSWORD), "the password leaked: {all}");
    out
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The ids of every call of the sandbox (what a push of the range selects).
fn all_ids(sb: &Sandbox) -> BTreeSet<String> {
    let client = velip_blocking::Client::builder()
        .base_url(sb.url())
        .token(sb.token())
        .no_proxy()
        .ledger(velip_blocking::ledger::Ledger::in_memory())
        .build()
        .unwrap();
    let q = Query::builder()
        .date_range("2000-01-01", "2100-12-31")
        .build()
        .unwrap();
    client
        .list_calls(q)
        .map(|r| r.unwrap().call_id.to_string())
        .collect()
}

fn number(id: &str) -> u64 {
    id.rsplit('_').next().unwrap().parse().unwrap()
}

/// Waits (bounded) until `cond` holds.
fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// A running `velip webhook listen`, its stderr collected line by line.
struct Listener {
    child: Child,
    url: String,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Listener {
    /// Starts `velip webhook listen ARGS` (on a free port unless ARGS has
    /// `--bind`) and waits for its start line.
    fn start(args: &[&str]) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.args(["webhook", "listen"]);
        if !args.contains(&"--bind") {
            cmd.args(["--bind", "127.0.0.1:0"]);
        }
        let mut child = cmd
            .args(args)
            .env_remove("VELIP_WEBHOOK_USER")
            .env_remove("VELIP_WEBHOOK_PASSWORD")
            .env_remove("VELIP_WEBHOOK_REQUIRE_HEADER")
            .env_remove("VELIP_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("velip webhook listen starts");
        Self::attach(&mut child);
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("receiving webhook deliveries at ") {
                    let url = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(Some(url));
                }
                if line.starts_with("error:") {
                    let _ = tx.send(None);
                }
                lines.lock().unwrap().push(line);
            }
            let _ = tx.send(None);
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .ok()
            .flatten()
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("the receiver did not start: {:?}", log.lock().unwrap())
            });
        let addr = url
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap()
            .to_owned();
        Self {
            child,
            url,
            addr,
            log,
        }
    }

    /// Keeps the child's stdout drained (JSON lines of the default sink).
    fn attach(child: &mut Child) {
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut BufReader::new(out), &mut std::io::sink());
            });
        }
    }

    /// Lines logged for acknowledged deliveries so far.
    fn stored(&self) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("] delivery #"))
            .count()
    }

    fn stderr(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// SIGTERM, then waits (bounded) for the exit; returns the exit code
    /// and everything logged.
    fn stop(mut self) -> (i32, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        };
        // The reader thread sees EOF right after the exit.
        std::thread::sleep(Duration::from_millis(100));
        (status.code().unwrap_or(-1), self.stderr())
    }

    /// kill -9.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The ids stored for `account`, each checked to come from a push.
fn stored_ids(url: &str, account: &str, expected: &BTreeSet<String>) -> (u64, BTreeSet<String>) {
    let mut store = Store::open(url).unwrap();
    let count = store.count(Some(account)).unwrap();
    let ids: Vec<velip_core::CallId> = expected
        .iter()
        .map(|i| velip_core::CallId::parse(i).unwrap())
        .collect();
    let rows = store.get(account, &ids).unwrap();
    assert!(rows.iter().all(|r| r.source == Source::Push));
    (
        count,
        rows.iter().map(|r| r.record.call_id.to_string()).collect(),
    )
}

fn common_flags() -> Vec<&'static str> {
    vec!["--user", USER, "--require-header", HEADER]
}

fn push_flags(method: &'static str, format: &'static str) -> Vec<&'static str> {
    push_flags_paged(method, format, "50")
}

fn push_flags_paged(
    method: &'static str,
    format: &'static str,
    page_size: &'static str,
) -> Vec<&'static str> {
    vec![
        "--rurl-method",
        method,
        "--rurl-type",
        format,
        "--rurl-user",
        USER,
        "--rurl-password",
        PASSWORD,
        "--rurl-header",
        HEADER,
        "--page-size",
        page_size,
    ]
}

/// Starts a listener that requires the Basic credentials and the header.
fn start_with_password(args: &[&str]) -> Listener {
    let mut all = common_flags();
    all.extend_from_slice(args);
    start_listener(&all)
}

/// Starts a listener with `args` and `--password` (the environment's
/// `VELIP_WEBHOOK_PASSWORD` is covered by `password_from_the_environment_and_https`).
fn start_listener(args: &[&str]) -> Listener {
    let mut all: Vec<&str> = args.to_vec();
    all.extend_from_slice(&["--password", PASSWORD]);
    Listener::start(&all)
}

fn check_exactly_once(db: &str, expected: &BTreeSet<String>) {
    let (count, got) = stored_ids(db, "default", expected);
    assert_eq!(count, expected.len() as u64, "one row per call, no other");
    assert_eq!(&got, expected);
}

#[test]
fn every_kind_of_push_is_stored_once_in_sqlite() {
    let sb = sandbox(120, 1);
    let expected = all_ids(&sb);
    assert_eq!(expected.len(), 120);
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("calls.db").display());
    let listener = start_with_password(&["--db", &db]);
    let mut deliveries = 0;
    for (method, format) in [
        ("POST", "form"),
        ("GET", "form"),
        ("POST", "json"),
        ("GET", "json"),
    ] {
        let o = push(&sb, &listener.url, &push_flags(method, format));
        assert_eq!(code(&o), 0, "{}", text(&o.stderr));
        deliveries += if format == "form" { 120 } else { 3 };
        let done = sb.wait_for_deliveries(deliveries, Duration::from_secs(60));
        assert_eq!(done.len(), deliveries, "{method} {format}");
        assert!(
            done.iter().all(|d| d.delivered && d.attempts == 1),
            "{method} {format}: {:?}",
            done.iter().find(|d| !d.delivered)
        );
        check_exactly_once(&db, &expected);
        assert!(
            expected
                .iter()
                .all(|id| sb.delivery_outcome(number(id)).is_some_and(|o| o > 0))
        );
    }
    assert!(wait_until(Duration::from_secs(10), || listener.stored() == deliveries));
    let (code, log) = listener.stop();
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains(&format!("stopped: {deliveries} deliveries (480 calls")),
        "{log}"
    );
    assert!(log.contains("database: 120 inserted"), "{log}");
    assert!(!log.contains(PASSWORD) && !log.contains("key-77"), "{log}");
    // One log line per delivery: method, format, call ids, size, time.
    let line = log.lines().find(|l| l.contains("] delivery #1 ")).unwrap();
    assert!(
        line.contains("POST form from 127.0.0.1:") && line.contains("1 call(s) ["),
        "{line}"
    );
}

#[test]
fn kill_9_and_restart_mid_push_stores_every_call_once() {
    // Retries 100 times, 50 ms apart: a receiver down for less than ~5 s
    // loses nothing, as the platform's retries would.
    let sb = sandbox(600, 100);
    let expected = all_ids(&sb);
    assert_eq!(expected.len(), 600);
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("calls.db").display());
    let listener = start_with_password(&["--db", &db]);
    let bind = listener.addr.clone();
    let rurl = listener.url.clone();

    // The push fails at its third page (a connection reset) and is resumed
    // later: two pages' deliveries are under way meanwhile.
    sb.reset();
    sb.set_faults(FaultPlan::new().on_request(3, Fault::ConnectionReset));
    let flags = push_flags_paged("POST", "form", "100");
    let o = push(&sb, &rurl, &flags);
    assert_eq!(code(&o), 9, "{}", text(&o.stderr));

    // kill -9 mid-stream, restart on the same address.
    assert!(wait_until(Duration::from_secs(30), || listener.stored() >= 40));
    listener.kill9();
    std::thread::sleep(Duration::from_millis(300));
    let mut args = vec!["--bind", bind.as_str(), "--db", db.as_str()];
    args.extend(common_flags());
    let listener = start_listener(&args);

    // The push resumes at the page that failed; kill -9 once more while
    // those deliveries arrive.
    let mut resume = flags.clone();
    resume.push("--resume");
    let o = push(&sb, &rurl, &resume);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(wait_until(Duration::from_secs(30), || listener.stored() >= 60));
    listener.kill9();
    std::thread::sleep(Duration::from_millis(200));
    let listener = start_listener(&args);

    let done = sb.wait_for_deliveries(600, Duration::from_secs(120));
    assert_eq!(done.len(), 600);
    assert!(
        done.iter().all(|d| d.delivered),
        "{:?}",
        done.iter().find(|d| !d.delivered)
    );
    assert!(
        done.iter().any(|d| d.attempts > 1),
        "some deliveries met the receiver down and were retried"
    );
    for id in &expected {
        assert!(
            sb.delivery_outcome(number(id)).is_some_and(|o| o > 0),
            "{id}"
        );
    }
    check_exactly_once(&db, &expected);
    let (code, log) = listener.stop();
    assert_eq!(code, 0, "{log}");
}

#[test]
fn a_wrong_password_refuses_every_delivery_and_the_sandbox_records_it() {
    let sb = sandbox(40, 1);
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("calls.db").display());
    let listener = start_with_password(&["--db", &db]);
    let mut total = 0;
    for format in ["form", "json"] {
        let mut flags = push_flags("POST", format);
        flags[7] = "wrong-password";
        let o = push(&sb, &listener.url, &flags);
        assert_eq!(code(&o), 0, "the push itself is accepted");
        total += if format == "form" { 40 } else { 1 };
        let done = sb.wait_for_deliveries(total, Duration::from_secs(60));
        assert_eq!(done.len(), total);
        for d in &done {
            assert!(!d.delivered, "{d:?}");
            assert_eq!(d.status, Some(401));
            assert_eq!(d.attempts, 2, "one retry by default");
            assert_eq!(d.cd_returl(), -2);
        }
    }
    for id in all_ids(&sb) {
        assert_eq!(sb.delivery_outcome(number(&id)), Some(-2), "{id}");
    }
    assert_eq!(Store::open(&db).unwrap().count(None).unwrap(), 0);
    let (code, log) = listener.stop();
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("stopped: 0 deliveries") && log.contains("rejected: 82 unauthorized"),
        "{log}"
    );
    assert!(!log.contains("wrong-password") && !log.contains(PASSWORD));
}

#[test]
fn json_lines_to_a_file_and_to_stdout() {
    let sb = sandbox(30, 1);
    let expected = all_ids(&sb);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("deliveries.jsonl");
    let listener = start_with_password(&["--out", out.to_str().unwrap()]);
    let o = push(&sb, &listener.url, &push_flags("GET", "json"));
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert_eq!(sb.wait_for_deliveries(1, Duration::from_secs(30)).len(), 1);
    let (code, log) = listener.stop();
    assert_eq!(code, 0, "{log}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: BTreeSet<String> = lines
        .iter()
        .map(|l| l["call_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, expected);
    assert!(
        lines
            .iter()
            .all(|l| l["delivery"]["method"] == "GET" && l["delivery"]["format"] == "json")
    );

    // Default sink: JSON lines on stdout (the start line and logs on stderr).
    let mut child = Command::new(BIN)
        .args(["webhook", "listen", "--bind", "127.0.0.1:0"])
        .env_remove("VELIP_WEBHOOK_USER")
        .env_remove("VELIP_WEBHOOK_PASSWORD")
        .env_remove("VELIP_WEBHOOK_REQUIRE_HEADER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut url = String::new();
    for line in stderr.lines().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("receiving webhook deliveries at ") {
            url = rest.split_whitespace().next().unwrap().to_owned();
            assert!(rest.contains("stdout (JSON lines)"), "{line}");
            break;
        }
    }
    let agent = agent();
    let r = agent
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send("cd_id=42_7&cd_status=OK")
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["call_id"], "42_7");
    assert_eq!(v["status"], "OK");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(wait_until(Duration::from_secs(30), || child
        .try_wait()
        .unwrap()
        .is_some()));
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[test]
fn the_flags_reach_the_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d.jsonl");
    let refused = dir.path().join("refused.jsonl");
    let listener = Listener::start(&[
        "--out",
        out.to_str().unwrap(),
        "--path",
        "/hooks/velip",
        "--max-body",
        "2000",
        "--rejected-log",
        refused.to_str().unwrap(),
        "--require-header",
        HEADER,
        "--require-header",
        "X-Tenant: acme",
    ]);
    assert!(listener.url.ends_with("/hooks/velip"), "{}", listener.url);
    let a = agent();
    let post = |body: &str, tenant: &str| {
        a.post(&listener.url)
            .header("X-Velip-Key", "key-77")
            .header("X-Tenant", tenant)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body.to_owned())
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(post("cd_id=42_1&cd_status=OK", "acme"), 200);
    assert_eq!(post("cd_id=42_2", "other"), 401, "every header is required");
    assert_eq!(post(&"x".repeat(3000), "acme"), 413);
    assert_eq!(post("not a delivery", "acme"), 400);
    let base = format!("http://{}", listener.addr);
    let get = |path: &str| {
        a.get(format!("{base}{path}"))
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(get("/velip"), 404, "only --path takes deliveries");
    assert_eq!(get("/healthz"), 200);
    let metrics = a
        .get(format!("{base}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        metrics.contains("velip_webhook_deliveries_total 1"),
        "{metrics}"
    );
    let put = a
        .put(&listener.url)
        .header("X-Velip-Key", "key-77")
        .header("X-Tenant", "acme")
        .send("cd_id=1")
        .unwrap();
    assert_eq!(put.status(), 405);
    let (code, log) = listener.stop();
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("rejected: 1 unauthorized, 1 too_large, 1 method, 1 not_found, 1 undecodable"),
        "{log}"
    );
    let kept = std::fs::read_to_string(&refused).unwrap();
    assert_eq!(kept.lines().count(), 1);
    assert!(
        kept.contains("not a delivery") && !kept.contains("key-77"),
        "{kept}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 1);
}

#[test]
fn password_from_the_environment_and_https() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../webhook/tests/fixtures");
    let mut child = Command::new(BIN)
        .args(["webhook", "listen", "--bind", "127.0.0.1:0", "--user", USER])
        .arg("--tls-cert")
        .arg(fixtures.join("localhost.crt"))
        .arg("--tls-key")
        .arg(fixtures.join("localhost.key"))
        .env("VELIP_WEBHOOK_PASSWORD", PASSWORD)
        .env_remove("VELIP_WEBHOOK_REQUIRE_HEADER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Listener::attach(&mut child);
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut url = String::new();
    for line in stderr.lines().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("receiving webhook deliveries at ") {
            url = rest.split_whitespace().next().unwrap().to_owned();
            break;
        }
    }
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let pem = std::fs::read(fixtures.join("localhost.crt")).unwrap();
    let cert = ureq::tls::Certificate::from_pem(&pem).unwrap();
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![cert])))
        .build();
    let a: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .tls_config(tls)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let send = |auth: String| {
        a.post(&url)
            .header("Authorization", auth)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send("cd_id=9&cd_status=OK")
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(send(basic(USER, PASSWORD)), 200);
    assert_eq!(send(basic(USER, "nope")), 401);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(wait_until(Duration::from_secs(30), || child
        .try_wait()
        .unwrap()
        .is_some()));
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn bad_settings_are_refused_before_listening() {
    let run = |args: &[&str]| {
        let o = Command::new(BIN)
            .args(["webhook", "listen", "--bind", "127.0.0.1:0"])
            .args(args)
            .env_remove("VELIP_WEBHOOK_USER")
            .env_remove("VELIP_WEBHOOK_PASSWORD")
            .env_remove("VELIP_WEBHOOK_REQUIRE_HEADER")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (code(&o), text(&o.stderr))
    };
    let (c, e) = run(&["--user", "hook"]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("VELIP_WEBHOOK_PASSWORD"), "{e}");
    let (c, e) = run(&["--require-header", "no colon here"]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("--require-header"), "{e}");
    let (c, e) = run(&["--require-header", "X-Key: "]);
    assert_eq!(c, 2, "{e}");
    let (c, e) = run(&["--path", "velip"]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("--path"), "{e}");
    let (c, e) = run(&["--max-body", "0"]);
    assert_eq!(c, 2, "{e}");
    let (c, _) = run(&["--out", "x.jsonl", "--db", "sqlite:x.db"]);
    assert_eq!(c, 2, "--out and --db conflict");
    let (c, e) = run(&["--db", "sqlite:/nonexistent-velip-dir/calls.db"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("nonexistent-velip-dir"), "{e}");
    let (c, e) = run(&[
        "--tls-cert",
        "/nonexistent.crt",
        "--tls-key",
        "/nonexistent.key",
    ]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("TLS") || e.contains("tls"), "{e}");
    // The address is taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = Command::new(BIN)
        .args(["webhook", "listen", "--bind", &addr])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains(&addr));
}

#[test]
fn postgres_stores_every_pushed_call_once() {
    let Ok(db) = std::env::var("VELIP_TEST_POSTGRES_URL") else {
        eprintln!("skipped: set VELIP_TEST_POSTGRES_URL (scripts/with-postgres)");
        return;
    };
    // The shared test database: rows of an account of this run only.
    let account = format!("webhook-test-{}", std::process::id());
    let sb = sandbox(120, 1);
    let expected = all_ids(&sb);
    let listener = start_with_password(&["--db", &db, "--account", &account]);
    let mut n = 0;
    for (method, format) in [("POST", "form"), ("GET", "json")] {
        let o = push(&sb, &listener.url, &push_flags(method, format));
        assert_eq!(code(&o), 0, "{}", text(&o.stderr));
        n += if format == "form" { 120 } else { 3 };
        let done = sb.wait_for_deliveries(n, Duration::from_secs(60));
        assert!(done.len() == n && done.iter().all(|d| d.delivered));
        let (count, got) = stored_ids(&db, &account, &expected);
        assert_eq!((count, &got), (120, &expected));
    }
    let (code, log) = listener.stop();
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("database: 120 inserted"), "{log}");
    assert!(!log.contains(PASSWORD));
}
