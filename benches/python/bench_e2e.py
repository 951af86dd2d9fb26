"""End-to-end paging throughput against a running sandbox, side by side.

Walks every call of a date range with page size 5000 and touches call_id,
status, value (as Decimal) and date (as datetime.date) of every record, with:

- velip:   velip.Client.list_calls
- requests + json.loads, paging by hand
- httpx + orjson, paging by hand

Usage: bench_e2e.py URL TOKEN [--rounds N]
Prints one JSON line per client run, then a summary with ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from decimal import Decimal
from typing import Any, Callable, Dict, List

DATE_START = "2026-10-01"
DATE_END = "2026-11-30"
PAGE = 5000


def _touch(cd_id: Any, status: Any, value: Any, date: Any) -> int:
    # Same conversions velip performs: Decimal from the decimal-comma text and
    # a datetime.date from YYYY-MM-DD.
    Decimal(str(value).replace(".", "").replace(",", ".")) if value not in (None, "") else None
    dt.date.fromisoformat(date) if date else None
    return 1 if cd_id is not None and status is not None else 0


def run_velip(url: str, token: str) -> int:
    import velip

    client = velip.Client(token, base_url=url)
    n = 0
    for r in client.list_calls(date_start=DATE_START, date_end=DATE_END, page_size=PAGE):
        _ = (r.call_id, r.status, r.value, r.date)
        n += 1
    return n


def _walk(post: Callable[[Dict[str, str]], Dict[str, Any]]) -> int:
    n = 0
    cursor = None
    while True:
        form = {"date_start": DATE_START, "date_end": DATE_END, "maxreg": str(PAGE)}
        if cursor is not None:
            form["last_id"] = str(cursor)
        body = post(form)
        for c in body.get("calls") or []:
            n += _touch(c.get("cd_id"), c.get("cd_status"), c.get("value"), c.get("date"))
        pag = body["return"].get("pagination") or {}
        nxt = pag.get("next_id")
        if not pag.get("has_more") or nxt in (None, ""):
            return n
        cursor = nxt


def run_requests(url: str, token: str) -> int:
    import requests

    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    endpoint = url + "/api/v2/GetCallStatus.php"

    def post(form: Dict[str, str]) -> Dict[str, Any]:
        r = s.post(endpoint, data=form, timeout=60)
        r.raise_for_status()
        return json.loads(r.content)

    return _walk(post)


def run_httpx(url: str, token: str) -> int:
    import httpx
    import orjson

    endpoint = url + "/api/v2/GetCallStatus.php"
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:

        def post(form: Dict[str, str]) -> Dict[str, Any]:
            r = c.post(endpoint, data=form)
            r.raise_for_status()
            return orjson.loads(r.content)  # type: ignore[no-any-return]

        return _walk(post)


CLIENTS: Dict[str, Callable[[str, str], int]] = {
    "velip": run_velip,
    "requests+json": run_requests,
    "httpx+orjson": run_httpx,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    rates: Dict[str, List[float]] = {k: [] for k in CLIENTS}
    for rnd in range(a.rounds):
        for name, fn in CLIENTS.items():  # interleaved, same conditions
            t0 = time.perf_counter()
            n = fn(a.url, a.token)
            secs = time.perf_counter() - t0
            rates[name].append(n / secs)
            print(json.dumps({"round": rnd, "client": name, "records": n, "seconds": round(secs, 3),
                              "records_per_s": round(n / secs)}), flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(json.dumps({
        "summary": {k: round(v) for k, v in med.items()},
        "velip_vs_requests": round(med["velip"] / med["requests+json"], 2),
        "velip_vs_httpx_orjson": round(med["velip"] / med["httpx+orjson"], 2),
    }))


if __name__ == "__main__":
    sys.exit(main())
