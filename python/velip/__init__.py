"""velip: the client SDK of the Velip voice platform's GetCallStatus API.

One call by id or correlation id, or every call of a campaign or a date
range, page by page, optionally pushed to your webhook: ``velip.Client``
(blocking, thread-safe) and ``velip.AsyncClient`` (asyncio). The HTTP
client, decoding and validation are the Rust core of the SDK; the GIL is
released while they work.

Logging: the ``velip`` logger has a ``NullHandler``, so nothing is printed
unless your app configures ``logging``. Retries and waits are logged at
INFO, a request refused under the authentication lock-out at WARNING, each
request attempt at DEBUG (secrets masked). Turn them on with
``logging.basicConfig(level=logging.INFO)`` (or DEBUG), or set
``VELIP_LOG=debug`` (or ``info``, ``warning``) in the environment to print
them to stderr without touching your code.

>>> import velip
>>> velip.PhoneNumber.parse("+55 (11) 99999-9999").national()
'(11) 99999-9999'
>>> velip.parse_brl_decimal("1.234,56")
Decimal('1234.56')
"""

from __future__ import annotations

import logging as _logging
import os as _os

from velip._enums import AmdResult, CallStatus
from velip._errors import (
    ApiError,
    AuthenticationError,
    BudgetError,
    ConfigError,
    CursorCycleError,
    DatabaseError,
    DecodeError,
    ForbiddenError,
    NotFoundError,
    PagingError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    ValidationError,
    VelipError,
    Violation,
)
from velip._types import CallRecordDict, Problem, QuotaReport
from velip._velip import (
    AsyncCallIterator,
    CallIterator,
    CallRecord,
    Client,
    MaskedNumber,
    Page,
    PhoneNumber,
    __version__,
    parse_brl_decimal,
    parse_response,
    parse_webhook,
)
from velip._async import AsyncClient
from velip._sync import SyncReport, sync
from velip._columnar import arrow_schema
from velip import webhooks


def _configure_logging() -> None:
    logger = _logging.getLogger("velip")
    logger.addHandler(_logging.NullHandler())
    wanted = _os.environ.get("VELIP_LOG", "").strip().upper()
    if wanted in ("DEBUG", "INFO", "WARNING", "ERROR"):
        handler = _logging.StreamHandler()
        handler.setFormatter(_logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(wanted)


_configure_logging()

__all__ = [
    "AmdResult",
    "ApiError",
    "AsyncCallIterator",
    "AsyncClient",
    "AuthenticationError",
    "BudgetError",
    "CallIterator",
    "CallRecord",
    "CallRecordDict",
    "QuotaReport",
    "CallStatus",
    "Client",
    "ConfigError",
    "CursorCycleError",
    "DatabaseError",
    "DecodeError",
    "ForbiddenError",
    "MaskedNumber",
    "NotFoundError",
    "Page",
    "PagingError",
    "PhoneNumber",
    "Problem",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "SyncReport",
    "TransportError",
    "ValidationError",
    "VelipError",
    "Violation",
    "__version__",
    "arrow_schema",
    "parse_brl_decimal",
    "parse_response",
    "parse_webhook",
    "sync",
    "webhooks",
]
