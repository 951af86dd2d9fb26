"""Typed view of ``velip._enums`` (the members come from the Rust core at
import; stubtest checks this file against them)."""

import enum

__all__ = ["AmdResult", "CallStatus"]

class _WireEnum(str, enum.Enum):  # type: ignore[misc]  # members are in the subclasses
    @property
    def is_known(self) -> bool:
        """Whether this value is one the SDK knows (not a kept unknown one)."""

class CallStatus(_WireEnum):
    """Final status of a call (``cd_status``)."""

    ANSWERED = "OK"
    BUSY = "BUSY"
    NO_ANSWER = "NOANSWER"
    CANCEL = "CANCEL"
    CONGESTION = "CONGESTION"
    CHAN_UNAVAIL = "CHANUNAVAIL"
    @property
    def is_answered(self) -> bool:
        """Whether the call was answered (``OK``)."""

class AmdResult(_WireEnum):
    """Answering-machine detection result (``cd_amdasw``)."""

    MACHINE = "MA"
    HUMAN = "HM"
    NOT_DETERMINED = "ND"
