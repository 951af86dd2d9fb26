//! Where the state folder is: `VELIP_STATE_DIR` (`off` disables the ledger),
//! else `$XDG_STATE_HOME/velip`, else `~/.local/state/velip`.

use std::ffi::OsString;
use std::path::PathBuf;

/// The variable that overrides the state folder; the value `off` disables
/// the ledger.
pub const STATE_DIR_ENV: &str = "VELIP_STATE_DIR";

/// Where the ledger keeps its files, as the environment says.
///
/// ```
/// use velip_blocking::ledger::StateLocation;
/// // Depends on the environment; `VELIP_STATE_DIR=off` gives `Off`.
/// match StateLocation::from_env() {
///     StateLocation::Folder(dir) => println!("ledger in {}", dir.display()),
///     StateLocation::Off => println!("ledger disabled"),
///     StateLocation::Unknown => println!("no home folder: ledger in memory"),
///     _ => {}
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateLocation {
    /// This folder (made `0700` on first use).
    Folder(PathBuf),
    /// `VELIP_STATE_DIR=off` (any case): no ledger at all.
    Off,
    /// Neither variable is set and there is no home folder: the ledger is
    /// kept in memory, for this process only.
    Unknown,
}

impl StateLocation {
    /// Reads `VELIP_STATE_DIR`, `XDG_STATE_HOME` and the home folder.
    pub fn from_env() -> Self {
        resolve(
            std::env::var_os(STATE_DIR_ENV),
            std::env::var_os("XDG_STATE_HOME"),
            std::env::home_dir(),
        )
    }
}

impl StateLocation {
    /// The location a `VELIP_STATE_DIR`-style value names, as bindings and
    /// options take it: `off` (any case, trimmed) disables the ledger,
    /// another text is the folder; `None` for an empty value (then the
    /// environment decides).
    pub fn from_value(value: impl Into<OsString>) -> Option<Self> {
        let v = value.into();
        if v.is_empty() {
            return None;
        }
        if v.to_str()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("off"))
        {
            return Some(Self::Off);
        }
        Some(Self::Folder(PathBuf::from(v)))
    }
}

/// The rule, on given values. Empty values count as unset; a relative
/// `XDG_STATE_HOME` is ignored, as the XDG specification requires.
fn resolve(velip: Option<OsString>, xdg: Option<OsString>, home: Option<PathBuf>) -> StateLocation {
    if let Some(l) = velip.and_then(StateLocation::from_value) {
        return l;
    }
    if let Some(x) = xdg.map(PathBuf::from).filter(|p| p.is_absolute()) {
        return StateLocation::Folder(x.join("velip"));
    }
    match home.filter(|h| !h.as_os_str().is_empty()) {
        Some(h) => StateLocation::Folder(h.join(".local").join("state").join("velip")),
        None => StateLocation::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // reads like the env var it stands for
    fn os(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn precedence() {
        let home = Some(PathBuf::from("/home/ana"));
        assert_eq!(
            resolve(os("/srv/velip"), os("/x"), home.clone()),
            StateLocation::Folder("/srv/velip".into())
        );
        assert_eq!(
            resolve(os("off"), os("/x"), home.clone()),
            StateLocation::Off
        );
        assert_eq!(resolve(os("OFF"), None, None), StateLocation::Off);
        assert_eq!(
            resolve(os(""), os("/x/state"), home.clone()),
            StateLocation::Folder("/x/state/velip".into())
        );
        assert_eq!(
            resolve(None, os("relative/state"), home.clone()),
            StateLocation::Folder("/home/ana/.local/state/velip".into())
        );
        assert_eq!(resolve(None, None, None), StateLocation::Unknown);
    }
}
