"""Receive Velip webhook deliveries (``rurl``) in your own web app.

The same checks and decoding as ``velip webhook listen`` (the Rust
receiver), for FastAPI/Starlette, Flask, Django or any other framework:

- ``WebhookAuth``: who may deliver (HTTP Basic ``rurl_user``/
  ``rurl_password`` and required ``rurl_headers``), compared in constant
  time; a mismatch is answered 401 with no detail.
- ``parse_delivery``: a request as it arrived (method, content type, query
  string, body) into its records: a JSON page (POST body, or a GET's
  ``json`` parameter) or one form-encoded call (POST body or GET query
  string).

Answer 2xx only once the calls are stored (the platform retries a failed
delivery, and re-pushes may repeat calls: store by ``call_id``), 400 for a
``DecodeError``, 401 when ``verify`` is ``False``.

>>> from velip import webhooks
>>> auth = webhooks.WebhookAuth(user="hook", password="s3cret")
>>> auth.verify({"Authorization": "Basic aG9vazpzM2NyZXQ="})
True
>>> auth.verify({"Authorization": "Basic aG9vazp3cm9uZw=="})
False
>>> d = webhooks.parse_delivery("GET", query_string="cd_id=42_7&cd_status=OK")
>>> d.format, d.call_ids
('form', ['42_7'])

Framework examples (tested): ``python/examples/webhook_fastapi.py``,
``webhook_flask.py``, ``webhook_django.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional

from velip._types import Problem
from velip._velip import WebhookAuth, WebhookDelivery, parse_delivery

__all__ = [
    "ENV_PASSWORD",
    "ENV_REQUIRE_HEADER",
    "ENV_USER",
    "RejectedEntry",
    "WebhookAuth",
    "WebhookDelivery",
    "auth_from_env",
    "parse_delivery",
]

ENV_USER = "VELIP_WEBHOOK_USER"
"""The Basic user a delivery must carry (as ``velip webhook listen`` reads it)."""
ENV_PASSWORD = "VELIP_WEBHOOK_PASSWORD"
"""The Basic password a delivery must carry."""
ENV_REQUIRE_HEADER = "VELIP_WEBHOOK_REQUIRE_HEADER"
"""Headers a delivery must carry, ``Name: value``, one per line."""


@dataclass(frozen=True)
class RejectedEntry:
    """An entry of a JSON delivery that could not be read as a call (no
    readable ``cd_id``, or not an object): its 0-based ``index`` in
    ``calls``, its ``raw`` JSON text (at most 64 KiB) and the ``problem``.
    Keep it for inspection; the delivery's other calls are fine. (A frozen
    dataclass, not a NamedTuple: ``index`` would shadow ``tuple.index``.)"""

    index: int
    raw: str
    problem: Problem


def auth_from_env(environ: Optional[Mapping[str, str]] = None) -> WebhookAuth:
    """A ``WebhookAuth`` from ``VELIP_WEBHOOK_USER``/``VELIP_WEBHOOK_PASSWORD``
    and ``VELIP_WEBHOOK_REQUIRE_HEADER`` (one ``Name: value`` per line), the
    variables ``velip webhook listen`` reads; ``environ`` defaults to
    ``os.environ``. With none set, every request passes.

    Raises: ``ValidationError`` as ``WebhookAuth``.
    """
    env = os.environ if environ is None else environ
    user = env.get(ENV_USER) or None
    password = env.get(ENV_PASSWORD) or None
    lines = [line for line in env.get(ENV_REQUIRE_HEADER, "").splitlines() if line.strip()]
    return WebhookAuth(user=user, password=password, require_headers=lines)
