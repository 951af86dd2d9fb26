"""Threads, fork, Ctrl-C, logging, and "no secret anywhere"."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
import warnings

import pytest

import velip
from velip.testing import Sandbox

from conftest import FIRST_DAY, LAST_DAY


def test_threads_share_one_client(sandbox: Sandbox, client: velip.Client) -> None:
    expected = [r.call_id for r in client.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=500)]
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def walk() -> None:
        try:
            results.append([r.call_id for r in client.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=500)])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=walk) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(results) == 6
    assert all(r == expected for r in results)


def test_gil_is_released_during_requests(fresh_sandbox: Sandbox) -> None:
    """Four requests that each wait 400 ms on the server take ~400 ms in
    four threads, not 1.6 s."""
    fresh_sandbox.set_faults(["1-4=delay:400"])
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url) as c:
        threads = [threading.Thread(target=c.list_page, kwargs={"date_start": LAST_DAY, "page_size": 5}) for _ in range(4)]
        start = time.monotonic()
        for t in threads:
            t.start()
        ticks = 0
        while any(t.is_alive() for t in threads):
            ticks += 1  # the main thread keeps running Python meanwhile
            time.sleep(0.01)
        elapsed = time.monotonic() - start
    assert elapsed < 1.2, elapsed
    assert ticks > 10


def test_iterator_shared_by_threads_yields_each_record_once(sandbox: Sandbox, client: velip.Client) -> None:
    it = client.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=300)
    seen: list[str] = []
    lock = threading.Lock()

    def drain() -> None:
        for r in it:
            with lock:
                seen.append(r.call_id)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(seen) == len(set(seen)) == sandbox.call_count


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_client_works_in_a_forked_child(sandbox: Sandbox, client: velip.Client) -> None:
    before = client.list_page(date_start=LAST_DAY, page_size=5).records
    it = client.list_calls(date_start=LAST_DAY, page_size=5)
    r, w = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking a process that has threads (the
        # sandbox's); this test is about exactly that.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: report through the pipe, never return into pytest
        code = 1
        try:
            after = client.list_page(date_start=LAST_DAY, page_size=5).records
            try:
                next(it)
                code = 3
            except velip.VelipError as e:
                code = 0 if ("fork" in str(e) and after == before) else 2
        finally:
            os.write(w, bytes([code]))
            os._exit(0)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    result = os.read(r, 1)
    os.close(r)
    assert os.WIFEXITED(status) and result == b"\x00", result
    assert client.list_page(date_start=LAST_DAY, page_size=5).records == before  # parent unaffected
    assert next(it) == before[0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_iterator_state_is_readable_in_a_forked_child(client: velip.Client) -> None:
    """In the child, a walk started before the fork refuses to fetch, but
    its statistics and resume cursor can be read, and a new walk from
    that cursor continues it."""
    first = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10)
    second = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10, cursor=first.next_cursor)
    it = client.list_calls(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10)
    for _ in range(10):
        next(it)
    r, w = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # forking with threads
        pid = os.fork()
    if pid == 0:  # child: report through the pipe, never return into pytest
        report: dict[str, object] = {}
        try:
            report = {
                "cursor": it.resume_cursor,
                "pages": it.pages_fetched,
                "yielded": it.records_yielded,
                "dups": it.duplicates_skipped,
                "masked": it.numbers_masked,
                "warnings": it.warnings,
                "finished": it.finished,
                "repr": repr(it),
            }
            try:
                next(it)
                report["next"] = "fetched"
            except velip.VelipError as e:
                report["next"] = str(e)
            try:
                it.next_page()
                report["next_page"] = "fetched"
            except velip.VelipError as e:
                report["next_page"] = str(e)
            resumed = client.list_calls(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10, cursor=it.resume_cursor)
            report["resumed"] = next(resumed).call_id
        except BaseException as e:  # reported to the parent
            report["error"] = repr(e)
        finally:
            os.write(w, json.dumps(report).encode())
            os._exit(0)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(r, "rb") as f:
        report = json.loads(f.read())
    assert os.WIFEXITED(status) and "error" not in report, report
    assert report["cursor"] == first.next_cursor
    assert (report["pages"], report["yielded"], report["dups"]) == (1, 10, 0)
    assert report["masked"] is False and report["warnings"] == [] and report["finished"] is False
    assert "records_yielded=10," in str(report["repr"])
    assert "fork" in str(report["next"]) and "fork" in str(report["next_page"])
    assert report["resumed"] == second.records[0].call_id
    assert next(it) == second.records[0]  # the parent's walk is unaffected


def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, signal.raise_signal, args=(signal.SIGINT,))
    timer.start()
    return timer


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_during_a_retry_wait(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(["1-3=429:30"])
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url, max_retry_wait=60) as c:
        timer = _interrupt_after(0.5)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            c.list_page(date_start=LAST_DAY)
        elapsed = time.monotonic() - start
        timer.join()
    assert elapsed < 1.5, elapsed


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_during_a_request_in_flight(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(["1=delay:20000"])
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url, timeout=60) as c:
        timer = _interrupt_after(0.5)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            c.list_page(date_start=LAST_DAY)
        elapsed = time.monotonic() - start
        timer.join()
    assert elapsed < 1.5, elapsed


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_during_a_slow_iteration(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(["1-1000=delay:200"])
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url) as c:
        it = c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=5)
        got = 0
        timer = _interrupt_after(0.7)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            for _ in it:
                got += 1
        elapsed = time.monotonic() - start
        timer.join()
        assert elapsed < 1.7, elapsed
        assert 0 < got < fresh_sandbox.call_count
        # The walk can continue after the interrupt: nothing lost, nothing twice.
        fresh_sandbox.set_faults([])
        rest = sum(1 for _ in it)
    assert got + rest == fresh_sandbox.call_count


def test_log_records_reach_logging_without_secrets(
    fresh_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    fresh_sandbox.set_faults(["1=503"])
    caplog.set_level(logging.DEBUG, logger="velip")
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url, token_in_body=True) as c:
        c.list_page(date_start=LAST_DAY, page_size=2)
    records = [r for r in caplog.records if r.name == "velip"]
    assert any(r.levelno == logging.DEBUG for r in records)
    assert any(r.levelno == logging.INFO and "retrying in" in r.getMessage() for r in records)  # the retry
    assert not any(r.levelno >= logging.WARNING for r in records)  # a handled event: no warning
    assert fresh_sandbox.token not in caplog.text
    assert "GetCallStatus" in caplog.text


def test_no_secret_in_repr_str_or_logs(fresh_sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="velip")
    secret = "SECRETTOKEN0123456789abcdefXYZ"
    texts: list[str] = []
    c = velip.Client(secret, base_url=fresh_sandbox.url, max_retries=0)
    texts += [repr(c), str(c)]
    with pytest.raises(velip.AuthenticationError) as auth:
        c.list_page(date_start=LAST_DAY)
    texts += [str(auth.value), repr(auth.value), repr(auth.value.__dict__)]
    with pytest.raises(velip.AuthenticationError) as again:
        c.get_call("42_1")
    texts += [str(again.value)]
    password = "hunter2-basic-password"
    b = velip.Client(basic_auth=("someone", password), base_url=fresh_sandbox.url)
    with pytest.raises(velip.AuthenticationError) as basic:
        b.list_page(date_start=LAST_DAY)
    texts += [repr(b), str(basic.value)]
    with pytest.raises(velip.ValidationError) as bad:
        velip.Client("bad token with spaces " + secret, base_url=fresh_sandbox.url)
    texts += [str(bad.value)]
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url) as good:
        it = good.list_calls(date_start=LAST_DAY, page_size=3)
        rec = next(it)
        texts += [repr(it), repr(rec), repr(good.list_page(date_start=LAST_DAY, page_size=1))]
    texts.append(caplog.text)
    blob = "\n".join(texts)
    for s in (secret, password, fresh_sandbox.token):
        assert s not in blob
