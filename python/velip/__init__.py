"""velip: the client SDK of the Velip voice platform's GetCallStatus API.

One call by id or correlation id, or every call of a campaign or a date
range, page by page, optionally pushed to your webhook. The HTTP client,
decoding and validation are the Rust core of the SDK; the GIL is released
while they work.

>>> import velip
>>> velip.PhoneNumber.parse("+55 (11) 99999-9999").national()
'(11) 99999-9999'
>>> velip.parse_brl_decimal("1.234,56")
Decimal('1234.56')
"""

from __future__ import annotations

from velip._enums import AmdResult, CallStatus
from velip._errors import (
    ApiError,
    AuthenticationError,
    BudgetError,
    ConfigError,
    CursorCycleError,
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
from velip._types import Problem
from velip._velip import (
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

__all__ = [
    "AmdResult",
    "ApiError",
    "AuthenticationError",
    "BudgetError",
    "CallIterator",
    "CallRecord",
    "CallStatus",
    "Client",
    "ConfigError",
    "CursorCycleError",
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
    "TransportError",
    "ValidationError",
    "VelipError",
    "Violation",
    "__version__",
    "parse_brl_decimal",
    "parse_response",
    "parse_webhook",
]
