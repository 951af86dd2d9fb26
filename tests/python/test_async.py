"""velip.AsyncClient against the sandbox: the same calls and errors as the
blocking client, cancellation, timeouts, concurrency, Ctrl-C, uvloop."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

import pytest

import velip
from velip.testing import Sandbox, WebhookReceiver

from conftest import FIRST_DAY, LAST_DAY

T = TypeVar("T")


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(main())


def sent_after(sb: Sandbox, seconds: float) -> int:
    """Requests the sandbox gets in the next `seconds` (nothing may be sent
    after a cancellation)."""
    before = len(sb.request_log())
    time.sleep(seconds)
    return len(sb.request_log()) - before


def test_calls_are_coroutines_with_the_sync_results(sandbox: Sandbox, client: velip.Client) -> None:
    page = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=200)
    target = next(r for r in page if r.correlation_id)

    async def main() -> None:
        async with velip.AsyncClient(sandbox.token, base_url=sandbox.url) as ac:
            assert ac.base_url == sandbox.url and ac.user_agent == client.user_agent
            assert await ac.get_call(target.call_id) == target
            assert await ac.find_calls(target.correlation_id or "") == client.find_calls(target.correlation_id or "")
            got = await ac.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=200)
            assert got.records == page.records and got.next_cursor == page.next_cursor
            assert "AsyncClient(base_url=" in repr(ac)

    run(main)


def test_async_for_walks_every_page_once(sandbox: Sandbox, client: velip.Client) -> None:
    expected = [r.call_id for r in client.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=700)]

    async def main() -> None:
        async with velip.AsyncClient(sandbox.token, base_url=sandbox.url) as ac:
            calls = ac.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=700)
            assert calls.__aiter__() is calls
            ids = [r.call_id async for r in calls]
            assert ids == expected
            assert calls.pages_fetched == -(-len(ids) // 700) and calls.records_yielded == len(ids)
            assert calls.finished and calls.resume_cursor is None and calls.duplicates_skipped == 0
            assert not calls.numbers_masked and calls.warnings == []
            assert "AsyncCallIterator(pages_fetched=" in repr(calls)
            # next_page mixes with async for
            async with ac.list_calls(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10) as it:
                first = await it.__anext__()
                rest = await it.next_page()
                assert rest is not None and len(rest) == 9 and first.call_id == expected[0]
                nxt = await it.next_page()
                assert nxt is not None and nxt.records[0].call_id == expected[10]
            assert [r async for r in it] == []  # closed: nothing more

    run(main)


def test_limit_sends_only_the_requests_it_needs(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox

    async def main() -> None:
        async with velip.AsyncClient(sb.token, base_url=sb.url) as ac:
            sb.clear_request_log()
            got = [r async for r in ac.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, limit=7)]
            assert len(got) == 7
            [req] = sb.request_log()
            assert dict(req["query"] + req["body"])["maxreg"] == "7"
            sb.clear_request_log()
            it = ac.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=100, limit=250)
            got = [r async for r in it]
            assert len(got) == 250 and it.finished
            await asyncio.sleep(0.3)  # nothing fetched ahead
            assert len(sb.request_log()) == 3
            assert [r async for r in ac.list_calls(date_start=FIRST_DAY, limit=0)] == []

    run(main)
    with velip.Client(sb.token, base_url=sb.url) as c:
        sb.clear_request_log()
        it = c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, limit=5000 + 1)
        assert sum(1 for _ in it) == 600 and it.finished  # all 600, in one request of 5000
        assert len(sb.request_log()) == 1
        page = c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=10, limit=15)
        assert len(page.next_page() or []) == 10 and len(page.next_page() or []) == 5
        assert page.next_page() is None
        with pytest.raises(velip.ValidationError, match="limit must be a non-negative int, not -1"):
            c.list_calls(date_start=FIRST_DAY, limit=-1)
        with pytest.raises(TypeError, match="limit must be"):
            c.list_calls(date_start=FIRST_DAY, limit=True)


def _slow_first(sb: Sandbox) -> None:
    """The first request is answered after 20 s; the others at once."""
    sb.set_faults(["1=delay:20000"])


@pytest.mark.parametrize("how", ["wait_for", "task_cancel", "asyncio_timeout", "close"])
def test_cancellation_abandons_the_request_in_flight(fresh_sandbox: Sandbox, how: str) -> None:
    """With one worker thread, a second call runs at once after the first
    was cancelled: the slow request was abandoned, not awaited."""
    if how == "asyncio_timeout" and sys.version_info < (3, 11):
        pytest.skip("asyncio.timeout is new in 3.11")
    sb = fresh_sandbox
    some = velip.Client(sb.token, base_url=sb.url).list_page(date_start=LAST_DAY, page_size=1).records[0]
    sb.clear_request_log()
    sb.reset()
    _slow_first(sb)

    async def main() -> float:
        ac = velip.AsyncClient(sb.token, base_url=sb.url, timeout=60, max_concurrency=1)
        call = ac.list_page(date_start=LAST_DAY, page_size=5)
        start = time.monotonic()
        if how == "wait_for":
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(call, 0.2)
        elif how == "asyncio_timeout":
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):  # type: ignore[attr-defined,unused-ignore]
                    await call
        else:
            task = asyncio.ensure_future(call)
            await asyncio.sleep(0.2)
            if how == "close":
                await ac.close()
                with pytest.raises(velip.VelipError, match="closed"):
                    await ac.get_call(some.call_id)
                with pytest.raises(asyncio.CancelledError):
                    await task
                return time.monotonic() - start
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert time.monotonic() - start < 0.5
        # The one worker is free again within the 100 ms poll.
        assert await asyncio.wait_for(ac.get_call(some.call_id), 5) == some
        await ac.close()
        return time.monotonic() - start

    elapsed = run(main)
    assert elapsed < 1.5, elapsed
    # Only the second call was answered; the slow one is still on the
    # server (abandoned), and nothing else was sent.
    assert [e["status"] for e in sb.request_log()] == ([] if how == "close" else [200])


def test_cancelled_retry_wait_sends_no_retry(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.set_faults(["1-5=429:2"])

    async def main() -> None:
        async with velip.AsyncClient(sb.token, base_url=sb.url, max_retry_wait=10) as ac:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ac.get_call("42_1"), 0.5)

    run(main)
    assert len(sb.request_log()) == 1
    assert sent_after(sb, 2.2) == 0  # the retry after Retry-After: 2 never goes out


def test_cancelled_walk_stops_fetching(fresh_sandbox: Sandbox) -> None:
    """Cancelling a walk closes it: no page is requested after the
    cancellation (without it, every 0.5 s another page would go out)."""
    sb = fresh_sandbox
    sb.set_faults(["1-1000=delay:500"])

    async def main() -> velip.AsyncCallIterator:
        async with velip.AsyncClient(sb.token, base_url=sb.url) as ac:
            it = ac.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=5)

            async def walk() -> None:
                async for _ in it:
                    pass

            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(walk(), 0.8)  # mid second page
            return it

    it = run(main)
    time.sleep(1.2)
    # Page 1, and page 2 (requested ahead at 0.5 s) answered at 1.0 s.
    assert len(sb.request_log()) <= 2, sb.request_log()
    assert sent_after(sb, 0.6) == 0
    assert it.records_yielded == 5 and it.resume_cursor is not None and not it.finished


def test_walk_error_keeps_records_and_resumes(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.set_faults(["2=badjson"])

    async def main() -> None:
        async with velip.AsyncClient(sb.token, base_url=sb.url, max_retries=0) as ac:
            it = ac.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=100)
            got: list[str] = []
            with pytest.raises(velip.DecodeError):
                async for r in it:
                    got.append(r.call_id)
            assert len(got) == 100 and not it.finished and it.resume_cursor is not None
            got += [r.call_id async for r in it]
            assert len(got) == len(set(got)) == sb.call_count and it.finished

    run(main)


def test_timeouts_raise_request_timeout_error(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(["1-5=delay:3000"])

    async def main() -> None:
        async with velip.AsyncClient(fresh_sandbox.token, base_url=fresh_sandbox.url, timeout=0.3, max_retries=0) as ac:
            with pytest.raises(velip.RequestTimeoutError) as info:
                await ac.list_page(date_start=LAST_DAY)
            assert isinstance(info.value, TimeoutError) and info.value.kind == "timeout"

    run(main)


def test_concurrent_calls_run_in_parallel_and_the_loop_keeps_running(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    ids = [r.call_id for r in velip.Client(sb.token, base_url=sb.url).list_page(date_start=LAST_DAY, page_size=50)]
    sb.set_faults(["1-1000=delay:300"])

    async def main() -> tuple[float, int]:
        async with velip.AsyncClient(sb.token, base_url=sb.url) as ac:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            t = asyncio.ensure_future(ticker())
            start = time.monotonic()
            records = await asyncio.gather(*(ac.get_call(i) for i in ids))
            elapsed = time.monotonic() - start
            t.cancel()
            assert [r.call_id for r in records] == ids
            return elapsed, ticks

    elapsed, ticks = run(main)
    assert elapsed < 3.0, elapsed  # 50 x 300 ms would be 15 s one after the other
    assert ticks > 10


def test_max_concurrency_is_checked() -> None:
    with pytest.raises(velip.ConfigError) as info:
        velip.AsyncClient("T" * 30, max_concurrency=0)
    assert info.value.option == "max_concurrency"
    with pytest.raises(TypeError):
        velip.AsyncClient("T" * 30, max_concurrency=True)


@pytest.mark.parametrize(
    ("faults", "kwargs", "call", "cls"),
    [
        (["1-10=503"], {"max_retries": 0}, "list_page", velip.ServerError),
        (["1-10=429"], {"max_retries": 0}, "list_page", velip.RateLimitError),
        (["1-10=badjson"], {"max_retries": 0}, "list_page", velip.DecodeError),
        (["1-10=reset"], {"max_retries": 0}, "list_page", velip.TransportError),
        (["1-40=stuck"], {}, "walk", velip.PagingError),
        ([], {}, "not_found", velip.NotFoundError),
        ([], {}, "invalid", velip.ValidationError),
        ([], {"token": "inactive"}, "list_page", velip.AuthenticationError),
        ([], {"ip": "block"}, "list_page", velip.ForbiddenError),
    ],
)
def test_errors_map_as_in_the_sync_client(
    fresh_sandbox: Sandbox, faults: list[str], kwargs: dict[str, Any], call: str, cls: type
) -> None:
    sb = fresh_sandbox
    token = sb.inactive_token if kwargs.pop("token", None) else sb.token
    if kwargs.pop("ip", None):
        sb.set_ip_policy("block")

    async def attempt(ac: velip.AsyncClient) -> object:
        if call == "walk":
            return [r async for r in ac.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=10)]
        if call == "not_found":
            return await ac.get_call("42_1")
        if call == "invalid":
            return await ac.list_page(campaign_id=-1)
        return await ac.list_page(date_start=LAST_DAY, page_size=5)

    def sync_attempt(c: velip.Client) -> object:
        if call == "walk":
            return list(c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=10))
        if call == "not_found":
            return c.get_call("42_1")
        if call == "invalid":
            return c.list_page(campaign_id=-1)
        return c.list_page(date_start=LAST_DAY, page_size=5)

    # No shared ledger: each client must meet the fault itself, not the
    # lock-out or Retry-After the other one left.
    kwargs["state_dir"] = "off"
    sb.set_faults(faults)
    with velip.Client(token, base_url=sb.url, **kwargs) as c, pytest.raises(cls) as sync_info:
        sync_attempt(c)
    sb.set_faults(faults)

    async def main() -> BaseException:
        async with velip.AsyncClient(token, base_url=sb.url, **kwargs) as ac:
            with pytest.raises(cls) as info:
                await attempt(ac)
            return info.value

    e = run(main)
    assert type(e) is type(sync_info.value)
    assert str(e) == str(sync_info.value)
    assert {k: v for k, v in vars(e).items() if k != "snippet"} == {
        k: v for k, v in vars(sync_info.value).items() if k != "snippet"
    }


def test_lock_out_refusal_is_marked_not_sent(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox

    async def main() -> None:
        async with velip.AsyncClient("WRONGTOKEN0000000000000000000x", base_url=sb.url) as ac:
            with pytest.raises(velip.AuthenticationError) as first:
                await ac.get_call("42_1")
            assert first.value.sent and first.value.code == "102"
            sent = len(sb.request_log())
            with pytest.raises(velip.AuthenticationError) as again:
                await ac.list_page(date_start=LAST_DAY)
            assert again.value.sent is False and again.value.code == "102" and "not sent" in str(again.value)
            with pytest.raises(velip.AuthenticationError) as walk:
                async for _ in ac.list_calls(date_start=LAST_DAY):
                    pass
            assert walk.value.sent is False
            assert len(sb.request_log()) == sent
            ac.set_token(sb.token)
            assert len(await ac.list_page(date_start=LAST_DAY, page_size=3)) == 3

    run(main)


def test_push_to_webhook_async(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox

    async def main() -> None:
        with WebhookReceiver() as hook:
            async with velip.AsyncClient(sb.token, base_url=sb.url) as ac:
                target = (await ac.list_page(date_start=LAST_DAY, page_size=1)).records[0]
                page = await ac.push_to_webhook(rurl=hook.url, call_id=target.call_id, rurl_format="json")
                assert isinstance(page, velip.Page)
                [req] = await asyncio.get_running_loop().run_in_executor(None, lambda: hook.requests(1, timeout=10))
                [got] = velip.parse_webhook(req["body"], req["content_type"])
                assert got.call_id == target.call_id

    run(main)


def test_event_loop_is_not_blocked_during_a_walk(sandbox: Sandbox) -> None:
    """Coarse, not a benchmark (scripts/bench measures the stall): a
    ticker keeps ticking while 3000 records stream."""

    async def main() -> tuple[int, int]:
        async with velip.AsyncClient(sandbox.token, base_url=sandbox.url) as ac:
            ticks = 0
            stop = asyncio.Event()

            async def ticker() -> None:
                nonlocal ticks
                while not stop.is_set():
                    await asyncio.sleep(0)
                    ticks += 1

            t = asyncio.ensure_future(ticker())
            n = 0
            async for _ in ac.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=3000):
                n += 1
            stop.set()
            await t
            return n, ticks

    n, ticks = run(main)
    assert n == sandbox.call_count and ticks >= 1


def test_works_with_uvloop(fresh_sandbox: Sandbox) -> None:
    uvloop = pytest.importorskip("uvloop")
    sb = fresh_sandbox

    async def main() -> int:
        assert "uvloop" in type(asyncio.get_running_loop()).__module__
        async with velip.AsyncClient(sb.token, base_url=sb.url) as ac:
            n = sum([1 async for _ in ac.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=100)])
            ids = [r.call_id for r in (await ac.list_page(date_start=LAST_DAY, page_size=5)).records]
            assert [r.call_id for r in await asyncio.gather(*(ac.get_call(i) for i in ids))] == ids
            sb.reset()
            _slow_first(sb)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ac.get_call(ids[0]), 0.2)
            return n

    assert uvloop.run(main()) == sb.call_count
    assert sb.request_log() == [] and sent_after(sb, 0.3) == 0  # in flight, abandoned


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_asyncio_run_and_sends_nothing_more(fresh_sandbox: Sandbox, tmp_path: Any) -> None:
    """Ctrl-C under asyncio.run: KeyboardInterrupt within a second, the
    request in flight abandoned, no request after it."""
    sb = fresh_sandbox
    _slow_first(sb)
    script = tmp_path / "ctrl_c.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import asyncio, sys, velip
            async def main():
                async with velip.AsyncClient({sb.token!r}, base_url={sb.url!r}, timeout=60) as ac:
                    print("ready", flush=True)
                    await ac.list_page(date_start={LAST_DAY!r})
            try:
                asyncio.run(main())
            except KeyboardInterrupt:
                print("interrupted", flush=True)
                sys.exit(0)
            sys.exit(3)
            """
        )
    )
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.3)  # the request is in flight (answered after 20 s)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=10)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0 and "interrupted" in out, (proc.returncode, out)
    assert elapsed < 1.5, elapsed


