"""Wire enums that keep values they do not know.

``CallStatus`` and ``AmdResult`` are ``str`` enums: a member compares equal
to its wire text (``CallStatus.ANSWERED == "OK"``), ``str()`` gives the wire
text, and a value the service adds later becomes a pseudo-member instead of an
error (``CallStatus("FAILED").is_known`` is ``False``).
"""

from __future__ import annotations

import enum
from typing import Any

from velip._velip import _wire_enum_members

__all__ = ["AmdResult", "CallStatus"]

_MAX_PSEUDO_MEMBERS = 256


class _WireEnum(str, enum.Enum):
    """A ``str`` enum whose unknown values become pseudo-members."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        known = cls._value2member_map_.get(value)
        if known is not None:
            return known
        pseudo = str.__new__(cls, value)
        pseudo._name_ = value
        pseudo._value_ = value
        if len(cls._value2member_map_) < _MAX_PSEUDO_MEMBERS:
            return cls._value2member_map_.setdefault(value, pseudo)
        return pseudo

    @property
    def is_known(self) -> bool:
        """Whether this value is one the SDK knows (not a kept unknown one)."""
        return self._name_ in type(self).__members__

    def __str__(self) -> str:
        return str(self._value_)

    def __format__(self, spec: str) -> str:
        return format(str(self._value_), spec)

    def __repr__(self) -> str:
        if self.is_known:
            return f"{type(self).__name__}.{self._name_}"
        return f"{type(self).__name__}({self._value_!r})"


class _CallStatusBase(_WireEnum):
    """Final status of a call (``cd_status``)."""

    @property
    def is_answered(self) -> bool:
        """Whether the call was answered (``OK``)."""
        return self._value_ == "OK"


class _AmdResultBase(_WireEnum):
    """Answering-machine detection result (``cd_amdasw``)."""


# The members are the core's known values (one list, in Rust): the typed
# names are in ``_enums.pyi``, which stubtest checks against these classes.
_MEMBERS = dict(_wire_enum_members())

CallStatus = _CallStatusBase(  # type: ignore[call-overload]
    "CallStatus", _MEMBERS["CallStatus"], module=__name__, qualname="CallStatus"
)
CallStatus.__doc__ = _CallStatusBase.__doc__

AmdResult = _AmdResultBase(  # type: ignore[call-overload]
    "AmdResult", _MEMBERS["AmdResult"], module=__name__, qualname="AmdResult"
)
AmdResult.__doc__ = _AmdResultBase.__doc__
