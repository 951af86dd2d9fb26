"""A webhook endpoint for Velip deliveries, as a plain WSGI app (stdlib only).

The same three lines work in any framework: read the raw body and the
Content-Type, call ``velip.parse_webhook``, answer 2xx quickly. Flask:
``velip.parse_webhook(request.get_data(), request.content_type or "")``;
FastAPI: ``velip.parse_webhook(await request.body(),
request.headers.get("content-type", ""))``; Django: ``request.body`` and
``request.content_type``.

Run: ``python webhook_handler.py`` and point ``rurl`` at
``http://<host>:8080/velip/hook``.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterable, Optional
from wsgiref.simple_server import make_server

import velip

log = logging.getLogger("velip-webhook")

StartResponse = Callable[[str, list[tuple[str, str]]], object]


def handle_delivery(body: bytes, content_type: str) -> list[velip.CallRecord]:
    """Decodes one delivery (JSON page or one form-encoded call)."""
    return velip.parse_webhook(body, content_type)


def store(call: velip.CallRecord) -> None:
    """Your code: save the outcome of one call."""
    answered = call.status is not None and call.status.is_answered
    log.info("call %s answered=%s dtmf=%s value=%s", call.call_id, answered, call.dtmf, call.value)


def app(environ: dict[str, object], start_response: StartResponse) -> Iterable[bytes]:
    method = str(environ.get("REQUEST_METHOD", "GET"))
    if method == "GET":  # GET deliveries carry the call in the query string
        body = str(environ.get("QUERY_STRING", "")).encode()
        content_type: Optional[str] = "application/x-www-form-urlencoded"
    else:
        length = int(str(environ.get("CONTENT_LENGTH") or 0))
        stream = environ["wsgi.input"]
        body = stream.read(length) if hasattr(stream, "read") else b""
        content_type = str(environ.get("CONTENT_TYPE", ""))
    try:
        calls = handle_delivery(body, content_type or "")
    except velip.DecodeError as e:
        log.warning("unreadable delivery: %s", e)
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"bad request\n"]
    for call in calls:
        store(call)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    with make_server("", 8080, app) as server:
        server.serve_forever()