def test_environment_configures_both_clients(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELIP_TOKEN", sandbox.token)
    monkeypatch.setenv("VELIP_BASE_URL", sandbox.url)
    with velip.Client() as c:
        assert c.base_url == sandbox.url and len(c.list_page(date_start=LAST_DAY, page_size=2)) == 2

    async def main() -> int:
        async with velip.AsyncClient() as ac:
            return len(await ac.list_page(date_start=LAST_DAY, page_size=2))

    assert run(main) == 2
    monkeypatch.delenv("VELIP_TOKEN")
    user, password = sandbox.basic_auth
    monkeypatch.setenv("VELIP_USER", user)
    monkeypatch.setenv("VELIP_PASSWORD", password)
    sandbox.clear_request_log()
    with velip.Client() as c:
        c.list_page(date_start=LAST_DAY, page_size=1)
    assert sandbox.request_log()[-1]["auth"] == "basic"
    # An argument wins over the environment.
    with velip.Client(sandbox.token) as c:
        c.list_page(date_start=LAST_DAY, page_size=1)
    assert sandbox.request_log()[-1]["auth"] != "basic"
    monkeypatch.delenv("VELIP_USER")
    monkeypatch.delenv("VELIP_PASSWORD")
    with pytest.raises(velip.ConfigError, match="no credentials"):
        velip.AsyncClient()


def test_awaitables_compose(sandbox: Sandbox) -> None:
    """Typed awaitables work with gather/wait and as tasks."""

    async def main() -> None:
        async with velip.AsyncClient(sandbox.token, base_url=sandbox.url) as ac:
            a: Awaitable[velip.Page] = ac.list_page(date_start=LAST_DAY, page_size=1)
            b = asyncio.ensure_future(ac.list_page(date_start=LAST_DAY, page_size=2))
            pa, pb = await asyncio.gather(a, b)
            assert len(pa) == 1 and len(pb) == 2

    run(main)



def test_config_errors_are_the_sync_clients(sandbox: Sandbox) -> None:
    for kwargs in ({"timeout": 0}, {"max_retries": 101}, {"basic_auth": ("u", "p")}):
        with pytest.raises(velip.ConfigError) as sync_info:
            velip.Client(sandbox.token, base_url=sandbox.url, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(velip.ConfigError) as info:
            velip.AsyncClient(sandbox.token, base_url=sandbox.url, **kwargs)  # type: ignore[arg-type]
        assert str(info.value) == str(sync_info.value) and info.value.option == sync_info.value.option
