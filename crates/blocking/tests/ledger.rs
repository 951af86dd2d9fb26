//! The ledger on its own (one process): the sliding window, the daily cap,
//! `Retry-After` deadlines, lock-outs, fingerprints, waits, threads racing,
//! and no secret in any file.

mod ledger_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use velip_blocking::ledger::{
    Answer, Clock, Credential, Ledger, Limits, Refusal, Scope, Storage, WaitError,
};
use velip_core::Secret;

use ledger_support::{ManualClock, OTHER_TOKEN, TOKEN, account, files_under, url, velip};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn small(requests: u32, window: u64) -> Limits {
    Limits::default().with_list_quota(requests, secs(window))
}

#[test]
fn handles_are_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Ledger>();
    send_sync::<velip_blocking::ledger::Account>();
    send_sync::<velip_blocking::ledger::Permit>();
    send_sync::<Refusal>();
}

#[test]
fn sliding_window_counts_and_frees_the_oldest_slot() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::morning();
    let ledger = Ledger::in_folder(dir.path()).with_clock(clock.clone());
    let a = account(&ledger, &velip(), TOKEN, small(3, 10));
    let t0 = clock.now();
    for _ in 0..3 {
        let p = a.ask(Scope::List).unwrap();
        a.tell(p, Answer::Ok);
        clock.advance(secs(1));
    }
    // At t0+3: three in the window; the next fits when the first leaves.
    match a.ask(Scope::List) {
        Err(Refusal::QuotaExhausted {
            scope: Scope::List,
            used: 3,
            limit: 3,
            free_at,
        }) => assert_eq!(free_at, t0 + secs(10)),
        other => panic!("{other:?}"),
    }
    clock.advance(secs(7)); // t0+10: the first has left.
    let p = a.ask(Scope::List).unwrap();
    a.tell(p, Answer::Ok);
    let r = a.report().unwrap();
    assert_eq!((r.list.used, r.list.limit), (3, 3));
    assert_eq!(r.list.oldest_expires_at, Some(t0 + secs(11)));
    assert!(matches!(
        a.ask(Scope::List),
        Err(Refusal::QuotaExhausted { .. })
    ));
    // Point lookups are another quota.
    a.tell(a.ask(Scope::Lookup).unwrap(), Answer::Ok);
}

