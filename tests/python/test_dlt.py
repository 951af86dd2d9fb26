"""velip.dlt end to end: the sandbox's calls loaded by dlt into a DuckDB
file, twice. The second run asks for the last loaded day again (its calls
may change), merges on call_id and adds and duplicates nothing; calls of a
new day come in with a later run."""

from __future__ import annotations

import datetime
import pathlib

import dlt
import duckdb
import pytest

import velip.dlt
from velip.testing import Sandbox

from conftest import LAST_DAY

START = "2026-11-10"


def load(sb: Sandbox, tmp_path: pathlib.Path, end: str) -> tuple[int, int]:
    pipeline = dlt.pipeline(
        pipeline_name="velip_test",
        pipelines_dir=str(tmp_path / "dlt"),
        destination=dlt.destinations.duckdb(str(tmp_path / "calls.duckdb")),
        dataset_name="velip",
    )
    source = velip.dlt.source(
        sb.token, start_date=START, end_date=end, page_size=200, client={"base_url": sb.url}
    )
    pipeline.run(source)
    with duckdb.connect(str(tmp_path / "calls.duckdb"), read_only=True) as db:
        got = db.sql("select count(*), count(distinct call_id) from velip.calls").fetchall()[0]
    return int(got[0]), int(got[1])


# dlt's DuckDB factory warns through the deprecated Logger.warn (its code,
# not ours) that TIMESTAMPTZ has no precision.
@pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning")
def test_two_runs_add_nothing_and_duplicate_nothing(fresh_sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    sb = fresh_sandbox
    with velip.Client(sb.token, base_url=sb.url) as c:
        expected = sum(1 for _ in c.list_calls(date_start=START, date_end=LAST_DAY, page_size="max"))
        before_last = sum(1 for _ in c.list_calls(date_start=START, date_end="2026-11-19", page_size="max"))
    assert 0 < before_last < expected
    # First run up to the day before the last, then the whole range twice.
    assert load(sb, tmp_path, "2026-11-19") == (before_last, before_last)
    assert load(sb, tmp_path, LAST_DAY) == (expected, expected)
    sb.clear_request_log()
    assert load(sb, tmp_path, LAST_DAY) == (expected, expected)
    # The third run asked only for the last loaded day onwards.
    sent = sb.request_log()
    assert sent
    params = dict(sent[0]["query"] + sent[0]["body"])
    assert params["date_start"] == LAST_DAY
    with duckdb.connect(str(tmp_path / "calls.duckdb"), read_only=True) as db:
        row = db.sql("select min(date), max(date) from velip.calls").fetchall()[0]
        types = dict(db.sql("select column_name, data_type from information_schema.columns where table_name = 'calls'").fetchall())
    assert row == (datetime.date.fromisoformat(START), datetime.date.fromisoformat(LAST_DAY))
    assert types["date"] == "DATE"
    assert types["rate"].startswith("DECIMAL")
    assert types["dialed_at"].startswith("TIMESTAMP WITH TIME ZONE")
