use std::fmt;

use serde::{Serialize, Serializer};

/// Final status of a call (`cd_status` on the wire). Unknown values are kept
/// in [`CallStatus::Other`], never an error.
///
/// ```
/// use velip_core::CallStatus;
/// assert_eq!(CallStatus::from_wire("OK"), CallStatus::Answered);
/// assert_eq!(CallStatus::from_wire("FAILED").as_wire(), "FAILED");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallStatus {
    /// `OK`: answered.
    Answered,
    /// `BUSY`.
    Busy,
    /// `NOANSWER`: rang out.
    NoAnswer,
    /// `CANCEL`: cancelled before being answered.
    Cancel,
    /// `CONGESTION`: network congestion.
    Congestion,
    /// `CHANUNAVAIL`: channel unavailable (number out of service, off).
    ChanUnavail,
    /// Any other text, kept verbatim.
    Other(Box<str>),
}

impl CallStatus {
    /// The known statuses, with their wire texts (`OK`, `BUSY`, ...), in
    /// the spec's order. Bindings build their enums from this list.
    pub const KNOWN: [Self; 6] = [
        Self::Answered,
        Self::Busy,
        Self::NoAnswer,
        Self::Cancel,
        Self::Congestion,
        Self::ChanUnavail,
    ];

    /// A readable English name: `answered`, `busy`, `no_answer`, `cancel`,
    /// `congestion`, `chan_unavail`; `other` for unknown texts.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Busy => "busy",
            Self::NoAnswer => "no_answer",
            Self::Cancel => "cancel",
            Self::Congestion => "congestion",
            Self::ChanUnavail => "chan_unavail",
            Self::Other(_) => "other",
        }
    }

    /// Maps the wire text (exact, case-sensitive as the service sends it;
    /// surrounding spaces ignored).
    pub fn from_wire(s: &str) -> Self {
        match s.trim() {
            "OK" => Self::Answered,
            "BUSY" => Self::Busy,
            "NOANSWER" => Self::NoAnswer,
            "CANCEL" => Self::Cancel,
            "CONGESTION" => Self::Congestion,
            "CHANUNAVAIL" => Self::ChanUnavail,
            other => Self::Other(other.into()),
        }
    }

    /// The wire text: `OK`, `BUSY`, ... or the unknown text kept.
    pub fn as_wire(&self) -> &str {
        match self {
            Self::Answered => "OK",
            Self::Busy => "BUSY",
            Self::NoAnswer => "NOANSWER",
            Self::Cancel => "CANCEL",
            Self::Congestion => "CONGESTION",
            Self::ChanUnavail => "CHANUNAVAIL",
            Self::Other(s) => s,
        }
    }

    /// Whether the call was answered (`OK`).
    pub fn is_answered(&self) -> bool {
        matches!(self, Self::Answered)
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire())
    }
}

impl fmt::Debug for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallStatus({})", self.as_wire())
    }
}

impl Serialize for CallStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_wire())
    }
}

/// Answering-machine detection result (`cd_amdasw` on the wire). An empty
/// value (AMD off) is `None` on the record, not a variant.
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AmdResult {
    /// `MA`: an answering machine answered.
    Machine,
    /// `HM`: a human answered.
    Human,
    /// `ND`: not determined.
    NotDetermined,
    /// Any other text, kept verbatim.
    Other(Box<str>),
}

impl AmdResult {
    /// The known results, with their wire texts (`MA`, `HM`, `ND`).
    pub const KNOWN: [Self; 3] = [Self::Machine, Self::Human, Self::NotDetermined];

    /// A readable English name: `machine`, `human`, `not_determined`;
    /// `other` for unknown texts.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Machine => "machine",
            Self::Human => "human",
            Self::NotDetermined => "not_determined",
            Self::Other(_) => "other",
        }
    }

    /// Maps the wire text (`MA`, `HM`, `ND`, else [`AmdResult::Other`]).
    pub fn from_wire(s: &str) -> Self {
        match s.trim() {
            "MA" => Self::Machine,
            "HM" => Self::Human,
            "ND" => Self::NotDetermined,
            other => Self::Other(other.into()),
        }
    }

    /// The wire text: `MA`, `HM`, `ND` or the unknown text kept.
    pub fn as_wire(&self) -> &str {
        match self {
            Self::Machine => "MA",
            Self::Human => "HM",
            Self::NotDetermined => "ND",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for AmdResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire())
    }
}

impl fmt::Debug for AmdResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AmdResult({})", self.as_wire())
    }
}

impl Serialize for AmdResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_wire())
    }
}
