"""The webhook examples (FastAPI on uvicorn, Flask on werkzeug, Django on
wsgiref with a minimal settings module) over real HTTP on 127.0.0.1: the
sandbox pushes form and JSON deliveries, POST and GET, with Basic
credentials and a required header; every pushed call is stored once. With
a wrong password every delivery is refused (401) and the sandbox records
the failed deliveries."""

from __future__ import annotations

import pathlib
import socket
import sys
import threading
import time
from typing import Any, Callable, Iterator, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

import velip
from velip import webhooks
from velip.testing import Sandbox

from conftest import FIRST_DAY, LAST_DAY

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "python" / "examples"
USER, PASSWORD, KEY = "hook", "hook-pass-9", "key-77"
PAGE = 25


@pytest.fixture()
def examples_on_path() -> Iterator[None]:
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield
    finally:
        sys.path.remove(str(EXAMPLES))
        for name in ("webhook_fastapi", "webhook_flask", "webhook_django", "webhook_store"):
            sys.modules.pop(name, None)


def auth() -> webhooks.WebhookAuth:
    return webhooks.WebhookAuth(user=USER, password=PASSWORD, require_headers={"X-Velip-Key": KEY})


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve_wsgi(app: Any) -> tuple[str, Callable[[], None]]:
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(10)

    return f"http://127.0.0.1:{server.server_port}", stop


def push_everything(sb: Sandbox, base: str, stored: Callable[[], list[str]], deliveries_of: Callable[[str], int]) -> None:
    """Form and JSON, POST and GET: every pushed call is stored once."""
    client = velip.Client(sb.token, base_url=sb.url)
    listed = client.list_page(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=PAGE).records
    ids = sorted(r.call_id for r in listed)
    seen = 0
    for method, fmt in (("POST", "form"), ("GET", "form"), ("POST", "json"), ("GET", "json")):
        client.push_to_webhook(
            rurl=f"{base}/velip",
            date_start=FIRST_DAY,
            date_end=LAST_DAY,
            page_size=PAGE,
            rurl_method=method,  # type: ignore[arg-type]
            rurl_format=fmt,  # type: ignore[arg-type]
            rurl_user=USER,
            rurl_password=PASSWORD,
            rurl_headers={"X-Velip-Key": KEY},
        )
        seen += PAGE if fmt == "form" else 1
        done = sb.deliveries(seen, timeout=30)
        assert len(done) == seen, (method, fmt)
        assert all(d["delivered"] and d["attempts"] == 1 for d in done), done[-1]
        assert sorted(stored()) == ids, (method, fmt)
    # Four pushes of the same calls: one row each, delivered four times.
    assert all(deliveries_of(i) == 4 for i in ids)

    # A wrong password: every delivery refused, the sandbox records failures.
    sb.reset()
    client.push_to_webhook(
        rurl=f"{base}/velip",
        date_start=FIRST_DAY,
        date_end=LAST_DAY,
        page_size=PAGE,
        rurl_format="form",
        rurl_user=USER,
        rurl_password="wrong-password",
        rurl_headers={"X-Velip-Key": KEY},
    )
    refused = sb.deliveries(PAGE, timeout=30)
    assert len(refused) == PAGE
    assert all(not d["delivered"] and d["status"] == 401 and d["attempts"] == 2 for d in refused)
    assert all(deliveries_of(i) == 4 for i in ids), "nothing stored"
    client.close()


def test_fastapi_example_over_http(examples_on_path: None, fresh_sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    uvicorn = pytest.importorskip("uvicorn")
    import webhook_fastapi
    from webhook_store import CallStore

    store = CallStore(str(tmp_path / "calls.db"))
    app = webhook_fastapi.create_app(store, auth())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    try:
        push_everything(fresh_sandbox, f"http://127.0.0.1:{port}", store.call_ids, store.deliveries)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        store.close()


def test_flask_example_over_http(examples_on_path: None, fresh_sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    pytest.importorskip("flask")
    from werkzeug.serving import make_server as werkzeug_server

    import webhook_flask
    from webhook_store import CallStore

    store = CallStore(str(tmp_path / "calls.db"))
    server = werkzeug_server("127.0.0.1", 0, webhook_flask.create_app(store, auth()), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        push_everything(fresh_sandbox, f"http://127.0.0.1:{server.port}", store.call_ids, store.deliveries)
    finally:
        server.shutdown()
        thread.join(10)
        store.close()


def test_django_example_over_http(
    examples_on_path: None, fresh_sandbox: Sandbox, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("django")
    import django
    from django.core.wsgi import get_wsgi_application

    # The minimal settings module a project would have (CSRF middleware on:
    # the view is csrf_exempt).
    (tmp_path / "velip_test_settings.py").write_text(
        "SECRET_KEY = 'test-only'\n"
        "DEBUG = False\n"
        "ALLOWED_HOSTS = ['127.0.0.1']\n"
        "ROOT_URLCONF = 'webhook_django'\n"
        "MIDDLEWARE = ['django.middleware.common.CommonMiddleware', 'django.middleware.csrf.CsrfViewMiddleware']\n"
        "INSTALLED_APPS: list[str] = []\n"
        "USE_TZ = True\n"
        f"VELIP_CALLS_DB = {str(tmp_path / 'calls.db')!r}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "velip_test_settings")
    monkeypatch.setenv(webhooks.ENV_USER, USER)
    monkeypatch.setenv(webhooks.ENV_PASSWORD, PASSWORD)
    monkeypatch.setenv(webhooks.ENV_REQUIRE_HEADER, f"X-Velip-Key: {KEY}")
    django.setup()
    import webhook_django

    base, stop = serve_wsgi(get_wsgi_application())
    store: Optional[Any] = None
    try:
        store = webhook_django.call_store()
        push_everything(fresh_sandbox, base, store.call_ids, store.deliveries)
    finally:
        stop()
        if store is not None:
            store.close()
        webhook_django.call_store.cache_clear()
        webhook_django.auth.cache_clear()
