"""The examples in python/examples, run against the sandbox: the FastAPI
app through FastAPI's TestClient, the async and sync scripts as written."""

from __future__ import annotations

import pathlib
import runpy
import sys
from typing import Iterator

import pytest

import velip
from velip.testing import Sandbox

from conftest import FIRST_DAY, LAST_DAY

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "python" / "examples"


@pytest.fixture()
def examples_on_path() -> Iterator[None]:
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield
    finally:
        sys.path.remove(str(EXAMPLES))
        for name in ("fastapi_app", "async_calls", "list_calls", "webhook_handler"):
            sys.modules.pop(name, None)


def test_fastapi_app(examples_on_path: None, fresh_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    testclient = pytest.importorskip("fastapi.testclient")
    sb = fresh_sandbox
    monkeypatch.setenv("VELIP_TOKEN", sb.token)
    monkeypatch.setenv("VELIP_BASE_URL", sb.url)
    import fastapi_app

    sync = velip.Client(sb.token, base_url=sb.url)
    target = sync.list_page(date_start=LAST_DAY, page_size=1).records[0]
    with testclient.TestClient(fastapi_app.app) as http:
        r = http.get(f"/calls/{target.call_id}")
        assert r.status_code == 200 and r.json() == target.to_dict()
        assert http.get("/calls/42_1").status_code == 404
        assert http.get("/calls/not-an-id").status_code == 422
        sb.clear_request_log()
        s = http.get("/summary", params={"date_start": FIRST_DAY, "date_end": LAST_DAY, "limit": 50}).json()
        assert s["calls"] == 50 and len(sb.request_log()) == 1
        # Webhook deliveries, as the sandbox's pushes send them.
        with velip.testing.WebhookReceiver() as hook:
            sync.push_to_webhook(rurl=hook.url, call_id=target.call_id, rurl_format="json")
            sync.push_to_webhook(rurl=hook.url, call_id=target.call_id, rurl_format="form")
            reqs = hook.requests(2, timeout=10)
        form_req = next(r for r in reqs if "form" in r["content_type"])
        json_req = next(r for r in reqs if "json" in r["content_type"])
        for req in (json_req, form_req):
            r = http.post("/velip/hook", content=req["body"], headers={"content-type": req["content_type"]})
            assert r.status_code == 200 and r.text == "ok\n"
        assert http.get("/velip/hook?" + form_req["body"].decode()).status_code == 200
        assert http.post("/velip/hook", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
        received = fastapi_app.app.state.received
        assert received == [target.call_id] * 3


def test_async_and_sync_scripts_run(examples_on_path: None, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "async_calls.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "20 calls looked up concurrently" in out and "not found: 42_1" in out
    assert out.count("-03:00") == 3  # dialed_at is aware, America/Sao_Paulo
