"""Where the webhook examples keep the calls: a SQLite table keyed by
``call_id`` (stdlib ``sqlite3``), written before the 2xx goes out.

A delivery may come twice (the platform retries, a re-push repeats calls):
the upsert keeps one row per call, the newest content winning. Unreadable
entries of a JSON delivery (``delivery.rejected``) are kept too, with their
raw text. Swap this class for your ORM or queue; keep the two rules (store
before answering, upsert by call id).
"""

from __future__ import annotations

import json
import sqlite3
import threading

from velip import webhooks


class CallStore:
    """Calls in a SQLite file (thread-safe: one connection, one lock)."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        with self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS calls ("
                " call_id TEXT PRIMARY KEY, status TEXT, record TEXT NOT NULL, deliveries INTEGER NOT NULL)"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS rejected_entries (raw TEXT NOT NULL, rule TEXT NOT NULL)"
            )

    def save(self, delivery: webhooks.WebhookDelivery) -> None:
        """Stores every call of the delivery (one transaction)."""
        rows = [
            (r.call_id, r.status.value if r.status else None, json.dumps(r.to_dict()))
            for r in delivery.records
        ]
        rejected = [(e.raw, e.problem.rule) for e in delivery.rejected]
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO calls (call_id, status, record, deliveries) VALUES (?, ?, ?, 1)"
                " ON CONFLICT (call_id) DO UPDATE SET status = excluded.status,"
                " record = excluded.record, deliveries = deliveries + 1",
                rows,
            )
            self._db.executemany("INSERT INTO rejected_entries (raw, rule) VALUES (?, ?)", rejected)

    def call_ids(self) -> list[str]:
        """Every stored call id."""
        with self._lock:
            return [str(row[0]) for row in self._db.execute("SELECT call_id FROM calls")]

    def deliveries(self, call_id: str) -> int:
        """How many deliveries carried this call."""
        with self._lock:
            row = self._db.execute("SELECT deliveries FROM calls WHERE call_id = ?", (call_id,)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            self._db.close()
