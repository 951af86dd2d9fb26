"""Walks as Arrow batches, tables and DataFrames (pyarrow, pandas, polars,
DuckDB read the installed wheel's batches), against the sandbox: one batch
per page, the one schema, types that land right, problem records kept, a
failed page losing nothing, and an ImportError naming the extra."""

from __future__ import annotations

import asyncio
import datetime
import decimal
import sys
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import velip
from velip.testing import Sandbox

from conftest import FIRST_DAY, LAST_DAY

SAO_PAULO = "America/Sao_Paulo"


def walk(client: velip.Client, **kw: Any) -> velip.CallIterator:
    return client.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, **kw)


def test_the_schema_is_the_one_of_every_batch() -> None:
    s = velip.arrow_schema()
    assert s.names[:4] == ["call_id", "call_number", "status", "amd"]
    assert s.field("date").type == pa.date32()
    assert s.field("dial_time").type == pa.time32("s")
    assert s.field("dialed_at").type == pa.timestamp("s", tz=SAO_PAULO)
    assert s.field("rate").type == pa.decimal128(18, 3)
    assert s.field("value").type == pa.decimal128(18, 3)
    assert s.field("dtmf").type.value_type == pa.string()
    assert pa.types.is_map(s.field("extra").type)
    assert pa.types.is_dictionary(s.field("status").type)
    assert s.field("call_number").type == pa.int64()
    assert s.field("duration_seconds").type == pa.int32()
    problems = s.field("problems").type.value_type
    assert [problems.field(i).name for i in range(problems.num_fields)] == ["field", "raw", "rule"]
    assert s.field("rate").metadata[b"velip.wire_field"] == b"rate"


def test_iter_batches_gives_one_batch_per_page_with_the_records_values(
    sandbox: Sandbox, client: velip.Client
) -> None:
    records = list(walk(client, page_size=700))
    it = walk(client, page_size=700)
    batches = list(it.iter_batches())
    assert [b.num_rows for b in batches] == [700, 700, 700, 700, sandbox.call_count - 2800]
    assert all(b.schema == velip.arrow_schema() for b in batches)
    assert it.finished and it.records_yielded == sandbox.call_count and it.pages_fetched == 5
    t = pa.Table.from_batches(batches)
    assert t.column("call_id").to_pylist() == [r.call_id for r in records]
    assert t.column("date").to_pylist() == [r.date for r in records]
    assert t.column("dial_time").to_pylist() == [r.dial_time for r in records]
    assert t.column("dialed_at").to_pylist() == [r.dialed_at for r in records]
    assert t.column("rate").to_pylist() == [r.rate for r in records]
    assert t.column("value").to_pylist() == [r.value for r in records]
    assert t.column("dtmf").to_pylist() == [r.dtmf for r in records]
    assert t.column("duration_seconds").to_pylist() == [r.duration_seconds for r in records]
    assert t.column("status").to_pylist() == [r.status.value if r.status else None for r in records]
    assert t.column("campaign_id").to_pylist() == [r.campaign_id for r in records]
    rates = [v for v in t.column("rate").to_pylist() if v is not None]
    assert rates and all(isinstance(v, decimal.Decimal) and v.as_tuple().exponent == -3 for v in rates)
    stamps = [v for v in t.column("dialed_at").to_pylist() if v is not None]
    assert stamps and all(str(v.tzinfo) == SAO_PAULO for v in stamps)
    assert t.column("problems").to_pylist() == [[] for _ in records]


def test_iter_batches_starts_with_the_rest_of_the_current_page(client: velip.Client) -> None:
    it = walk(client, page_size=100)
    first = next(it)
    batches = list(it.iter_batches())
    assert batches[0].num_rows == 99
    ids = [i for b in batches for i in b.column("call_id").to_pylist()]
    assert first.call_id not in ids and len(ids) == len(set(ids)) == it.records_yielded - 1


def test_to_arrow_pa_table_and_the_limit(sandbox: Sandbox, client: velip.Client) -> None:
    t = walk(client, page_size=1000).to_arrow()
    assert isinstance(t, pa.Table) and t.num_rows == sandbox.call_count
    assert t.schema == velip.arrow_schema()
    assert len(t.column("call_id").chunks) == 3  # a chunk per page
    assert len(set(t.column("call_id").to_pylist())) == sandbox.call_count
    # The Arrow PyCapsule stream: pa.table / RecordBatchReader read the walk.
    assert pa.table(walk(client, page_size=1000)).equals(t)
    reader = pa.RecordBatchReader.from_stream(walk(client, page_size=1000))
    assert reader.schema == velip.arrow_schema()
    assert sum(b.num_rows for b in reader) == sandbox.call_count
    limited = walk(client, page_size=100, limit=250).to_arrow()
    assert limited.num_rows == 250
    assert limited.column("call_id").to_pylist() == t.column("call_id").to_pylist()[:250]


