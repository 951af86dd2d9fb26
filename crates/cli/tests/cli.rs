//! End-to-end tests: the built `velip` binary against a sandbox over real
//! HTTP.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use velip_sandbox::{Fault, FaultPlan, LimitsConfig, Sandbox, SandboxConfig};

const BIN: &str = env!("CARGO_BIN_EXE_velip");

fn sandbox(calls: usize) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls,
        ..SandboxConfig::default()
    })
    .expect("sandbox starts")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// Runs `velip` against `sb` with its full-numbers token in the environment.
fn state_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

fn velip(sb: &Sandbox, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(["--base-url", sb.url(), "--retries", "0", "--timeout", "10"])
        .args(args)
        .env("VELIP_TOKEN", sb.token())
        .env("VELIP_STATE_DIR", state_dir())
        .env_remove("VELIP_BASE_URL")
        .output()
        .expect("velip runs");
    assert_no_secret(&out, sb.token());
    out
}

fn assert_no_secret(out: &Output, secret: &str) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(secret), "secret leaked in output:\n{all}");
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

const RANGE: [&str; 4] = ["--date-start", "2026-11-01", "--date-end", "2026-11-20"];

#[test]
fn call_get_and_find() {
    let sb = sandbox(2_000);
    let list = velip(
        &sb,
        &[
            "calls", "list", "--format", "jsonl", "--limit", "1", RANGE[0], RANGE[1], RANGE[2],
            RANGE[3],
        ],
    );
    let first = stdout(&list);
    let first = first
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no record: {}", stderr(&list)));
    let rec: serde_json::Value = serde_json::from_str(first).unwrap();
    let id = rec["call_id"].as_str().unwrap().to_owned();

    let text = velip(&sb, &["call", "get", &id]);
    assert_eq!(code(&text), 0, "{}", stderr(&text));
    insta::assert_snapshot!("call_get_text", stdout(&text));

    let json = velip(&sb, &["call", "get", &id, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["call_id"], id.as_str());

    if let Some(ctid) = rec["correlation_id"].as_str() {
        let found = velip(&sb, &["call", "find", "--ctid", ctid, "--format", "json"]);
        assert_eq!(code(&found), 0, "{}", stderr(&found));
        assert!(stdout(&found).contains(&id));
    }

    let missing = velip(&sb, &["call", "get", "42_999999999"]);
    assert_eq!(code(&missing), 12, "{}", stderr(&missing));
}

#[test]
fn list_formats() {
    let sb = sandbox(3_000);
    let mut shots = String::new();
    for fmt in ["table", "csv", "jsonl", "json"] {
        let o = velip(
            &sb,
            &[
                "calls", "list", "--format", fmt, "--limit", "3", RANGE[0], RANGE[1], RANGE[2],
                RANGE[3],
            ],
        );
        assert_eq!(code(&o), 0, "{fmt}: {}", stderr(&o));
        writeln!(shots, "## {fmt}\n{}", stdout(&o)).unwrap();
    }
    let o = velip(
        &sb,
        &[
            "calls",
            "list",
            "--format",
            "csv",
            "--csv-locale",
            "pt-BR",
            "--limit",
            "3",
            RANGE[0],
            RANGE[1],
            RANGE[2],
            RANGE[3],
        ],
    );
    writeln!(shots, "## csv pt-BR\n{}", stdout(&o)).unwrap();
    insta::assert_snapshot!("list_formats", shots);
}

fn export(sb: &Sandbox, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "calls",
        "export",
        "--out",
        out.to_str().unwrap(),
        "--page-size",
        "500",
    ];
    args.extend_from_slice(&RANGE);
    args.extend_from_slice(extra);
    velip(sb, &args)
}

