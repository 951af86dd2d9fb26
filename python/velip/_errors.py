"""The exception hierarchy of ``velip``.

Every error the Rust core can produce is mapped to one of these classes in a
single place (``crates/python/src/errors.rs``). Messages and attributes never
contain tokens or passwords.

::

    VelipError
    ├── ValidationError (also ValueError)
    │   └── ConfigError
    ├── ApiError
    │   ├── AuthenticationError
    │   ├── RateLimitError
    │   └── ForbiddenError
    ├── ServerError
    ├── TransportError
    │   └── RequestTimeoutError (also TimeoutError)
    ├── DecodeError
    ├── PagingError (CursorCycleError is its old name)
    ├── BudgetError
    ├── NotFoundError (also LookupError)
    └── DatabaseError (``sync``: the database of a sync)

Each class corresponds to one error kind of the Rust client
(``velip_blocking::ErrorKind``); the mapping is one table in Rust.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Sequence

from velip._types import PagingReason, RateLimitScope, TransportKind

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BudgetError",
    "ConfigError",
    "CursorCycleError",
    "DatabaseError",
    "DecodeError",
    "ForbiddenError",
    "NotFoundError",
    "PagingError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "TransportError",
    "ValidationError",
    "VelipError",
    "Violation",
]


class Violation(NamedTuple):
    """One broken rule of a request: the field, its wire name, the rule in
    words and its stable code (``"correlation_literal_null"``, ...; for
    programs: match on it, never on the words)."""

    field: str
    wire: str
    rule: str
    code: str = ""


class VelipError(Exception):
    """Base class of every error raised by ``velip``."""


class ValidationError(VelipError, ValueError):
    """A request or value that must not be sent or cannot be read.

    ``violations`` lists every problem found (empty for configuration errors
    and values such as phone numbers).
    """

    violations: list[Violation]

    def __init__(self, message: str, violations: Sequence[Violation] = ()) -> None:
        super().__init__(message)
        self.violations = [Violation(*v) for v in violations]


class ConfigError(ValidationError):
    """A client option out of range or in conflict (``timeout=0``, more than
    100 ``max_retries``, a token and ``basic_auth`` together, no
    credentials); nothing was sent. ``option`` names it."""

    option: str

    def __init__(self, message: str, *, option: str = "") -> None:
        super().__init__(message)
        self.option = option


class ApiError(VelipError):
    """An error answer of the service.

    ``http_status`` is the HTTP status, ``code`` the ``status_code`` as sent
    (``"102"``, empty when absent) and ``message`` the service's text.
    ``sent`` is ``False`` when the client refused the request itself and
    sent nothing (an ``AuthenticationError`` repeated under the lock-out
    that follows an authentication failure: the attributes are those of
    the failure); ``True`` when the service answered.
    """

    http_status: int
    code: str
    message: str
    sent: bool

    def __init__(
        self,
        text: str,
        *,
        http_status: int = 0,
        code: str = "",
        message: str = "",
        sent: bool = True,
    ) -> None:
        super().__init__(text)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.sent = sent


class AuthenticationError(ApiError):
    """Bad, blocked or banned credentials or IP (HTTP 401, codes 100-199).

    Never retried: repeated failures get the IP banned permanently (``199``).
    After one, the client refuses to send with the same credentials until
    ``set_token``/``set_basic_auth`` gives new ones: each refusal raises
    this error again with ``sent == False`` (nothing reached the service)
    and the failure's ``http_status``, ``code`` and ``message``.
    """

    @property
    def permanent_ban(self) -> bool:
        """Code ``199``: the calling IP is banned permanently."""
        return self.code == "199"


class RateLimitError(ApiError):
    """A rate limit was hit (HTTP 429).

    ``retry_after`` is the delay the service asked for, in seconds (``None``
    when it sent none); ``scope`` is ``"list"`` (list requests per hour),
    ``"daily_lookup"`` (the daily point-lookup cap) or ``"unknown"``.
    """

    retry_after: Optional[float]
    scope: RateLimitScope

    def __init__(
        self,
        text: str,
        *,
        http_status: int = 429,
        code: str = "",
        message: str = "",
        retry_after: Optional[float] = None,
        scope: RateLimitScope = "unknown",
        sent: bool = True,
    ) -> None:
        super().__init__(text, http_status=http_status, code=code, message=message, sent=sent)
        self.retry_after = retry_after
        self.scope = scope


class ForbiddenError(ApiError):
    """The calling IP may not make list requests (HTTP 403 or code 105)."""


class ServerError(VelipError):
    """The service or a proxy failed (HTTP 5xx), after the retries allowed.

    ``snippet`` is the start of the body; ``code`` and ``message`` are set when
    the body was a readable error answer.
    """

    http_status: int
    code: str
    message: str
    snippet: str

    def __init__(
        self,
        text: str,
        *,
        http_status: int = 0,
        code: str = "",
        message: str = "",
        snippet: str = "",
    ) -> None:
        super().__init__(text)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.snippet = snippet


class TransportError(VelipError):
    """The request did not get an answer: ``kind`` is ``"connect"``,
    ``"timeout"``, ``"reset"``, ``"tls"`` or ``"other"``."""

    kind: TransportKind

    def __init__(self, text: str, *, kind: TransportKind = "other") -> None:
        super().__init__(text)
        self.kind = kind


class RequestTimeoutError(TransportError, TimeoutError):
    """A connect or request deadline passed (also a built-in ``TimeoutError``)."""

    def __init__(self, text: str, *, kind: TransportKind = "timeout") -> None:
        super().__init__(text, kind=kind)


class DecodeError(VelipError):
    """An answer that cannot be read: where (record, call id, field) and a
    short snippet (at most 200 characters) of what was there."""

    http_status: Optional[int]
    record_index: Optional[int]
    call_id: Optional[str]
    field: Optional[str]
    snippet: str

    def __init__(
        self,
        text: str,
        *,
        http_status: Optional[int] = None,
        record_index: Optional[int] = None,
        call_id: Optional[str] = None,
        field: Optional[str] = None,
        snippet: str = "",
    ) -> None:
        super().__init__(text)
        self.http_status = http_status
        self.record_index = record_index
        self.call_id = call_id
        self.field = field
        self.snippet = snippet


class PagingError(VelipError):
    """Paging cannot go on. ``reason`` is ``"cursor_cycle"`` (the service
    sent a cursor already seen; ``cursor`` holds it), ``"cursor_missing"``
    (more pages announced without a cursor), ``"no_progress"`` (pages that
    bring nothing new) or ``"missing_pagination"`` (a full page without
    pagination). Records already yielded are kept; resume later."""

    reason: PagingReason
    cursor: str

    def __init__(self, text: str, *, reason: PagingReason = "other", cursor: str = "") -> None:
        super().__init__(text)
        self.reason = reason
        self.cursor = cursor


CursorCycleError = PagingError
"""The old name of :class:`PagingError`."""


class BudgetError(VelipError):
    """The client's request budget (``max_requests``) is spent: nothing was
    sent (``sent`` is ``False``). Resume the job later, or give it a larger
    budget."""

    sent: bool

    def __init__(self, text: str, *, sent: bool = False) -> None:
        super().__init__(text)
        self.sent = sent


class NotFoundError(VelipError, LookupError):
    """``get_call``: the answer has no record with that id."""

    call_id: str

    def __init__(self, text: str, *, call_id: str = "") -> None:
        super().__init__(text)
        self.call_id = call_id


class DatabaseError(VelipError):
    """The database of a sync (``Client.sync``) cannot be used or failed.

    ``kind`` says why, in stable words (match on it, never on the text):
    ``"unreachable"`` (server down, wrong host or port, missing folder,
    credentials refused), ``"read_only"``, ``"full"``, ``"schema_too_new"``
    (written by a newer velip: upgrade), ``"schema_mismatch"`` (a table
    ``calls`` that is not velip's), ``"busy"`` (another sync held the lock
    past ``lock_timeout``), ``"other"``. Raised before any request when
    the database is checked on open; during a run, what was committed stays
    and the next run resumes. The message names the database, never a
    password.
    """

    kind: str

    def __init__(self, text: str, *, kind: str = "other") -> None:
        super().__init__(text)
        self.kind = kind
