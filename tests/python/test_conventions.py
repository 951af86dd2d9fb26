"""What Python users expect: quiet logging, documented calls, aware
datetimes, typed dicts, and every bad input a VelipError."""

from __future__ import annotations

import datetime
import inspect
import subprocess
import sys
import textwrap
import zoneinfo

import pytest

import velip
from velip.testing import Sandbox

from conftest import LAST_DAY

SAO_PAULO = zoneinfo.ZoneInfo("America/Sao_Paulo")


def test_times_are_aware_beside_the_naive_ones(client: velip.Client) -> None:
    page = client.list_page(date_start=LAST_DAY, page_size=200)
    answered = [r for r in page if r.answer_time is not None]
    assert answered
    for r in page:
        assert r.date is not None and r.dial_time is not None and r.dialed_at is not None
        assert r.dialed_at.tzinfo == SAO_PAULO
        assert r.dialed_at.utcoffset() == datetime.timedelta(hours=-3)
        assert r.dialed_at.replace(tzinfo=None) == datetime.datetime.combine(r.date, r.dial_time)
        if r.answer_time is None:
            assert r.answered_at is None
        else:
            assert r.answered_at is not None and r.answered_at.timetz().replace(tzinfo=None) == r.answer_time
            assert r.answered_at >= r.dialed_at
        if r.hangup_time is not None:
            assert r.hung_up_at is not None and r.hung_up_at.tzinfo == SAO_PAULO


def test_call_crossing_midnight_ends_the_next_day() -> None:
    body = (
        b'{"return":{"status":"OK","status_code":"0"},"calls":[{"cd_id":"7","cd_status":"OK",'
        b'"date":"2026-05-06","time_dial":"23:59:30","time_start":"23:59:50","time_end":"00:01:10"}]}'
    )
    [r] = velip.parse_response(body).records
    assert r.hung_up_at == datetime.datetime(2026, 5, 7, 0, 1, 10, tzinfo=SAO_PAULO)
    assert r.answered_at == datetime.datetime(2026, 5, 6, 23, 59, 50, tzinfo=SAO_PAULO)
    assert r.hung_up_at.astimezone(datetime.timezone.utc).hour == 3


def test_to_dict_has_the_typed_keys(client: velip.Client) -> None:
    r = client.list_page(date_start=LAST_DAY, page_size=1).records[0]
    d = r.to_dict()
    required = set(velip.CallRecordDict.__required_keys__)
    assert required <= set(d) <= required | velip.CallRecordDict.__optional_keys__
    assert d["call_id"] == r.call_id and d["date"] == LAST_DAY


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_call("\ud800"),
        lambda c: c.find_calls("a\udcff"),
        lambda c: c.list_page(origin="\ud800"),
        lambda c: c.list_page(date_start="2026-11-\ud800"),
        lambda c: c.list_calls(campaign_ref="\ud800"),
        lambda c: c.push_to_webhook(rurl="https://example.com/\ud800", call_id="1"),
        lambda c: c.push_to_webhook(rurl="https://example.com/", call_id="1", rurl_headers={"X": "\ud800"}),
        lambda c: c.set_token("\ud800" * 30),
        lambda c: velip.Client("\ud800" * 30),
        lambda c: velip.AsyncClient(basic_auth=("u\ud800", "p")),
        lambda c: velip.parse_webhook("\ud800", "application/json"),
        lambda c: velip.parse_brl_decimal("1,\ud800"),
        lambda c: velip.PhoneNumber.parse("11\ud800"),
        lambda c: velip.parse_response(b"{}", content_type="\ud800"),
    ],
)
def test_every_input_error_is_a_velip_error(client: velip.Client, call: object) -> None:
    with pytest.raises(velip.VelipError):
        call(client)  # type: ignore[operator]


def _public_callables() -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for cls in (velip.Client, velip.AsyncClient, velip.CallIterator, velip.AsyncCallIterator, velip.PhoneNumber):
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") or not callable(member):
                continue
            if cls is velip.AsyncCallIterator and name in ("send", "throw", "close"):
                continue  # the awaitable protocol (the iterator is its own awaitable)
            out.append((f"{cls.__name__}.{name}", member))
    for f in (velip.parse_response, velip.parse_webhook, velip.parse_brl_decimal):
        out.append((f.__name__, f))
    return out


QUIET = {  # no I/O, nothing to raise beyond the obvious
    "Client.close",
    "AsyncClient.close",
    "CallIterator.close",
    "AsyncCallIterator.aclose",
    "PhoneNumber.e164",
    "PhoneNumber.national",
}


@pytest.mark.parametrize(("name", "member"), _public_callables())
def test_every_public_call_documents_what_it_raises(name: str, member: object) -> None:
    doc = inspect.getdoc(member) or ""
    assert doc, name
    if name not in QUIET:
        assert "Raises" in doc or "raise" in doc, name


def test_help_shows_formats_and_wire_fields() -> None:
    doc = inspect.getdoc(velip.Client.list_calls) or ""
    for needle in ("YYYY-MM-DD", "maxreg", "cp_id", "ctid", "limit", "5000", "Raises", "PagingError"):
        assert needle in doc, needle
    adoc = inspect.getdoc(velip.AsyncClient.get_call) or ""
    assert "CancelledError" in adoc and "cd_id" in adoc and "NotFoundError" in adoc
    assert "CallRecord" in str(inspect.signature(velip.AsyncClient.get_call))


def _run_script(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("VELIP_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=full_env, timeout=60
    )


def test_handled_events_print_nothing_without_logging_config(fresh_sandbox: Sandbox) -> None:
    """Retries, an authentication failure the app caught and the refusals
    after it: nothing on stderr for an app that configured no logging."""
    sb = fresh_sandbox
    sb.set_faults(["1=503"])
    code = f"""
        import velip
        c = velip.Client({sb.token!r}, base_url={sb.url!r})
        c.list_page(date_start={LAST_DAY!r}, page_size=1)
        bad = velip.Client("WRONGTOKEN0000000000000000000x", base_url={sb.url!r})
        for _ in range(2):
            try:
                bad.get_call("42_1")
            except velip.AuthenticationError:
                pass
        print("done")
    """
    p = _run_script(code)
    assert p.returncode == 0 and p.stdout.strip() == "done" and p.stderr == "", p.stderr


def test_velip_log_turns_on_debug_logs(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.set_faults(["1=503"])
    code = f"""
        import velip
        c = velip.Client({sb.token!r}, base_url={sb.url!r})
        c.list_page(date_start={LAST_DAY!r}, page_size=1)
        bad = velip.Client("WRONGTOKEN0000000000000000000x", base_url={sb.url!r})
        for _ in range(2):
            try:
                bad.get_call("42_1")
            except velip.AuthenticationError:
                pass
    """
    p = _run_script(code, {"VELIP_LOG": "debug"})
    assert p.returncode == 0, p.stderr
    assert "DEBUG velip: POST /api/v2/GetCallStatus.php" in p.stderr
    assert "INFO velip: POST /api/v2/GetCallStatus.php: server error (HTTP 503)" in p.stderr
    assert "WARNING velip: not sent: these credentials failed authentication" in p.stderr
    assert sb.token not in p.stderr
    info = _run_script(code, {"VELIP_LOG": "warning"})
    assert [line for line in info.stderr.splitlines() if "velip" in line] == [
        line for line in info.stderr.splitlines() if "WARNING velip: not sent" in line
    ]