#[test]
fn a_slot_is_held_until_the_answer_arrives() {
    // The service counts a request somewhere between sending and answering;
    // the slot frees a window after the answer.
    let clock = ManualClock::morning();
    let ledger = Ledger::in_memory().with_clock(clock.clone());
    let a = account(&ledger, &velip(), TOKEN, small(1, 10));
    let p = a.ask(Scope::List).unwrap();
    clock.advance(secs(4)); // a slow answer
    a.tell(p, Answer::Ok);
    let answered = clock.now();
    match a.ask(Scope::List) {
        Err(Refusal::QuotaExhausted { free_at, .. }) => assert_eq!(free_at, answered + secs(10)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn not_sent_gives_the_slot_back_and_reclassify_moves_it() {
    let ledger = Ledger::in_memory().with_clock(ManualClock::morning());
    let a = account(&ledger, &velip(), TOKEN, small(1, 3600));
    a.tell(a.ask(Scope::List).unwrap(), Answer::NotSent);
    assert_eq!(a.report().unwrap().list.used, 0);
    // A ctid lookup is asked as a list request; one call matched.
    let mut p = a.ask(Scope::List).unwrap();
    p.reclassify(Scope::Lookup);
    a.tell(p, Answer::Ok);
    let r = a.report().unwrap();
    assert_eq!((r.list.used, r.lookups.used), (0, 1));
}

#[test]
fn list_retry_after_blocks_until_its_deadline_and_is_not_counted() {
    let clock = ManualClock::morning();
    let ledger = Ledger::in_memory().with_clock(clock.clone());
    let a = account(&ledger, &velip(), TOKEN, Limits::default());
    let p = a.ask(Scope::List).unwrap();
    a.tell(
        p,
        Answer::RateLimited {
            scope: Some(Scope::List),
            retry_after: Some(secs(30)),
        },
    );
    let until = clock.now() + secs(30);
    assert_eq!(
        a.ask(Scope::List).unwrap_err(),
        Refusal::RetryAfterPending {
            scope: Scope::List,
            until
        }
    );
    let r = a.report().unwrap();
    assert_eq!(r.list.used, 0);
    assert_eq!(r.retry_after, vec![(Scope::List, until)]);
    // Lookups are not blocked by a list 429.
    a.tell(a.ask(Scope::Lookup).unwrap(), Answer::Ok);
    clock.advance(secs(30));
    a.tell(a.ask(Scope::List).unwrap(), Answer::Ok);
    // A 429 without Retry-After: 60 s.
    let p = a.ask(Scope::List).unwrap();
    a.tell(
        p,
        Answer::RateLimited {
            scope: None,
            retry_after: None,
        },
    );
    assert_eq!(
        a.ask(Scope::List).unwrap_err().free_at(),
        Some(clock.now() + secs(60))
    );
}

#[test]
fn daily_cap_is_learned_from_the_first_daily_429() {
    let clock = ManualClock::morning(); // 10:00 in São Paulo
    let ledger = Ledger::in_memory().with_clock(clock.clone());
    let a = account(&ledger, &velip(), TOKEN, Limits::default());
    for _ in 0..5 {
        a.tell(a.ask(Scope::Lookup).unwrap(), Answer::Ok);
    }
    assert_eq!(a.report().unwrap().lookups.limit, None);
    let p = a.ask(Scope::Lookup).unwrap();
    a.tell(
        p,
        Answer::RateLimited {
            scope: Some(Scope::Lookup),
            retry_after: None,
        },
    );
    let midnight = clock.now() + secs(14 * 3600);
    let r = a.report().unwrap();
    assert_eq!((r.lookups.used, r.lookups.limit), (5, Some(5)));
    let today = r.lookups.day;
    assert_eq!(r.lookups.learned, Some((today, 5)));
    assert_eq!(a.ask(Scope::Lookup).unwrap_err().free_at(), Some(midnight));
    // List requests go on.
    a.tell(a.ask(Scope::List).unwrap(), Answer::Ok);
    // A new day in São Paulo: the count restarts, the cap is unknown again.
    clock.advance(secs(14 * 3600));
    a.tell(a.ask(Scope::Lookup).unwrap(), Answer::Ok);
    let r = a.report().unwrap();
    assert_eq!((r.lookups.used, r.lookups.limit), (1, None));
    assert_eq!(r.lookups.learned, Some((today, 5)));
}

#[test]
fn a_learned_cap_ends_with_an_earlier_retry_after() {
    let clock = ManualClock::morning();
    let ledger = Ledger::in_memory().with_clock(clock.clone());
    let a = account(&ledger, &velip(), TOKEN, Limits::default());
    a.tell(a.ask(Scope::Lookup).unwrap(), Answer::Ok);
    a.tell(
        a.ask(Scope::Lookup).unwrap(),
        Answer::RateLimited {
            scope: Some(Scope::Lookup),
            retry_after: Some(secs(3600)),
        },
    );
    assert!(a.ask(Scope::Lookup).is_err());
    clock.advance(secs(3600));
    // The service said an hour, not midnight: its cap grew.
    a.tell(a.ask(Scope::Lookup).unwrap(), Answer::Ok);
    assert_eq!(a.report().unwrap().lookups.used, 2);
}

#[test]
fn configured_daily_cap_is_enforced_until_midnight() {
    let clock = ManualClock::morning();
    let ledger = Ledger::in_memory().with_clock(clock.clone());
    let a = account(
        &ledger,
        &velip(),
        TOKEN,
        Limits::default().with_daily_lookups(Some(2)),
    );
    for _ in 0..2 {
        a.tell(a.ask(Scope::Lookup).unwrap(), Answer::Ok);
    }
    assert_eq!(
        a.ask(Scope::Lookup).unwrap_err(),
        Refusal::QuotaExhausted {
            scope: Scope::Lookup,
            used: 2,
            limit: 2,
            free_at: clock.now() + secs(14 * 3600)
        }
    );
}

#[test]
fn lockout_holds_until_reset_and_only_for_those_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::morning();
    let ledger = Ledger::in_folder(dir.path()).with_clock(clock.clone());
    let a = account(&ledger, &velip(), TOKEN, Limits::default());
    let p = a.ask(Scope::List).unwrap();
    a.tell(
        p,
        Answer::AuthenticationFailed {
            code: "102",
            message: "SID not found",
        },
    );
    let since = clock.now();
    // Another handle on the same folder (a new client, a later run).
    let again = account(
        &Ledger::in_folder(dir.path()),
        &velip(),
        TOKEN,
        Limits::default(),
    );
    for scope in [Scope::List, Scope::Lookup] {
        assert_eq!(
            again.ask(scope).unwrap_err(),
            Refusal::LockedOut {
                since,
                code: "102".into(),
                message: "SID not found".into()
            }
        );
    }
    let refusal = again.ask(Scope::List).unwrap_err();
    assert!(refusal.is_locked_out() && refusal.free_at().is_none());
    assert!(
        refusal.to_string().contains("code 102: SID not found"),
        "{refusal}"
    );
    // A changed token is not locked out; the same token on another host neither.
    let other = account(&ledger, &velip(), OTHER_TOKEN, Limits::default());
    other.tell(other.ask(Scope::List).unwrap(), Answer::Ok);
    let elsewhere = account(
        &ledger,
        &url("http://127.0.0.1:9"),
        TOKEN,
        Limits::default(),
    );
    elsewhere.tell(elsewhere.ask(Scope::List).unwrap(), Answer::Ok);

    let report = again.report().unwrap();
    assert_eq!(report.lockout.as_ref().unwrap().code, "102");
    assert!(again.reset_lockout());
    assert!(!again.reset_lockout());
    again.tell(again.ask(Scope::List).unwrap(), Answer::Ok);
}

#[test]
fn fingerprints_differ_by_token_host_port_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::in_folder(dir.path());
    let fp = |l: &Ledger, u: &str, t: &str| {
        account(l, &url(u), t, Limits::default())
            .fingerprint()
            .clone()
    };
    let base = fp(&ledger, "https://vox.velip.com.br", TOKEN);
    // Stable: same folder (same key), another handle; path and default port don't matter.
    assert_eq!(
        base,
        fp(
            &Ledger::in_folder(dir.path()),
            "https://vox.velip.com.br:443/x",
            TOKEN
        )
    );
    assert_ne!(base, fp(&ledger, "https://vox.velip.com.br", OTHER_TOKEN));
    assert_ne!(base, fp(&ledger, "https://other.velip.com.br", TOKEN));
    assert_ne!(base, fp(&ledger, "https://vox.velip.com.br:8443", TOKEN));
    let basic = ledger
        .account(
            &velip(),
            Credential::Basic {
                user: "ana",
                password: &Secret::new(TOKEN),
            },
            Limits::default(),
        )
        .fingerprint()
        .clone();
    assert_ne!(base, basic);
    // Another user's folder holds another key.
    let dir2 = tempfile::tempdir().unwrap();
    assert_ne!(
        base,
        fp(
            &Ledger::in_folder(dir2.path()),
            "https://vox.velip.com.br",
            TOKEN
        )
    );
    assert_eq!(base.as_hex().len(), 64);
    assert_eq!(base.to_string(), base.as_hex()[..12]);
}

#[test]
fn no_secret_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::in_folder(dir.path());
    let password = "hunter2-basic-password-0123456";
    let (prefix, pw_prefix) = (&TOKEN[..10], &password[..10]);
    let a = account(&ledger, &velip(), TOKEN, Limits::default());
    // The service's message quotes the token and the prefix its logs show.
    let message = format!("token {TOKEN} ({prefix}...) refused");
    a.tell(
        a.ask(Scope::List).unwrap(),
        Answer::AuthenticationFailed {
            code: "100",
            message: &message,
        },
    );
    let b = ledger.account(
        &velip(),
        Credential::Basic {
            user: "ana",
            password: &Secret::new(password),
        },
        Limits::default(),
    );
    let message = format!("user ana password {password} ({pw_prefix}) refused");
    b.tell(
        b.ask(Scope::Lookup).unwrap(),
        Answer::AuthenticationFailed {
            code: "140",
            message: &message,
        },
    );
    let lockout = a.report().unwrap().lockout.unwrap();
    assert_eq!(lockout.message, "token *** (***...) refused");
    let lockout = b.report().unwrap().lockout.unwrap();
    assert_eq!(lockout.message, "user ana password *** (***) refused");
    assert!(!format!("{a:?}{b:?}").contains(prefix));
    assert!(!format!("{a:?}{b:?}").contains(pw_prefix));
    let files = files_under(dir.path());
    assert!(files.len() >= 3, "{files:?}");
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for needle in [TOKEN, prefix, password, pw_prefix] {
            assert!(!text.contains(needle), "{} holds {needle:?}", f.display());
        }
    }
}

