"""Velip webhook deliveries in a Django project: one view and its URL.

Add ``path("velip", webhook_django.velip_hook)`` to your ``urlpatterns``
(or use this module's ``urlpatterns`` as ``ROOT_URLCONF``), and set
``VELIP_CALLS_DB`` in your settings. The view is ``csrf_exempt``: the
platform sends no CSRF token, the credentials check stands in for it.
``velip.webhooks`` checks the credentials (constant time, the Rust
receiver's code; ``VELIP_WEBHOOK_*`` in the environment) and decodes the
delivery; the view stores the calls *before* answering 200.

Run (no project needed): ``VELIP_WEBHOOK_USER=hook
VELIP_WEBHOOK_PASSWORD=... python webhook_django.py``. Tested over real
HTTP (wsgiref, sandbox pushes, a minimal settings module) in
``tests/python/test_webhook_examples.py``.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

import velip
from velip import webhooks
from webhook_store import CallStore


@functools.lru_cache(maxsize=None)
def call_store() -> CallStore:
    return CallStore(str(getattr(settings, "VELIP_CALLS_DB", "calls.db")))


@functools.lru_cache(maxsize=None)
def auth() -> webhooks.WebhookAuth:
    return webhooks.auth_from_env()


@csrf_exempt
@require_http_methods(["GET", "POST"])
def velip_hook(request: HttpRequest) -> HttpResponse:
    check = auth()
    if not check.verify(request.headers):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        if check.www_authenticate:
            response["WWW-Authenticate"] = check.www_authenticate
        return response
    try:
        delivery = webhooks.parse_delivery(
            request.method or "",
            content_type=request.META.get("CONTENT_TYPE"),
            query_string=request.META.get("QUERY_STRING", ""),
            body=request.body,
        )
    except velip.DecodeError as e:
        return HttpResponse(f"cannot decode: {e}\n", status=400, content_type="text/plain")
    call_store().save(delivery)  # durable first, then 200
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [path("velip", velip_hook)]


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    settings.configure(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], SECRET_KEY="example-only")
    import django
    from django.core.wsgi import get_wsgi_application

    django.setup()
    with make_server("127.0.0.1", 8080, get_wsgi_application()) as server:
        server.serve_forever()