#[test]
fn export_interrupted_then_resumed_equals_uninterrupted() {
    let sb = sandbox(6_000);
    let dir = tempfile::tempdir().unwrap();
    for ext in ["csv", "jsonl"] {
        let full = dir.path().join(format!("full.{ext}"));
        let o = export(&sb, &full, &[]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let expected = std::fs::read(&full).unwrap();
        assert!(expected.len() > 1000);

        // The 4th request fails at the transport level; no retries.
        sb.reset();
        sb.set_faults(FaultPlan::new().on_request(4, Fault::ConnectionReset));
        let part = dir.path().join(format!("part.{ext}"));
        let o = export(&sb, &part, &[]);
        assert_eq!(code(&o), 9, "{}", stderr(&o));
        assert!(!part.exists(), "renamed only on success");
        assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));

        // Without --resume, an interrupted export is not clobbered.
        let o = export(&sb, &part, &[]);
        assert_eq!(code(&o), 2, "{}", stderr(&o));

        sb.set_faults(FaultPlan::new());
        let o = export(&sb, &part, &["--resume"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(std::fs::read(&part).unwrap(), expected, "{ext}: same file");
        assert!(
            !dir.path()
                .join(format!("part.{ext}.checkpoint.json"))
                .exists()
        );
    }
}

#[test]
fn exit_codes_per_error_class() {
    let sb = Sandbox::start(SandboxConfig {
        calls: 500,
        limits: LimitsConfig {
            list_requests: 2,
            ..LimitsConfig::generous()
        },
        ..SandboxConfig::default()
    })
    .unwrap();
    // Validation: before any request.
    let o = velip(&sb, &["calls", "list", "--date-start", "2026-02-30"]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(stderr(&o).contains("--date-start"));
    assert!(sb.request_log().is_empty());

    // Authentication: one request, then a hint, never a retry.
    let bad = Command::new(BIN)
        .args([
            "--base-url",
            sb.url(),
            "calls",
            "list",
            "--campaign-id",
            "1",
        ])
        .env("VELIP_TOKEN", "wrong-token-0123456789abcdefgh")
        .output()
        .unwrap();
    assert_eq!(code(&bad), 4, "{}", stderr(&bad));
    assert_no_secret(&bad, "wrong-token-0123456789abcdefgh");
    assert_eq!(sb.request_log().len(), 1);
    insta::assert_snapshot!("auth_error", stderr(&bad));

    // Rate limited.
    sb.reset();
    let mut last = None;
    for _ in 0..3 {
        last = Some(velip(
            &sb,
            &[
                "calls", "list", RANGE[0], RANGE[1], RANGE[2], RANGE[3], "--limit", "1",
            ],
        ));
    }
    let o = last.unwrap();
    assert_eq!(code(&o), 6, "{}", stderr(&o));
    assert!(stderr(&o).contains("hint: retry after"), "{}", stderr(&o));

    // Usage: no credentials.
    let o = Command::new(BIN)
        .args([
            "--base-url",
            sb.url(),
            "calls",
            "list",
            "--campaign-id",
            "1",
        ])
        .env_remove("VELIP_TOKEN")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));

    // Server error.
    sb.reset();
    sb.set_faults(FaultPlan::new().on_request(1, Fault::ServerError(500)));
    let o = velip(&sb, &["call", "get", "42_1"]);
    assert_eq!(code(&o), 8, "{}", stderr(&o));

    // Transport: nothing listens.
    let o = Command::new(BIN)
        .args([
            "--base-url",
            "http://127.0.0.1:9",
            "--retries",
            "0",
            "call",
            "get",
            "42_1",
        ])
        .env("VELIP_TOKEN", "t".repeat(30))
        .output()
        .unwrap();
    assert_eq!(code(&o), 9, "{}", stderr(&o));
}

#[test]
fn decode_every_fixture() {
    let index = std::fs::read_to_string(fixtures().join("index.tsv")).unwrap();
    let mut shots = String::new();
    for line in index.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let file = line.split('\t').next().unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("decode").arg(fixtures().join(file));
        let o = cmd.output().unwrap();
        writeln!(
            shots,
            "## {file} (exit {})\n{}{}",
            code(&o),
            stdout(&o),
            stderr(&o)
        )
        .unwrap();
    }
    insta::assert_snapshot!("decode_fixtures", shots);

    // stdin and a broken body.
    let mut child = Command::new(BIN)
        .args(["decode", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"<html>502 Bad Gateway</html>").unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 10, "{}", stderr(&o));
    assert_eq!(
        stderr(&o).lines().count(),
        1,
        "one clear line: {}",
        stderr(&o)
    );
}

