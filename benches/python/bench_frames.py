"""Every call of a running sandbox into a typed DataFrame, one way per run.

Each way ends with the same typed columns a user needs: call ids as
integers, status/AMD as categories, the date as a date, the dial / answer /
hang-up moments as timezone-aware timestamps (America/Sao_Paulo), the
duration as an integer and rate/value as exact decimals (BRL):

- velip.to_polars / velip.to_pandas / velip.to_arrow: `client.list_calls(...)`
  then the method (built in Rust from the typed records, types already right);
- velip.to_dict+pandas: today's path before issue 16: iterate, `to_dict()`
  per record, `pd.DataFrame`, then the type fixes;
- requests+json_normalize: paging by hand with requests, `json.loads`,
  `pandas.json_normalize`, then the type fixes;
- httpx+orjson+polars: paging by hand with httpx, `orjson.loads`,
  `polars.from_dicts`, then the type fixes in polars expressions.

Usage: bench_frames.py URL TOKEN WAY
Prints one JSON line: {"way", "records", "seconds", "peak_rss_mib"}; the time
runs from creating the client (imports done before) to the typed frame.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple

DATE_START = "2000-01-01"
DATE_END = "2100-12-31"
PAGE = 5000
TZ = "America/Sao_Paulo"


def _money(text: Optional[str]) -> Optional[Decimal]:
    """The wire's decimal-comma BRL text ("1.234,500") as an exact Decimal."""
    if not text:
        return None
    return Decimal(text.replace(".", "").replace(",", "."))


def _fix_pandas(df: Any, wire: bool) -> Any:
    """The type fixes a pandas user writes. `wire`: the columns have the
    service's names and texts (json_normalize), else `to_dict()`'s."""
    import pandas as pd

    n = (
        dict(call_id="cd_id", status="cd_status", amd="cd_amdasw", campaign_id="cp_id", date="date",
             dial="time_dial", answer="time_start", hangup="time_end", duration="dur")
        if wire else
        dict(call_id="call_id", status="status", amd="amd", campaign_id="campaign_id", date="date",
             dial="dial_time", answer="answer_time", hangup="hangup_time", duration="duration_seconds")
    )
    df[n["call_id"]] = pd.to_numeric(df[n["call_id"]]).astype("int64")
    df[n["status"]] = df[n["status"]].astype("category")
    df[n["amd"]] = df[n["amd"]].astype("category")
    df[n["campaign_id"]] = pd.to_numeric(df[n["campaign_id"]], errors="coerce").astype("Int64")
    day = df[n["date"]].fillna("")
    for out, col in (("dialed_at", n["dial"]), ("answered_at", n["answer"]), ("hung_up_at", n["hangup"])):
        stamp = pd.to_datetime(day + " " + df[col].fillna(""), format="%Y-%m-%d %H:%M:%S", errors="coerce")
        df[out] = stamp.dt.tz_localize(TZ, ambiguous="NaT", nonexistent="NaT")
    df[n["date"]] = pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")
    df[n["duration"]] = pd.to_numeric(df[n["duration"]], errors="coerce").astype("Int32")
    for col in ("rate", "value"):
        if wire:
            df[col] = df[col].map(_money)
        else:
            df[col] = df[col].map(lambda s: Decimal(s) if s else None)
    return df


def velip_to_polars(url: str, token: str) -> int:
    import velip

    client = velip.Client(token, base_url=url)
    df = client.list_calls(date_start=DATE_START, date_end=DATE_END, page_size=PAGE).to_polars()
    return int(df.height)


def velip_to_pandas(url: str, token: str) -> int:
    import velip

    client = velip.Client(token, base_url=url)
    df = client.list_calls(date_start=DATE_START, date_end=DATE_END, page_size=PAGE).to_pandas()
    return len(df)


def velip_to_arrow(url: str, token: str) -> int:
    import velip

    client = velip.Client(token, base_url=url)
    table = client.list_calls(date_start=DATE_START, date_end=DATE_END, page_size=PAGE).to_arrow()
    return int(table.num_rows)