#[cfg(unix)]
#[test]
fn folder_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state").join("velip");
    let ledger = Ledger::in_folder(&state);
    let a = account(&ledger, &velip(), TOKEN, Limits::default());
    a.tell(a.ask(Scope::List).unwrap(), Answer::Ok);
    assert_eq!(ledger_support::mode(&state), 0o700);
    for f in files_under(&state) {
        assert_eq!(ledger_support::mode(&f), 0o600, "{}", f.display());
    }
    let names: Vec<String> = files_under(&state)
        .iter()
        .map(|p| p.strip_prefix(&state).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "fingerprint.key",
            "fingerprint.lock",
            "ledger/vox.velip.com.br_443.json",
            "ledger/vox.velip.com.br_443.lock"
        ]
    );
}

#[test]
fn disabled_ledger_lets_everything_through_and_writes_nothing() {
    let ledger = Ledger::disabled();
    assert_eq!(ledger.storage(), Storage::Disabled);
    let a = account(&ledger, &velip(), TOKEN, small(1, 3600));
    for _ in 0..5 {
        let p = a.ask(Scope::List).unwrap();
        assert_eq!(p.counted_at(), None);
        a.tell(
            p,
            Answer::AuthenticationFailed {
                code: "100",
                message: "x",
            },
        );
    }
    assert!(a.report().is_none());
    assert!(ledger.snapshot().is_empty());
}

