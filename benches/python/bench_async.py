"""velip.AsyncClient vs velip.Client, side by side (see BENCHMARKS.md).

1. Walk: every call of a running sandbox (page size 5000), touching
   call_id, status, value and date of each record: the blocking walk, the
   async walk, and the async walk with a 1 ms ticker task whose largest
   lateness is the event loop's longest stall. Rounds interleaved.
2. Concurrency: 50 concurrent ``get_call`` tasks vs one, against an
   in-process sandbox whose answers take DELAY ms (0 = as fast as it goes,
   50 = a service a WAN away), after a warm-up burst (connections pooled).
   The ticker alone (nothing else running) gives the machine's own
   scheduling jitter, for comparison; the loop thread's CPU time between
   two ticks (``max_busy_ms``) is the stall without the machine's
   preemption (on a loaded machine the two differ a lot).
3. Thread hop: one ``await get_call`` vs one blocking ``get_call``, same
   sandbox, no delay (what the worker-thread design costs per call).

Usage: bench_async.py URL TOKEN [--rounds N] [--uvloop]
Prints one JSON line per measurement, then a summary line (rates: median
of rounds; ratios: median of the per-round ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any, Dict, List

import velip
from velip.testing import Sandbox

DATE_START = "2000-01-01"
DATE_END = "2100-12-31"


def sync_walk(url: str, token: str) -> float:
    client = velip.Client(token, base_url=url)
    t0 = time.perf_counter()
    n = 0
    for r in client.list_calls(date_start=DATE_START, date_end=DATE_END, page_size=5000):
        _ = (r.call_id, r.status, r.value, r.date)
        n += 1
    return n / (time.perf_counter() - t0)


async def async_walk(url: str, token: str, ticker: bool) -> Dict[str, float]:
    worst = 0.0
    busy = 0.0
    stop = False

    async def tick() -> None:
        # Wall-clock lateness (what a task feels, scheduler included) and
        # the loop thread's own CPU time between two ticks (what the walk
        # keeps the loop busy for, without the machine's preemption).
        nonlocal worst, busy
        while not stop:
            t = time.perf_counter()
            c = time.thread_time()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - t - 0.001)
            busy = max(busy, time.thread_time() - c)

    async with velip.AsyncClient(token, base_url=url) as client:
        task = asyncio.ensure_future(tick()) if ticker else None
        await asyncio.sleep(0.01)
        t0 = time.perf_counter()
        n = 0
        async for r in client.list_calls(date_start=DATE_START, date_end=DATE_END, page_size=5000):
            _ = (r.call_id, r.status, r.value, r.date)
            n += 1
        secs = time.perf_counter() - t0
        stop = True
        if task is not None:
            await task
    return {"records": n, "records_per_s": n / secs, "max_stall_ms": worst * 1000, "max_busy_ms": busy * 1000}


async def idle_stall(seconds: float = 2.0) -> float:
    """The largest lateness of the 1 ms ticker with nothing else running
    (what the machine's scheduler alone costs; compare with the walk's)."""
    worst = 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        await asyncio.sleep(0.001)
        worst = max(worst, time.perf_counter() - t - 0.001)
    return worst * 1000


async def concurrency(delay_ms: int, tasks: int = 50, bursts: int = 5) -> Dict[str, float]:
    faults = [f"1-1000000=delay:{delay_ms}"] if delay_ms else []
    with Sandbox(calls=10_000, faults=faults) as sb:
        sync = velip.Client(sb.token, base_url=sb.url)
        ids = [r.call_id for r in sync.list_page(date_start="2026-11-20", page_size=tasks)]
        async with velip.AsyncClient(sb.token, base_url=sb.url) as client:
            await asyncio.gather(*(client.get_call(i) for i in ids))  # warm-up: threads, connections
            one: List[float] = []
            for i in ids[:10]:
                t0 = time.perf_counter()
                await client.get_call(i)
                one.append(time.perf_counter() - t0)
            many: List[float] = []
            for _ in range(bursts):
                t0 = time.perf_counter()
                await asyncio.gather(*(client.get_call(i) for i in ids))
                many.append(time.perf_counter() - t0)
    t1, tn = statistics.median(one), statistics.median(many)
    return {"delay_ms": delay_ms, "tasks": tasks, "one_ms": t1 * 1000, "concurrent_ms": tn * 1000, "ratio": tn / t1}


async def thread_hop(calls: int = 200) -> Dict[str, float]:
    with Sandbox(calls=10_000) as sb:
        sync = velip.Client(sb.token, base_url=sb.url)
        ids = [r.call_id for r in sync.list_page(date_start="2026-11-20", page_size=20)]
        async with velip.AsyncClient(sb.token, base_url=sb.url) as client:
            await client.get_call(ids[0])
            a: List[float] = []
            s: List[float] = []
            for k in range(calls):
                i = ids[k % len(ids)]
                t0 = time.perf_counter()
                sync.get_call(i)
                s.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                await client.get_call(i)
                a.append(time.perf_counter() - t0)
    ms, ma = statistics.median(s), statistics.median(a)
    return {"sync_us": ms * 1e6, "async_us": ma * 1e6, "hop_us": (ma - ms) * 1e6}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--uvloop", action="store_true")
    a = ap.parse_args()
    runner: Any = asyncio.run
    if a.uvloop:
        import uvloop

        runner = uvloop.run
    rates: Dict[str, List[float]] = {"sync": [], "async": [], "async_with_ticker": []}
    stalls: List[float] = []
    busy: List[float] = []
    idle: List[float] = []
    for rnd in range(a.rounds):
        idle.append(runner(idle_stall()))
        rates["sync"].append(sync_walk(a.url, a.token))
        rates["async"].append(runner(async_walk(a.url, a.token, ticker=False))["records_per_s"])
        t = runner(async_walk(a.url, a.token, ticker=True))
        rates["async_with_ticker"].append(t["records_per_s"])
        stalls.append(t["max_stall_ms"])
        busy.append(t["max_busy_ms"])
        print(json.dumps({"round": rnd, **{k: round(v[-1]) for k, v in rates.items()}, "max_stall_ms": round(stalls[-1], 2),
                          "max_busy_ms": round(busy[-1], 2),
                          "idle_max_stall_ms": round(idle[-1], 2)}), flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    # Ratios within each round (same machine state), then their median:
    # steadier than a ratio of medians on a shared machine.
    ratio = statistics.median(x / y for x, y in zip(rates["async"], rates["sync"]))
    ratio_ticker = statistics.median(x / y for x, y in zip(rates["async_with_ticker"], rates["sync"]))
    conc = [runner(concurrency(d)) for d in (0, 50)]
    for c in conc:
        print(json.dumps({k: round(v, 2) for k, v in c.items()}), flush=True)
    hop = runner(thread_hop())
    print(json.dumps({k: round(v, 1) for k, v in hop.items()}), flush=True)
    print(json.dumps({
        "summary": {k: round(v) for k, v in med.items()},
        "async_vs_sync": round(ratio, 3),
        "async_with_ticker_vs_sync": round(ratio_ticker, 3),
        "max_stall_ms": round(max(stalls), 2),
        "max_busy_ms": round(max(busy), 2),
        "idle_max_stall_ms": round(max(idle), 2),
        "concurrency": [{k: round(v, 2) for k, v in c.items()} for c in conc],
        "thread_hop": {k: round(v, 1) for k, v in hop.items()},
        "loop": "uvloop" if a.uvloop else "asyncio",
    }))


if __name__ == "__main__":
    sys.exit(main())
