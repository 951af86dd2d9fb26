//! Processes sharing one ledger: the quota is never exceeded in any window,
//! a lock-out made in one process stops the others, and the environment
//! picks the folder (`VELIP_STATE_DIR`, `off`, `XDG_STATE_HOME`).
//!
//! The children are this test binary run again with `VELIP_LEDGER_CHILD`
//! naming what to do (see [`child`]); they print `RESULT ...` lines.

mod ledger_support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use velip_blocking::ledger::{Answer, Ledger, Limits, Refusal, Scope, Storage};

use ledger_support::{OTHER_TOKEN, TOKEN, account, velip};

const CHILD_ENV: &str = "VELIP_LEDGER_CHILD";
const DIR_ENV: &str = "VELIP_LEDGER_TEST_DIR";
const TOKEN_ENV: &str = "VELIP_LEDGER_TEST_TOKEN";

/// The quota of the race: 4 list requests per second (the shortest window
/// `Limits` takes).
const RACE_LIMIT: u32 = 4;
const RACE_WINDOW: Duration = Duration::from_secs(1);
/// How long each racer keeps taking slots.
const RACE_FOR: Duration = Duration::from_millis(2500);

fn ms(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

/// Runs this binary's `child` test with `mode`; its `RESULT` lines.
fn run_child(mode: &str, envs: &[(&str, &str)], remove: &[&str]) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .stdout(std::process::Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    for k in remove {
        cmd.env_remove(k);
    }
    cmd.spawn().unwrap()
}

fn results(child: std::process::Child) -> Vec<String> {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "child failed: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        // The harness may print `test child ... ` on the same line.
        .filter_map(|l| l.find("RESULT ").map(|i| l[i + 7..].to_owned()))
        .collect()
}

fn dir_env(dir: &Path) -> (&'static str, &str) {
    (DIR_ENV, dir.to_str().unwrap())
}

/// The child side. Without `VELIP_LEDGER_CHILD` (a normal test run) it
/// does nothing.
#[test]
fn child() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let token = std::env::var(TOKEN_ENV).unwrap_or_else(|_| TOKEN.to_owned());
    let folder = || Ledger::in_folder(std::env::var(DIR_ENV).unwrap());
    match mode.as_str() {
        // Take list slots for RACE_FOR; print when each was counted.
        "race" => {
            let a = account(
                &folder(),
                &velip(),
                &token,
                Limits::default().with_list_quota(RACE_LIMIT, RACE_WINDOW),
            );
            let start = Instant::now();
            for _ in 0..10_000 {
                if start.elapsed() > RACE_FOR {
                    break;
                }
                match a.ask(Scope::List) {
                    Ok(p) => {
                        println!("RESULT {}", ms(p.counted_at().unwrap()));
                        std::thread::sleep(Duration::from_millis(3)); // in flight
                        a.tell(p, Answer::Ok);
                    }
                    Err(Refusal::QuotaExhausted { free_at, .. }) => {
                        let wait = free_at
                            .duration_since(SystemTime::now())
                            .unwrap_or_default();
                        std::thread::sleep(wait.min(Duration::from_millis(50)));
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        }
        // Fail authentication once.
        "fail-auth" => {
            let a = account(&folder(), &velip(), &token, Limits::default());
            let p = a.ask(Scope::List).unwrap();
            a.tell(
                p,
                Answer::AuthenticationFailed {
                    code: "102",
                    message: "SID not found",
                },
            );
            println!("RESULT failed");
        }
        // Ask once, with the ledger the environment names.
        "ask-env" => {
            let ledger = Ledger::from_env();
            let storage = match ledger.storage() {
                Storage::Folder(d) => format!("folder {}", d.display()),
                other => format!("{other:?}"),
            };
            println!("RESULT storage {storage}");
            let a = account(&ledger, &velip(), &token, Limits::default());
            match a.ask(Scope::List) {
                Ok(p) => {
                    println!("RESULT send counted={}", p.counted_at().is_some());
                    a.tell(p, Answer::Ok);
                }
                Err(r @ Refusal::LockedOut { .. }) => println!("RESULT locked {r}"),
                Err(r) => println!("RESULT refused {r}"),
            }
        }
        other => panic!("unknown child mode {other}"),
    }
}

#[test]
fn two_processes_never_exceed_the_quota_in_any_window() {
    let dir = tempfile::tempdir().unwrap();
    let racers: Vec<_> = [TOKEN, OTHER_TOKEN]
        .iter()
        .map(|t| run_child("race", &[dir_env(dir.path()), (TOKEN_ENV, t)], &[]))
        .collect();
    let per_child: Vec<Vec<u64>> = racers
        .into_iter()
        .map(|c| results(c).iter().map(|l| l.parse().unwrap()).collect())
        .collect();
    // Both took slots (the quota is the host's: different tokens share it).
    assert!(per_child.iter().all(|g| !g.is_empty()), "{per_child:?}");
    let mut all: Vec<u64> = per_child.concat();
    all.sort_unstable();
    let window = u64::try_from(RACE_WINDOW.as_millis()).unwrap();
    for (i, &t) in all.iter().enumerate() {
        // Grants in the window (t - W, t]: at most the limit.
        let in_window = all[..=i].iter().filter(|&&g| g + window > t).count();
        assert!(
            in_window <= RACE_LIMIT as usize,
            "{in_window} requests in the {window} ms up to {t}: {all:?}"
        );
    }
    // And the quota was used, not starved: at least the first window full.
    assert!(all.len() >= RACE_LIMIT as usize, "{all:?}");
}

#[test]
fn a_lockout_in_one_process_stops_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let dir_env = dir_env(dir.path());
    let envs = [(STATE_DIR, dir_env.1)];
    assert_eq!(results(run_child("fail-auth", &[dir_env], &[])), ["failed"]);
    // Three later runs with the same token send nothing.
    for _ in 0..3 {
        let r = results(run_child("ask-env", &envs, &[]));
        assert!(
            r[1].starts_with("locked these credentials failed authentication"),
            "{r:?}"
        );
        assert!(r[1].contains("code 102"), "{r:?}");
    }
    // Another token goes through.
    let r = results(run_child(
        "ask-env",
        &[envs[0], (TOKEN_ENV, OTHER_TOKEN)],
        &[],
    ));
    assert_eq!(r[1], "send counted=true");
    // Cleared here, the next run sends again.
    let a = account(
        &Ledger::in_folder(dir.path()),
        &velip(),
        TOKEN,
        Limits::default(),
    );
    assert!(a.reset_lockout());
    assert_eq!(
        results(run_child("ask-env", &envs, &[]))[1],
        "send counted=true"
    );
}

const STATE_DIR: &str = velip_blocking::ledger::STATE_DIR_ENV;

#[test]
fn the_environment_names_the_folder_or_turns_the_ledger_off() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let r = results(run_child("ask-env", &[(STATE_DIR, d)], &[]));
    assert_eq!(
        r,
        [
            format!("storage folder {d}"),
            "send counted=true".to_owned()
        ]
    );

    let off = results(run_child("ask-env", &[(STATE_DIR, "off")], &[]));
    assert_eq!(off, ["storage Disabled", "send counted=false"]);

    let xdg = dir.path().join("xdg");
    let r = results(run_child(
        "ask-env",
        &[("XDG_STATE_HOME", xdg.to_str().unwrap())],
        &[STATE_DIR],
    ));
    let expected = xdg.join("velip");
    assert_eq!(r[0], format!("storage folder {}", expected.display()));
    assert!(
        expected
            .join("ledger")
            .join("vox.velip.com.br_443.json")
            .is_file()
    );
    #[cfg(unix)]
    assert_eq!(ledger_support::mode(&expected), 0o700);

    let home = dir.path().join("home");
    let r = results(run_child(
        "ask-env",
        &[("HOME", home.to_str().unwrap())],
        &[STATE_DIR, "XDG_STATE_HOME"],
    ));
    let expected = home.join(".local").join("state").join("velip");
    assert_eq!(r[0], format!("storage folder {}", expected.display()));
    assert!(expected.join("fingerprint.key").is_file());
}