#[test]
fn snapshot_and_reset_all() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::in_folder(dir.path());
    let a = account(&ledger, &velip(), TOKEN, small(50, 60));
    let b = account(&ledger, &velip(), OTHER_TOKEN, small(50, 60));
    let c = account(
        &ledger,
        &url("http://127.0.0.1:8080"),
        TOKEN,
        Limits::default(),
    );
    a.tell(a.ask(Scope::List).unwrap(), Answer::Ok);
    b.tell(
        b.ask(Scope::List).unwrap(),
        Answer::AuthenticationFailed {
            code: "102",
            message: "SID not found",
        },
    );
    c.tell(
        c.ask(Scope::Lookup).unwrap(),
        Answer::AuthenticationFailed {
            code: "140",
            message: "bad",
        },
    );
    let snap = ledger.snapshot();
    let hosts: Vec<&str> = snap.iter().map(|r| r.host.as_str()).collect();
    assert_eq!(
        hosts,
        [
            "127.0.0.1:8080",
            "vox.velip.com.br:443",
            "vox.velip.com.br:443"
        ]
    );
    let velip_rows: Vec<_> = snap.iter().filter(|r| r.host.starts_with("vox")).collect();
    // The list quota is the host's: both credentials see both requests.
    assert!(
        velip_rows
            .iter()
            .all(|r| r.list.used == 2 && r.list.limit == 50)
    );
    assert_eq!(snap.iter().filter(|r| r.lockout.is_some()).count(), 2);
    assert_eq!(ledger.reset_all(), 2);
    assert!(ledger.snapshot().iter().all(|r| r.lockout.is_none()));
    assert_eq!(ledger.reset_all(), 0);
}