def velip_to_dict_pandas(url: str, token: str) -> int:
    import pandas as pd
    import velip

    client = velip.Client(token, base_url=url)
    rows = [r.to_dict() for r in client.list_calls(date_start=DATE_START, date_end=DATE_END, page_size=PAGE)]
    df = _fix_pandas(pd.DataFrame(rows), wire=False)
    return len(df)


def _walk(post: Callable[[Dict[str, str]], Dict[str, Any]]) -> List[Dict[str, Any]]:
    calls: List[Dict[str, Any]] = []
    cursor = None
    while True:
        form = {"date_start": DATE_START, "date_end": DATE_END, "maxreg": str(PAGE)}
        if cursor is not None:
            form["last_id"] = str(cursor)
        body = post(form)
        calls.extend(body.get("calls") or [])
        pag = body["return"].get("pagination") or {}
        nxt = pag.get("next_id")
        if not pag.get("has_more") or nxt in (None, ""):
            return calls
        cursor = nxt


def requests_json_normalize(url: str, token: str) -> int:
    import pandas as pd
    import requests

    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    endpoint = url + "/api/v2/GetCallStatus.php"

    def post(form: Dict[str, str]) -> Dict[str, Any]:
        r = s.post(endpoint, data=form, timeout=60)
        r.raise_for_status()
        return json.loads(r.content)  # type: ignore[no-any-return]

    df = _fix_pandas(pd.json_normalize(_walk(post)), wire=True)
    return len(df)


def httpx_orjson_polars(url: str, token: str) -> int:
    import httpx
    import orjson
    import polars as pl

    endpoint = url + "/api/v2/GetCallStatus.php"
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:

        def post(form: Dict[str, str]) -> Dict[str, Any]:
            r = c.post(endpoint, data=form)
            r.raise_for_status()
            return orjson.loads(r.content)  # type: ignore[no-any-return]

        calls = _walk(post)
    # Every key of every record (extra fields and DTMF answers vary by call).
    df = pl.from_dicts(calls, infer_schema_length=None)
    money = [
        pl.col(c).str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
        .cast(pl.Decimal(18, 3), strict=False)
        for c in ("rate", "value")
    ]
    stamps = [
        pl.concat_str([pl.col("date"), pl.lit(" "), pl.col(col)])
        .str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)
        .dt.replace_time_zone(TZ, ambiguous="null", non_existent="null")
        .alias(out)
        for out, col in (("dialed_at", "time_dial"), ("answered_at", "time_start"), ("hung_up_at", "time_end"))
    ]
    df = df.with_columns(
        pl.col("cd_id").cast(pl.Int64),
        pl.col("cd_status").cast(pl.Categorical),
        pl.col("cd_amdasw").cast(pl.Categorical),
        pl.col("cp_id").cast(pl.Int64, strict=False),
        pl.col("date").str.to_date("%Y-%m-%d", strict=False),
        pl.col("dur").cast(pl.Int32, strict=False),
        *money,
        *stamps,
    )
    return int(df.height)


# Each way and the modules it imports (before the clock: a long-running job
# pays them once; only its own, so that peak RSS is its own).
WAYS: Dict[str, Tuple[Callable[[str, str], int], Tuple[str, ...]]] = {
    "velip.to_polars": (velip_to_polars, ("velip", "polars")),
    "velip.to_pandas": (velip_to_pandas, ("velip", "pandas", "pyarrow")),
    "velip.to_arrow": (velip_to_arrow, ("velip", "pyarrow")),
    "velip.to_dict+pandas": (velip_to_dict_pandas, ("velip", "pandas")),
    "requests+json_normalize": (requests_json_normalize, ("requests", "pandas")),
    "httpx+orjson+polars": (httpx_orjson_polars, ("httpx", "orjson", "polars")),
}


def main() -> None:
    url, token, way = sys.argv[1], sys.argv[2], sys.argv[3]
    fn, modules = WAYS[way]
    for m in modules:
        importlib.import_module(m)

    t0 = time.perf_counter()
    n = fn(url, token)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"way": way, "records": n, "seconds": round(secs, 3), "peak_rss_mib": round(peak, 1)}))


if __name__ == "__main__":
    main()
