//! The ledger never stops a job: a torn or unreadable file is rebuilt with a
//! warning; a folder that cannot be made, locked or written turns the ledger
//! into this process's memory with one warning (and still honours the
//! lock-outs it could read).

mod ledger_support;

use std::path::Path;
use std::sync::{Mutex, Once};

use velip_blocking::ledger::{Answer, Ledger, Limits, Refusal, Scope, Storage};

use ledger_support::{TOKEN, account, velip};

struct Capture(Mutex<Vec<(log::Level, String, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap().push((
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture(Mutex::new(Vec::new()));

/// Warnings (target `velip`) naming `path`, so parallel tests do not mix.
fn warnings_about(path: &Path) -> Vec<String> {
    let p = path.display().to_string();
    LOGGER
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(level, target, msg)| {
            *level == log::Level::Warn && target == "velip" && msg.contains(&p)
        })
        .map(|(_, _, m)| m.clone())
        .collect()
}

fn install_logger() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        log::set_logger(&LOGGER).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

fn json(dir: &Path) -> std::path::PathBuf {
    dir.join("ledger").join("vox.velip.com.br_443.json")
}

fn lock_out(ledger: &Ledger) {
    let a = account(ledger, &velip(), TOKEN, Limits::default());
    a.tell(
        a.ask(Scope::List).unwrap(),
        Answer::AuthenticationFailed {
            code: "102",
            message: "SID not found",
        },
    );
}

#[test]
fn torn_or_garbage_file_is_rebuilt_with_a_warning() {
    install_logger();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::in_folder(dir.path());
    let a = account(&ledger, &velip(), TOKEN, Limits::default());
    a.tell(a.ask(Scope::List).unwrap(), Answer::Ok);
    let path = json(dir.path());
    let whole = std::fs::read(&path).unwrap();
    for broken in [
        &whole[..whole.len() / 2],
        b"\x00\xffgarbage".as_slice(),
        b"",
    ] {
        std::fs::write(&path, broken).unwrap();
        let before = warnings_about(&path).len();
        // Not blocked: the request goes out, and is counted in a fresh file.
        let p = a.ask(Scope::List).unwrap();
        a.tell(p, Answer::Ok);
        let w = warnings_about(&path);
        assert_eq!(w.len(), before + 1, "{w:?}");
        assert!(w.last().unwrap().contains("unreadable"), "{w:?}");
        assert_eq!(a.report().unwrap().list.used, 1);
        assert_eq!(ledger.storage(), Storage::Folder(dir.path().to_owned()));
    }
    // A file of another version is rebuilt too.
    std::fs::write(&path, br#"{"version":99,"host":"vox.velip.com.br:443"}"#).unwrap();
    a.tell(a.ask(Scope::List).unwrap(), Answer::Ok);
    assert!(warnings_about(&path).last().unwrap().contains("version 99"));
}

#[test]
fn corrupt_key_is_replaced_with_a_warning() {
    install_logger();
    let dir = tempfile::tempdir().unwrap();
    let first = account(
        &Ledger::in_folder(dir.path()),
        &velip(),
        TOKEN,
        Limits::default(),
    )
    .fingerprint()
    .clone();
    let key = dir.path().join("fingerprint.key");
    std::fs::write(&key, b"short").unwrap();
    let second = account(
        &Ledger::in_folder(dir.path()),
        &velip(),
        TOKEN,
        Limits::default(),
    )
    .fingerprint()
    .clone();
    assert_ne!(first, second);
    assert_eq!(std::fs::read(&key).unwrap().len(), 32);
    assert_eq!(warnings_about(&key).len(), 1);
}

#[test]
fn unwritable_ledger_degrades_to_memory_with_one_warning() {
    install_logger();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::in_folder(dir.path());
    lock_out(&ledger);
    // Writes now fail (a folder where the temporary file goes: fails for
    // root too, unlike permission bits).
    std::fs::create_dir(
        dir.path()
            .join("ledger")
            .join("vox.velip.com.br_443.json.tmp"),
    )
    .unwrap();
    let fresh = Ledger::in_folder(dir.path());
    let a = account(
        &fresh,
        &velip(),
        TOKEN,
        Limits::default().with_list_quota(3, std::time::Duration::from_secs(60)),
    );
    // The lock-out read before the write failed still holds.
    assert!(matches!(a.ask(Scope::List), Err(Refusal::LockedOut { .. })));
    assert_eq!(fresh.storage(), Storage::Memory);
    assert!(a.reset_lockout());
    // In memory, the quota still holds, counting the request the file
    // held; and only one warning in all.
    let granted = (0..6).filter(|_| a.ask(Scope::List).is_ok()).count();
    assert_eq!(granted, 2);
    let w = warnings_about(dir.path());
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("memory"), "{w:?}");
}

#[test]
fn unlockable_ledger_degrades_and_keeps_what_it_can_read() {
    install_logger();
    let dir = tempfile::tempdir().unwrap();
    lock_out(&Ledger::in_folder(dir.path()));
    let lock = dir.path().join("ledger").join("vox.velip.com.br_443.lock");
    std::fs::remove_file(&lock).unwrap();
    std::fs::create_dir(&lock).unwrap(); // cannot be opened for writing
    let fresh = Ledger::in_folder(dir.path());
    let a = account(&fresh, &velip(), TOKEN, Limits::default());
    assert!(matches!(a.ask(Scope::List), Err(Refusal::LockedOut { .. })));
    assert_eq!(fresh.storage(), Storage::Memory);
    assert_eq!(warnings_about(dir.path()).len(), 1);
}

#[test]
fn a_folder_that_cannot_be_made_degrades() {
    install_logger();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let state = file.join("velip");
    let ledger = Ledger::in_folder(&state);
    let a = account(&ledger, &velip(), TOKEN, Limits::default());
    a.tell(a.ask(Scope::List).unwrap(), Answer::Ok);
    assert_eq!(ledger.storage(), Storage::Memory);
    assert_eq!(a.report().unwrap().list.used, 1);
    assert_eq!(warnings_about(&state).len(), 1);
}

/// Permission bits, for a user they bind (root ignores them: the test
/// then checks nothing more than the two above).
#[cfg(unix)]
#[test]
fn read_only_folder_degrades() {
    use std::os::unix::fs::PermissionsExt as _;
    install_logger();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("velip");
    lock_out(&Ledger::in_folder(&state));
    let ro = |p: &Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let ledger_dir = state.join("ledger");
    for f in ledger_support::files_under(&state) {
        ro(&f, 0o400);
    }
    ro(&ledger_dir, 0o500);
    ro(&state, 0o500);
    let binding = std::fs::File::create(ledger_dir.join("probe")).is_err();
    let fresh = Ledger::in_folder(&state);
    let a = account(&fresh, &velip(), TOKEN, Limits::default());
    let refused = a.ask(Scope::List);
    ro(&state, 0o700);
    ro(&ledger_dir, 0o700);
    if binding {
        assert!(
            matches!(refused, Err(Refusal::LockedOut { .. })),
            "{refused:?}"
        );
        assert_eq!(fresh.storage(), Storage::Memory);
        assert_eq!(warnings_about(&state).len(), 1);
    } else {
        eprintln!("running as root: permission bits do not bind; covered by the tests above");
    }
}