def test_to_pandas_types(sandbox: Sandbox, client: velip.Client) -> None:
    df = walk(client, page_size=1000).to_pandas()
    assert len(df) == sandbox.call_count
    assert isinstance(df["dialed_at"].dtype, pd.DatetimeTZDtype)
    assert str(df["dialed_at"].dtype.tz) == SAO_PAULO
    assert df["date"].dtype == pd.ArrowDtype(pa.date32())
    assert df["dial_time"].dtype == pd.ArrowDtype(pa.time32("s"))
    assert df["rate"].dtype == pd.ArrowDtype(pa.decimal128(18, 3))
    assert isinstance(df["status"].dtype, pd.CategoricalDtype)
    assert df["call_number"].dtype == pd.Int64Dtype()
    assert df["duration_seconds"].dtype == pd.Int32Dtype()
    assert df["destination_masked"].dtype == pd.BooleanDtype()
    some = df["rate"].dropna().iloc[0]
    assert isinstance(some, decimal.Decimal)
    assert isinstance(df["date"].iloc[0], datetime.date)
    arrow = walk(client, page_size=1000).to_pandas(dtype_backend="pyarrow")
    assert all(isinstance(d, pd.ArrowDtype) for d in arrow.dtypes)
    with pytest.raises(ValueError, match="dtype_backend"):
        walk(client).to_pandas(dtype_backend="numpy")  # type: ignore[arg-type]


def test_to_polars_and_the_capsule_readers(sandbox: Sandbox, client: velip.Client) -> None:
    df = walk(client, page_size=1000).to_polars()
    assert isinstance(df, pl.DataFrame) and df.height == sandbox.call_count
    assert df.schema["date"] == pl.Date
    assert df.schema["dial_time"] == pl.Time
    assert df.schema["dialed_at"] == pl.Datetime("ms", SAO_PAULO)
    assert df.schema["rate"] == pl.Decimal(18, 3)
    assert df.schema["status"] == pl.Categorical
    assert df.schema["dtmf"] == pl.List(pl.String)
    assert df.schema["call_number"] == pl.Int64
    assert df["call_id"].n_unique() == sandbox.call_count
    # The stream read by polars itself (pl.from_arrow of a stream is a
    # struct Series in polars 2: pl.DataFrame is the frame).
    direct = pl.DataFrame(walk(client, page_size=1000))
    assert direct.schema == df.schema and direct.height == sandbox.call_count
    it = walk(client, page_size=1000)
    got = duckdb.sql("select count(*), count(distinct call_id), min(date) from it").fetchall()
    assert got[0] == (sandbox.call_count, sandbox.call_count, datetime.date.fromisoformat(FIRST_DAY))


def test_problem_records_come_with_their_problems_column(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with velip.Client(sb.token, base_url=sb.url) as c:
        ids = [r.call_id for r in c.list_page(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=120)]
        bad = ids[110]
        sb.set_faults([f"*=badfield:{bad}:dur=27.5"])
        t = walk(c, page_size=50).to_arrow()
    assert t.num_rows == sb.call_count
    rows = [r for r in t.to_pylist() if r["problems"]]
    assert [r["call_id"] for r in rows] == [bad]
    assert rows[0]["duration_seconds"] is None
    assert rows[0]["problems"] == [{"field": "dur", "raw": "27.5", "rule": "expected a non-negative whole number"}]


def test_a_failed_page_loses_nothing_and_repeats_nothing(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.set_faults(["3=badjson"])
    with velip.Client(sb.token, base_url=sb.url, max_retries=0) as c:
        it = walk(c, page_size=100)
        with pytest.raises(velip.DecodeError):
            it.to_arrow()
        assert it.pages_fetched == 2 and not it.finished
        # The batches already built are kept for a batch-level call; records
        # are not handed out past them.
        with pytest.raises(velip.VelipError, match="to_arrow"):
            next(it)
        t = it.to_arrow()
    ids = t.column("call_id").to_pylist()
    assert len(ids) == len(set(ids)) == sb.call_count and it.finished


def test_a_stream_error_is_sticky_and_the_walk_continues(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.set_faults(["3=badjson"])
    with velip.Client(sb.token, base_url=sb.url, max_retries=0) as c:
        it = walk(c, page_size=100)
        reader = pa.RecordBatchReader.from_stream(it)
        got = [reader.read_next_batch(), reader.read_next_batch()]
        # The failed page, then the same error again: never a normal end.
        with pytest.raises(pa.ArrowInvalid):
            reader.read_next_batch()
        with pytest.raises(pa.ArrowInvalid, match="ended with that error"):
            reader.read_next_batch()
        # The walk itself goes on from the page that failed.
        rest = it.to_arrow()
    ids = [i for b in got for i in b.column("call_id").to_pylist()] + rest.column("call_id").to_pylist()
    assert len(ids) == len(set(ids)) == sb.call_count


def test_a_missing_extra_is_an_import_error_naming_it(
    client: velip.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ImportError, match=r"pip install 'velip\[polars\]'"):
        walk(client).to_polars()
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install 'velip\[arrow\]'"):
        walk(client).to_arrow()
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'velip\[pandas\]'"):
        walk(client).to_pandas()


def test_async_batches_and_tables(sandbox: Sandbox) -> None:
    async def main() -> tuple[list[int], int, int]:
        async with velip.AsyncClient(sandbox.token, base_url=sandbox.url) as c:
            it = c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=1000)
            sizes = [b.num_rows async for b in it.iter_batches()]
            t = await c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=1000).to_arrow()
            df = await c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=1000).to_polars()
            return sizes, t.num_rows, df.height

    sizes, rows, height = asyncio.run(main())
    assert sizes == [1000, 1000, 1000] and rows == height == sandbox.call_count
