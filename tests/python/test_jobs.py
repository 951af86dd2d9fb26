"""Walks against a service that misbehaves: records that cannot be read in
full are kept with their problems; a service that does not advance ends the
walk with a PagingError after at most three requests; a loop that skips
errors does not flood the service."""

from __future__ import annotations

import time

import pytest

import velip
from velip.testing import Sandbox


def test_a_persistent_bad_record_is_yielded_with_its_problem(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with velip.Client(sb.token, base_url=sb.url) as c:
        ids = [r.call_id for r in c.list_page(date_start="2026-11-01", date_end="2026-11-20", page_size=120)]
        bad = ids[110]
        sb.set_faults([f'*=badfield:{bad}:dur=27.5'])
        records = list(c.list_calls(date_start="2026-11-01", date_end="2026-11-20", page_size=50))
    assert len({r.call_id for r in records}) == len(records)
    [r] = [r for r in records if r.problems]
    assert r.call_id == bad and r.duration_seconds is None
    assert r.problems == [velip.Problem("dur", "27.5", "expected a non-negative whole number")]


def test_a_service_that_does_not_advance_is_a_paging_error(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.set_faults(["*=freshcursor"])
    with velip.Client(sb.token, base_url=sb.url) as c:
        seen = []
        with pytest.raises(velip.PagingError) as info:
            for r in c.list_calls(date_start="2026-11-01", date_end="2026-11-20", page_size=50):
                seen.append(r.call_id)
    assert info.value.reason == "no_progress"
    assert len(seen) == len(set(seen)) == 50
    time.sleep(0.3)
    assert len(sb.request_log()) <= 3


def test_a_loop_that_skips_errors_sends_one_request_per_wait(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.set_faults(["*=429:2984"])
    with velip.Client(sb.token, base_url=sb.url, max_retry_wait=1) as c:
        it = c.list_calls(date_start="2026-11-01", date_end="2026-11-20")
        for _ in range(2000):
            with pytest.raises(velip.RateLimitError) as info:
                next(it)
            assert info.value.retry_after == 2984
    assert len(sb.request_log()) == 1
