"""Velip webhook deliveries in a FastAPI (Starlette) app.

``velip.webhooks`` checks the credentials (constant time, the Rust
receiver's code) and decodes the delivery (JSON page or one form call, POST
or GET); the app stores the calls *before* answering 200, so a delivery
the platform saw acknowledged is never lost.

Run: ``VELIP_WEBHOOK_USER=hook VELIP_WEBHOOK_PASSWORD=... uvicorn --factory
webhook_fastapi:create_app --port 8080`` and push with ``velip calls push
--rurl http://127.0.0.1:8080/velip --rurl-user hook --rurl-password ...``.
Tested over real HTTP (uvicorn, sandbox pushes) in
``tests/python/test_webhook_examples.py``.
"""

from __future__ import annotations

import os
from typing import Optional

from fastapi import FastAPI, Request, Response

import velip
from velip import webhooks
from webhook_store import CallStore


def create_app(store: Optional[CallStore] = None, auth: Optional[webhooks.WebhookAuth] = None) -> FastAPI:
    """The app; by default the calls go to ``$CALLS_DB`` (``calls.db``) and
    the credentials come from ``VELIP_WEBHOOK_*``."""
    calls = store or CallStore(os.environ.get("CALLS_DB", "calls.db"))
    check = auth or webhooks.auth_from_env()
    app = FastAPI()

    @app.api_route("/velip", methods=["POST", "GET"])
    async def velip_hook(request: Request) -> Response:
        if not check.verify(request.headers):
            challenge = {"WWW-Authenticate": check.www_authenticate} if check.www_authenticate else None
            return Response("unauthorized\n", status_code=401, headers=challenge)
        try:
            delivery = webhooks.parse_delivery(
                request.method,
                content_type=request.headers.get("content-type"),
                query_string=request.url.query,
                body=await request.body(),
            )
        except velip.DecodeError as e:
            return Response(f"cannot decode: {e}\n", status_code=400)
        calls.save(delivery)  # durable first, then 200
        return Response("ok\n", media_type="text/plain")

    return app