#[test]
fn threads_racing_never_exceed_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::morning();
    let ledger = Ledger::in_folder(dir.path()).with_clock(clock.clone());
    let granted = Arc::new(AtomicUsize::new(0));
    for round in 1..=2 {
        std::thread::scope(|s| {
            for _ in 0..4 {
                let a = account(&ledger, &velip(), TOKEN, small(15, 60));
                let granted = Arc::clone(&granted);
                s.spawn(move || {
                    for _ in 0..10 {
                        if let Ok(p) = a.ask(Scope::List) {
                            granted.fetch_add(1, Ordering::Relaxed);
                            a.tell(p, Answer::Ok);
                        }
                    }
                });
            }
        });
        // 40 asks while time stands still: exactly the 15 slots.
        assert_eq!(granted.load(Ordering::Relaxed), 15 * round);
        clock.advance(secs(60));
    }
}

#[test]
fn ask_waiting_sleeps_until_a_slot_frees_reporting_progress() {
    let clock = ManualClock::morning();
    let ledger = Ledger::in_memory().with_clock(clock.clone());
    let a = account(&ledger, &velip(), TOKEN, small(2, 10));
    let t0 = clock.now();
    for _ in 0..2 {
        a.tell(a.ask(Scope::List).unwrap(), Answer::Ok);
    }
    // Longer than the wait allows: refused at once, no time spent.
    let r = a.ask_waiting(Scope::List, secs(5), &|| false, &mut |_, _| {
        panic!("no wait")
    });
    assert!(matches!(
        r,
        Err(WaitError::Refused(Refusal::QuotaExhausted { .. }))
    ));
    assert_eq!(clock.now(), t0);
    // Within it: waits exactly until the slot frees.
    let mut reports = Vec::new();
    let p = a
        .ask_waiting(Scope::List, secs(60), &|| false, &mut |why, w| {
            assert!(matches!(
                why,
                Refusal::QuotaExhausted {
                    used: 2,
                    limit: 2,
                    ..
                }
            ));
            reports.push(w.remaining);
        })
        .unwrap();
    assert_eq!(clock.now(), t0 + secs(10));
    assert_eq!(p.counted_at(), Some(t0 + secs(10)));
    assert_eq!(reports.first(), Some(&secs(10)));
    assert!((9..=11).contains(&reports.len()), "{reports:?}"); // about once a second
    a.tell(p, Answer::Ok);
}

#[test]
fn ask_waiting_is_interruptible_and_never_waits_out_a_lockout() {
    let clock = ManualClock::morning();
    let ledger = Ledger::in_memory().with_clock(clock.clone());
    let a = account(&ledger, &velip(), TOKEN, small(1, 3600));
    a.tell(a.ask(Scope::List).unwrap(), Answer::Ok);
    let polls = AtomicUsize::new(0);
    let t0 = clock.now();
    let r = a.ask_waiting(
        Scope::List,
        secs(7200),
        &|| polls.fetch_add(1, Ordering::Relaxed) >= 25,
        &mut |_, _| {},
    );
    assert_eq!(r.unwrap_err(), WaitError::Interrupted);
    // Polled every 100 ms: interrupted about 2.4 s in.
    let waited = clock.now().duration_since(t0).unwrap();
    assert!(waited <= secs(3), "{waited:?}");

    let b = account(&ledger, &velip(), OTHER_TOKEN, Limits::default());
    b.tell(
        b.ask(Scope::Lookup).unwrap(),
        Answer::AuthenticationFailed {
            code: "199",
            message: "IP blocked",
        },
    );
    let r = b.ask_waiting(Scope::Lookup, secs(7200), &|| false, &mut |_, _| panic!());
    assert!(matches!(
        r,
        Err(WaitError::Refused(Refusal::IpBanned { .. }))
    ));
}

