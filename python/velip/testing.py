"""Test your integration offline: the Velip simulator, inside the wheel.

>>> import velip
>>> from velip.testing import Sandbox
>>> with Sandbox(calls=500) as sb:
...     client = velip.Client(sb.token, base_url=sb.url)
...     page = client.list_page(date_start="2026-11-20", date_end="2026-11-20", page_size=10)
...     len(page) <= 10
True

``Sandbox`` is a real HTTP server on ``127.0.0.1`` (a free port) that behaves
like the service: authentication and its brute-force protection, selection
and paging, masking (``masked_token``), rate limits with ``Retry-After``,
webhook delivery, and a scriptable fault plan (``faults=["1=503",
"2=delay:500"]``). ``WebhookReceiver`` records what your webhook would get.
"""

from __future__ import annotations

from velip._velip import Sandbox, WebhookReceiver

__all__ = ["Sandbox", "WebhookReceiver"]
