"""Small value types and type aliases of ``velip``."""

from __future__ import annotations

import datetime
import sys
from typing import Dict, List, Literal, NamedTuple, Optional, TypedDict, Union

__all__ = [
    "CallRecordDict",
    "DateArg",
    "JSONValue",
    "NumType",
    "PageSize",
    "PagingReason",
    "Problem",
    "ProblemDict",
    "QuotaReport",
    "RateLimitScope",
    "TransportKind",
    "WebhookFormat",
    "WebhookMethod",
]

DateArg = Union[datetime.date, str]
"""A call date: ``datetime.date`` (a ``datetime`` counts as its own
calendar day, never converted) or ``"YYYY-MM-DD"`` (America/Sao_Paulo)."""

PageSize = Union[int, Literal["max"]]
"""Records per page (wire ``maxreg``): an int ``1..=5000`` or ``"max"``."""

NumType = Literal["international", "trunk_prefixed", "0ddd", "ddd"]
"""How the service writes destinations (wire ``numtype``):
``"international"`` (5511999999999), ``"trunk_prefixed"`` or ``"0ddd"``
(011999999999), ``"ddd"`` (11999999999)."""

WebhookMethod = Literal["POST", "GET"]
"""How the service calls your webhook (wire ``rurl_method``)."""

WebhookFormat = Literal["json", "form"]
"""What the service posts to your webhook (wire ``rurl_format``): a JSON
page, or one form-encoded call per request."""

RateLimitScope = Literal["list", "daily_lookup", "unknown"]
"""Which limit a ``RateLimitError`` hit."""

TransportKind = Literal["connect", "timeout", "reset", "tls", "other"]
"""Why a request got no answer (``TransportError.kind``)."""

PagingReason = Literal["cursor_cycle", "cursor_missing", "no_progress", "missing_pagination", "other"]
"""Why paging stopped (``PagingError.reason``)."""

if sys.version_info >= (3, 10):  # pragma: no cover - typing only
    from typing import TypeAlias

    JSONValue: TypeAlias = Union[None, bool, int, float, str, List["JSONValue"], Dict[str, "JSONValue"]]
else:  # pragma: no cover
    JSONValue = Union[None, bool, int, float, str, List["JSONValue"], Dict[str, "JSONValue"]]
"""A value as decoded from JSON (``CallRecord.extra``, ``Page.extra``)."""


class Problem(NamedTuple):
    """A field of a record that could not be read; the record is still
    yielded, with that field ``None``.

    ``field`` is the wire key (``"date"``, ``"dur"``, ``"resp_2"``), ``raw``
    the value as received (JSON text: ``'"2026-02-30"'``, ``'27.5'``, at most
    200 characters) and ``rule`` the rule it broke
    (``"expected a date YYYY-MM-DD"``).
    """

    field: str
    raw: str
    rule: str


class ProblemDict(TypedDict):
    """A ``Problem`` in ``CallRecord.to_dict()``."""

    field: str
    raw: str
    rule: str


class _CallRecordDictRequired(TypedDict):
    call_id: str
    status: Optional[str]
    amd: Optional[str]
    campaign_id: Optional[int]
    campaign_ref: Optional[str]
    correlation_id: Optional[str]
    origin: Optional[str]
    destination: Optional[str]
    date: Optional[str]
    dial_time: Optional[str]
    answer_time: Optional[str]
    hangup_time: Optional[str]
    duration_seconds: Optional[int]
    dtmf: List[str]
    route: Optional[str]
    rate: Optional[str]
    value: Optional[str]
    recording_url: Optional[str]
    recording_seconds: Optional[int]
    extra: Dict[str, JSONValue]


class CallRecordDict(_CallRecordDictRequired, total=False):
    """``CallRecord.to_dict()``: JSON-ready plain values. ``status``/``amd``
    are the wire texts (``"OK"``, ``"HM"``); ``destination`` E.164 for a
    valid number (``"+5511999999999"``), else as sent (``"xxxxx877"``);
    ``date`` ``"2026-05-06"``; times ``"10:00:01"`` (America/Sao_Paulo);
    ``rate``/``value`` exact decimal text in BRL (``"0.050"``);
    ``duration_seconds``/``recording_seconds`` seconds. ``problems`` and
    ``raw_json`` are present only for a record with unreadable fields."""

    problems: List[ProblemDict]
    raw_json: str


class QuotaListUsage(TypedDict):
    """The list quota's sliding window now (shared by every credential on
    the host: the service counts it per client IP)."""

    used: int
    limit: int
    window: datetime.timedelta
    oldest_expires_at: Optional[datetime.datetime]


class QuotaLookupUsage(TypedDict):
    """Point lookups on today's America/Sao_Paulo date; ``limit`` is
    ``None`` until configured or revealed by a daily ``429``."""

    day: datetime.date
    used: int
    limit: Optional[int]


class QuotaLockout(TypedDict):
    """An authentication lock-out: when, the API code and the service's
    message (scrubbed of secrets)."""

    since: datetime.datetime
    code: str
    message: str


class QuotaReport(TypedDict):
    """``Client.quota_report()``: what the ledger shared by this user's
    processes knows of these credentials on this host. Times are aware
    ``datetime`` in UTC; ``fingerprint`` is 12 hex digits of a keyed hash
    (never the secret); ``retry_after`` maps ``"list"``/``"lookup"`` to
    the ``Retry-After`` deadlines not yet passed."""

    host: str
    credentials: Literal["none", "token", "basic"]
    fingerprint: str
    last_used: Optional[datetime.datetime]
    list: QuotaListUsage
    lookups: QuotaLookupUsage
    retry_after: Dict[str, datetime.datetime]
    lockout: Optional[QuotaLockout]
