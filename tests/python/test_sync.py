"""``velip.sync`` / ``Client.sync`` over the installed wheel: a sandbox over
real HTTP into a real SQLite file (read back with ``sqlite3``)."""

from __future__ import annotations

import dataclasses
import logging
import pathlib
import sqlite3
import threading
import time

import pytest

import velip
from velip.testing import Sandbox

# Every call the sandbox has, inserted ones included (their day is today).
WHOLE = {"date_start": "2000-01-01", "date_end": "2100-12-31", "page_size": 100}


def rows(db: pathlib.Path) -> int:
    with sqlite3.connect(db) as c:
        n: int = c.execute("SELECT count(*) FROM calls WHERE account = 'acme'").fetchone()[0]
    return n


def test_backfill_then_only_what_is_new(tmp_path: pathlib.Path) -> None:
    db = tmp_path / "calls.db"
    with Sandbox(calls=1200) as sb, velip.Client(sb.token, base_url=sb.url, state_dir=tmp_path) as c:
        first = velip.sync(c, f"sqlite:///{db}", account="acme", **WHOLE)  # type: ignore[arg-type]
        assert isinstance(first, velip.SyncReport)
        assert (first.kind, first.resumed) == ("backfill", False)
        assert (first.inserted, first.updated, first.unchanged) == (1200, 0, 0)
        assert (first.records_read, first.list_requests, first.lookups) == (1200, 12, 0)
        assert first.requests_sent == 12
        assert first.account == "acme" and first.lock_waited == 0.0
        assert first.quota is not None and first.quota["list"]["used"] == 12
        assert str(first).startswith("backfill: 1200 inserted, 0 updated, 0 unchanged; 1200 records in 12 list requests")
        assert sb.token not in repr(first)
        with pytest.raises(dataclasses.FrozenInstanceError):
            first.inserted = 0  # type: ignore[misc]
        assert rows(db) == 1200

        sb.insert_calls(130)
        sb.clear_request_log()
        second = c.sync(f"sqlite:///{db}", account="acme", **WHOLE)  # type: ignore[arg-type]
        assert second.kind == "incremental"
        assert (second.inserted, second.updated) == (130, 0)
        # Down to the newest stored call only: ceil(records read / page size).
        assert (second.records_read, second.list_requests) == (200, 2)
        assert len(sb.request_log()) == 2
        assert second.newest_call_id == str(sb.newest_call_id)
        assert rows(db) == 1330


def test_sqlalchemy_urls_and_since(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Sandbox(calls=300) as sb, velip.Client(sb.token, base_url=sb.url, state_dir=tmp_path) as c:
        # Three slashes: relative to the current folder, as in SQLAlchemy.
        r = velip.sync(c, "sqlite:///calls.db", since="2026-11-01")
        assert r.since is not None and r.since.isoformat() == "2026-11-01"
        assert r.inserted > 0
    assert (tmp_path / "calls.db").is_file()


def test_a_database_that_cannot_be_used_fails_before_any_request(tmp_path: pathlib.Path) -> None:
    with Sandbox(calls=100) as sb, velip.Client(sb.token, base_url=sb.url, state_dir=tmp_path) as c:
        with pytest.raises(velip.DatabaseError) as info:
            c.sync(f"sqlite:///{tmp_path}/missing/calls.db", since="30d")
        assert info.value.kind == "unreachable"
        assert isinstance(info.value, velip.VelipError)
        with pytest.raises(velip.DatabaseError) as info:
            c.sync("postgresql://velip@127.0.0.1:1/velip_test?connect_timeout=5")
        assert info.value.kind == "unreachable"
        for bad in ("mysql://u@127.0.0.1/db", "sqlite::memory:"):
            with pytest.raises(velip.ValidationError):
                c.sync(bad)
        with pytest.raises(velip.ValidationError) as vinfo:
            c.sync(f"sqlite:///{tmp_path}/calls.db", since="soon")
        assert "since" in str(vinfo.value)
        with pytest.raises(velip.ValidationError):
            c.sync(f"sqlite:///{tmp_path}/calls.db", account="")
        with pytest.raises(TypeError):
            c.sync(f"sqlite:///{tmp_path}/calls.db", since=30)  # type: ignore[arg-type]
        assert sb.request_log() == []


def test_the_gil_is_released_during_a_sync(tmp_path: pathlib.Path) -> None:
    with Sandbox(calls=500) as sb, velip.Client(sb.token, base_url=sb.url, state_dir=tmp_path) as c:
        sb.set_faults(["*=delay:100"])
        done = threading.Event()
        result: list[velip.SyncReport] = []

        def work() -> None:
            result.append(c.sync(f"sqlite:///{tmp_path}/calls.db", **WHOLE))  # type: ignore[arg-type]
            done.set()

        t = threading.Thread(target=work)
        t.start()
        spins = 0
        deadline = time.monotonic() + 30
        while not done.is_set() and time.monotonic() < deadline:
            spins += 1
        t.join(30)
        assert result and result[0].inserted == 500
        # Five pages of 100 ms each: the main thread kept running meanwhile.
        assert spins > 10_000


def test_two_syncs_at_once_the_second_waits_and_says_so(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = f"sqlite:///{tmp_path}/calls.db"
    with Sandbox(calls=1000) as sb, velip.Client(sb.token, base_url=sb.url, state_dir=tmp_path) as c:
        sb.set_faults(["*=delay:60"])
        reports: dict[str, velip.SyncReport] = {}

        def run(name: str) -> None:
            reports[name] = velip.sync(c, db, account="acme", **WHOLE)  # type: ignore[arg-type]

        first = threading.Thread(target=run, args=("first",))
        first.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if (tmp_path / "calls.db").exists():
                try:
                    if rows(tmp_path / "calls.db") >= 100:
                        break
                except sqlite3.OperationalError:
                    pass
            time.sleep(0.02)
        with caplog.at_level(logging.WARNING, logger="velip"):
            run("second")
        first.join(30)
    assert reports["first"].kind == "backfill" and reports["first"].inserted == 1000
    second = reports["second"]
    assert second.lock_waited > 0
    assert second.kind == "incremental" and second.inserted == 0
    assert any("waiting for it to finish" in r.getMessage() for r in caplog.records), caplog.text
