"""Velip webhook deliveries in a Flask app.

``velip.webhooks`` checks the credentials (constant time, the Rust
receiver's code) and decodes the delivery (JSON page or one form call, POST
or GET); the app stores the calls *before* answering 200.

Run: ``VELIP_WEBHOOK_USER=hook VELIP_WEBHOOK_PASSWORD=... flask --app
webhook_flask run --port 8080``. Tested over real HTTP (werkzeug's server,
sandbox pushes) in ``tests/python/test_webhook_examples.py``.
"""

from __future__ import annotations

import os
from typing import Optional

from flask import Flask, Response, request

import velip
from velip import webhooks
from webhook_store import CallStore


def create_app(store: Optional[CallStore] = None, auth: Optional[webhooks.WebhookAuth] = None) -> Flask:
    """The app; by default the calls go to ``$CALLS_DB`` (``calls.db``) and
    the credentials come from ``VELIP_WEBHOOK_*``."""
    calls = store or CallStore(os.environ.get("CALLS_DB", "calls.db"))
    check = auth or webhooks.auth_from_env()
    app = Flask(__name__)

    @app.route("/velip", methods=["POST", "GET"])
    def velip_hook() -> Response:
        if not check.verify(request.headers):
            response = Response("unauthorized\n", status=401, mimetype="text/plain")
            if check.www_authenticate:
                response.headers["WWW-Authenticate"] = check.www_authenticate
            return response
        try:
            delivery = webhooks.parse_delivery(
                request.method,
                content_type=request.content_type,
                query_string=request.query_string,
                body=request.get_data(),
            )
        except velip.DecodeError as e:
            return Response(f"cannot decode: {e}\n", status=400, mimetype="text/plain")
        calls.save(delivery)  # durable first, then 200
        return Response("ok\n", mimetype="text/plain")

    return app