#[test]
fn push_to_webhook() {
    let sb = sandbox(500);
    let receiver = velip_sandbox::WebhookReceiver::start().unwrap();
    let push = |extra: &[&str]| {
        let mut args = vec![
            "calls",
            "push",
            "--campaign-id",
            "1007",
            "--page-size",
            "20",
            "--rurl",
            receiver.url(),
            "--rurl-type",
            "json",
            "--rurl-header",
            "X-Api-Key: k-1",
            "--rurl-user",
            "hook",
            "--rurl-password",
            "pw-secret-1",
        ];
        args.extend_from_slice(extra);
        velip(&sb, &args)
    };
    let o = push(&[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_no_secret(&o, "pw-secret-1");
    let text = stdout(&o);
    let pages = text.lines().filter(|l| l.starts_with("page ")).count();
    assert!(pages >= 2, "the whole selection, page by page: {text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with(&format!("pushed {pages} pages")),
        "{text}"
    );
    // Every call of the campaign was delivered, once per page.
    let expected = velip(
        &sb,
        &[
            "calls",
            "list",
            "--campaign-id",
            "1007",
            "--format",
            "jsonl",
        ],
    );
    let calls = stdout(&expected).lines().count();
    let got = receiver.wait_for(pages, Duration::from_secs(10));
    assert_eq!(got.len(), pages);
    let delivered: usize = got
        .iter()
        .map(|r| {
            velip_core::decode::decode_page(&r.body)
                .unwrap()
                .records
                .len()
        })
        .sum();
    assert_eq!(delivered, calls);

    // A push that fails mid-way resumes at the page that failed.
    sb.reset();
    sb.set_faults(FaultPlan::new().on_request(2, Fault::ConnectionReset));
    let before = receiver.requests().len();
    let o = push(&[]);
    assert_eq!(code(&o), 9, "{}", stderr(&o));
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));
    let o = push(&[]);
    assert_eq!(code(&o), 2, "a checkpoint exists: {}", stderr(&o));
    let o = push(&["--resume"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let got = receiver.wait_for(before + pages, Duration::from_secs(10));
    assert_eq!(
        got.len(),
        before + pages,
        "each page pushed once more, no page twice"
    );
}

#[test]
fn embedded_sandbox_needs_no_setup() {
    let o = Command::new(BIN)
        .args([
            "--sandbox",
            "--sandbox-calls",
            "1000",
            "calls",
            "list",
            "--format",
            "csv",
            "--limit",
            "2",
        ])
        .args(RANGE)
        .env_remove("VELIP_TOKEN")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
    assert!(!stderr(&o).contains(velip_sandbox::DEFAULT_TOKEN));
}

#[test]
fn bad_inputs_get_clear_errors_not_panics() {
    let sb = sandbox(500);
    for t in ["NaN", "inf", "0", "-1", "abc"] {
        let o = velip(&sb, &["--timeout", t, "call", "get", "1"]);
        assert_eq!(code(&o), 2, "--timeout {t}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
    // A header line without a colon is a validation error, before any request.
    let o = velip(
        &sb,
        &[
            "calls",
            "push",
            "--campaign-id",
            "1",
            "--rurl",
            "http://127.0.0.1:9/x",
            "--rurl-header",
            "NoColon",
        ],
    );
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(sb.request_log().is_empty());
    // `find` prints a JSON array whatever the number of matches.
    let list = velip(
        &sb,
        &[
            "calls", "list", "--format", "jsonl", "--limit", "1", RANGE[0], RANGE[1], RANGE[2],
            RANGE[3],
        ],
    );
    let rec: serde_json::Value =
        serde_json::from_str(stdout(&list).lines().next().unwrap()).unwrap();
    let ctid = rec["correlation_id"].as_str().unwrap();
    let o = velip(&sb, &["call", "find", "--ctid", ctid, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.is_array(), "{v}");
    let o = velip(&sb, &["call", "find", "--ctid", "no-such-ctid"]);
    assert_eq!(code(&o), 12);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    // A closed stderr and stdout never turn into a panic.
    let o = Command::new(BIN)
        .args(["--base-url", sb.url(), "calls", "list"])
        .args(RANGE)
        .env("VELIP_TOKEN", sb.token())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_ne!(o.code(), Some(101));
}

#[test]
fn resume_refuses_a_missing_or_short_partial_file() {
    let sb = sandbox(3_000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.csv");
    sb.set_faults(FaultPlan::new().on_request(3, Fault::ConnectionReset));
    let o = export(&sb, &out, &[]);
    assert_eq!(code(&o), 9, "{}", stderr(&o));
    sb.set_faults(FaultPlan::new());
    let partial = dir.path().join("x.csv.partial");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&partial)
        .unwrap()
        .set_len(10)
        .unwrap();
    let o = export(&sb, &out, &["--resume"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("shorter than its checkpoint"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_file(&partial).unwrap();
    let o = export(&sb, &out, &["--resume"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn pt_br_exports_start_with_a_bom_and_use_commas() {
    let sb = sandbox(500);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pt.csv");
    let o = export(&sb, &out, &["--csv-locale", "pt-BR"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with("\u{feff}call_id;status;"),
        "{}",
        &text[..40]
    );
    assert!(
        text.lines().nth(1).unwrap().contains(",0"),
        "decimal commas"
    );
}

#[test]
fn decode_reads_a_plain_text_php_notice_before_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("body.txt");
    let body = std::fs::read_to_string(fixtures().join("list_documented.json")).unwrap();
    std::fs::write(
        &f,
        format!("\nNotice: Undefined variable $x in /var/www/a.php on line 88\n{body}"),
    )
    .unwrap();
    let o = Command::new(BIN).arg("decode").arg(&f).output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("\"call_id\":\"9876545\""));
}

/// A server that answers every request with these raw bytes (bounded: it
/// stops after `n` connections).
fn raw_server(answer: &'static str, n: usize) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let _ = s.write_all(answer.as_bytes());
        }
    });
    url
}

/// One rule for what an answer means: the bytes a proxy sends, seen live by
/// the client and saved then given to `velip decode` with their status and
/// headers, give the same error, exit code and Retry-After.
#[test]
fn decode_with_http_status_classifies_as_the_client_does() {
    let dir = tempfile::tempdir().unwrap();
    for (status, reason) in [
        (429, "Too Many Requests"),
        (502, "Bad Gateway"),
        (401, "Unauthorized"),
    ] {
        let body = format!("<html><body><h1>{status} {reason}</h1></body></html>");
        let answer: &'static str = Box::leak(
            format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html\r\nRetry-After: 5\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        );
        let url = raw_server(answer, 1);
        let live = Command::new(BIN)
            .args(["--base-url", &url, "--retries", "0", "--timeout", "10"])
            .args(["call", "get", "1000001"])
            .env("VELIP_TOKEN", "T".repeat(30))
            .env("VELIP_STATE_DIR", "off")
            .env_remove("VELIP_BASE_URL")
            .output()
            .unwrap();
        let saved = dir.path().join(format!("{status}.html"));
        std::fs::write(&saved, &body).unwrap();
        let decoded = Command::new(BIN)
            .args([
                "decode",
                "--http-status",
                &status.to_string(),
                "--retry-after",
                "5",
            ])
            .args(["--content-type", "text/html"])
            .arg(&saved)
            .output()
            .unwrap();
        assert_eq!(
            code(&live),
            code(&decoded),
            "HTTP {status}: {} / {}",
            stderr(&live),
            stderr(&decoded)
        );
        let error_line = |o: &Output| {
            stderr(o)
                .lines()
                .find(|l| l.starts_with("error: "))
                .map(ToOwned::to_owned)
                .unwrap_or_default()
        };
        let (l, d) = (error_line(&live), error_line(&decoded));
        assert!(
            !d.is_empty() && l.contains(d.trim_start_matches("error: ")),
            "HTTP {status}:\n{l}\n{d}"
        );
        if status == 429 {
            assert!(d.contains("retry after 5 s"), "{d}");
        }
    }
}

#[test]
fn decode_refuses_form_with_an_http_status() {
    let o = Command::new(BIN)
        .args(["decode", "--form", "--http-status", "200", "-"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}
