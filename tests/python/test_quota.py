"""The quota ledger from Python: the rate-limit policy, the budget, the
report, lock-outs across clients, the prefetch depth and ``limit``."""

from __future__ import annotations

import datetime
import pathlib
import time

import pytest

import velip
from velip.testing import Sandbox

from conftest import FIRST_DAY, LAST_DAY


def test_options_are_checked_by_the_client(tmp_path: pathlib.Path, sandbox: Sandbox) -> None:
    with pytest.raises(velip.ConfigError) as info:
        velip.Client(sandbox.token, base_url=sandbox.url, on_rate_limit="sleep")  # type: ignore[arg-type]
    assert info.value.option == "on_rate_limit"
    assert '"fail" or "wait"' in str(info.value)
    with pytest.raises(velip.ConfigError) as info:
        velip.Client(sandbox.token, base_url=sandbox.url, max_requests=0)
    assert info.value.option == "max_requests"
    with pytest.raises(velip.ConfigError):
        velip.Client(sandbox.token, base_url=sandbox.url, on_rate_limit="wait", max_wait=90_000)
    with pytest.raises(TypeError):
        velip.Client(sandbox.token, base_url=sandbox.url, list_quota=10)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        velip.Client(sandbox.token, base_url=sandbox.url, max_requests=True)


def test_a_budget_stops_before_sending_and_the_report_counts(
    tmp_path: pathlib.Path, fresh_sandbox: Sandbox
) -> None:
    sb = fresh_sandbox
    with velip.Client(sb.token, base_url=sb.url, max_requests=2, state_dir=tmp_path) as c:
        assert c.requests_sent == 0
        page = c.list_page(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=10)
        c.list_page(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=10, cursor=page.next_cursor)
        with pytest.raises(velip.BudgetError) as info:
            c.list_page(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=10)
        assert info.value.sent is False
        assert c.requests_sent == 2
        report = c.quota_report()
    assert len(sb.request_log()) == 2
    assert report is not None
    assert report["credentials"] == "token"
    assert report["list"]["used"] == 2 and report["list"]["limit"] == 200
    assert report["list"]["window"] == datetime.timedelta(hours=1)
    expires = report["list"]["oldest_expires_at"]
    assert expires is not None and expires.tzinfo is not None
    assert report["lockout"] is None and report["retry_after"] == {}
    assert isinstance(report["lookups"]["day"], datetime.date)
    # Nothing secret in the ledger's files.
    for f in tmp_path.rglob("*"):
        if f.is_file():
            text = f.read_bytes()
            assert sb.token.encode() not in text and sb.token[:10].encode() not in text


def test_the_ledger_can_be_off(fresh_sandbox: Sandbox) -> None:
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url, state_dir="off") as c:
        assert c.quota_report() is None


def test_fail_sends_nothing_and_wait_waits_for_a_slot(
    tmp_path: pathlib.Path, fresh_sandbox: Sandbox
) -> None:
    sb = fresh_sandbox
    quota = (2, 1.5)  # two list requests per 1.5 s
    sel = dict(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=10)
    with velip.Client(sb.token, base_url=sb.url, state_dir=tmp_path, list_quota=quota) as c:
        c.list_page(**sel)  # type: ignore[arg-type]
        c.list_page(**sel)  # type: ignore[arg-type]
        with pytest.raises(velip.RateLimitError) as info:
            c.list_page(**sel)  # type: ignore[arg-type]
        assert info.value.sent is False
        assert info.value.retry_after is not None and info.value.retry_after <= 2
    assert len(sb.request_log()) == 2
    with velip.Client(
        sb.token, base_url=sb.url, state_dir=tmp_path, list_quota=quota, on_rate_limit="wait", max_wait=10
    ) as c:
        t = time.monotonic()
        c.list_page(**sel)  # type: ignore[arg-type]
        assert time.monotonic() - t > 0.2, "waited for a slot of the shared ledger"
    assert len(sb.request_log()) == 3


def test_a_lock_out_is_shared_and_can_be_cleared(tmp_path: pathlib.Path, fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    bad = sb.inactive_token
    for _ in range(3):
        with velip.Client(bad, base_url=sb.url, state_dir=tmp_path) as c:
            with pytest.raises(velip.AuthenticationError):
                c.get_call("42_1")
    assert len(sb.request_log()) == 1, "later clients refused before sending"
    with velip.Client(bad, base_url=sb.url, state_dir=tmp_path) as c:
        report = c.quota_report()
        assert report is not None and report["lockout"] is not None
        assert bad not in report["lockout"]["message"]
        assert c.reset_lockout() is True
        assert c.reset_lockout() is False
        with pytest.raises(velip.AuthenticationError) as info:
            c.get_call("42_1")
        assert info.value.sent is True
    assert len(sb.request_log()) == 2


def test_prefetch_zero_spends_nothing_it_does_not_yield(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with velip.Client(sb.token, base_url=sb.url) as c:
        with c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=10, prefetch=0) as it:
            next(it)
            time.sleep(0.3)
            assert len(sb.request_log()) == 1
        sb.clear_request_log()
        with c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=10, prefetch=1) as it:
            next(it)
            time.sleep(0.3)
            assert len(sb.request_log()) == 2
        with pytest.raises(ValueError):
            c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, prefetch=-1)


def test_a_limit_below_the_page_size_asks_for_no_more(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with velip.Client(sb.token, base_url=sb.url) as c:
        it = c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=1000, limit=5)
        assert len(list(it)) == 5 and it.finished
    [req] = sb.request_log()
    assert dict(req["body"])["maxreg"] == "5"