#[test]
fn wait_until_with_the_real_clock_is_interruptible() {
    let ledger = Ledger::disabled();
    let start = std::time::Instant::now();
    let calls = AtomicUsize::new(0);
    let r = ledger.wait_until(
        std::time::SystemTime::now() + secs(30),
        &|| calls.fetch_add(1, Ordering::Relaxed) == 2,
        &mut |_| {},
    );
    assert!(r.is_err());
    assert!(start.elapsed() < secs(5));
}

/// The service's ban counters are per IP: failures with different
/// credentials add up, so after five in ten minutes nothing more is sent to
/// the host with any credentials (the good ones too), until the oldest
/// leaves the window or the lock-out is cleared.
#[test]
fn authentication_failures_with_many_credentials_stop_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::morning();
    let ledger = Ledger::in_folder(dir.path()).with_clock(clock.clone());
    for i in 0..5 {
        let bad = format!("BADTOKEN{i:02}secretsecret00xyzab");
        let a = account(&ledger, &velip(), &bad, Limits::default());
        let p = a.ask(Scope::Lookup).unwrap();
        a.tell(
            p,
            Answer::AuthenticationFailed {
                code: "102",
                message: "SID not found",
            },
        );
        clock.advance(secs(10));
    }
    let good = account(&ledger, &velip(), TOKEN, Limits::default());
    let refused = good.ask(Scope::List).unwrap_err();
    assert!(refused.is_locked_out(), "{refused}");
    assert!(
        matches!(refused, Refusal::TooManyAuthFailures { failures: 5, .. }),
        "{refused}"
    );
    assert!(
        refused
            .to_string()
            .contains("5 authentication failures from this machine"),
        "{refused}"
    );
    // The oldest leaves the ten-minute window: one more may be sent.
    clock.advance(secs(600 - 40));
    let p = good.ask(Scope::List).unwrap();
    good.tell(p, Answer::Ok);
    // Cleared by a reset too (three failures are still in the window: two
    // more make five).
    for i in 0..2 {
        let a = account(
            &ledger,
            &velip(),
            &format!("OTHERBAD{i:02}secretsecret00xyzab"),
            Limits::default(),
        );
        let p = a.ask(Scope::Lookup).unwrap();
        a.tell(
            p,
            Answer::AuthenticationFailed {
                code: "102",
                message: "SID not found",
            },
        );
    }
    assert!(good.ask(Scope::List).is_err());
    assert!(good.reset_lockout());
    assert!(good.ask(Scope::List).is_ok());
}

/// Code 199 bans the IP: every credential on the host is refused, also in
/// later processes, until cleared.
#[test]
fn an_ip_ban_refuses_every_credential_on_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::morning();
    let ledger = Ledger::in_folder(dir.path()).with_clock(clock.clone());
    let a = account(&ledger, &velip(), OTHER_TOKEN, Limits::default());
    let p = a.ask(Scope::List).unwrap();
    a.tell(
        p,
        Answer::AuthenticationFailed {
            code: "199",
            message: "IP blocked",
        },
    );
    let later = Ledger::in_folder(dir.path()).with_clock(clock.clone());
    let good = account(&later, &velip(), TOKEN, Limits::default());
    let refused = good.ask(Scope::Lookup).unwrap_err();
    assert!(matches!(refused, Refusal::IpBanned { .. }), "{refused}");
    assert!(refused.is_locked_out() && refused.free_at().is_none());
    assert!(
        refused.to_string().contains("banned this machine's IP"),
        "{refused}"
    );
    clock.advance(secs(86_400));
    assert!(
        good.ask(Scope::List).is_err(),
        "a ban does not pass by itself"
    );
    assert!(good.reset_lockout());
    assert!(good.ask(Scope::List).is_ok());
}
