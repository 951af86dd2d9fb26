"""The receiver a user would write without `velip webhook listen`: FastAPI on
uvicorn, each delivery parsed with `velip.parse_webhook` and upserted into
SQLite, one committed transaction per request (durable before the 200:
WAL, synchronous=FULL). The comparison point of the webhook section of
scripts/bench (benches/run.py).

Usage: webhook_fastapi.py DB_PATH PORT
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading

import uvicorn
from fastapi import FastAPI, Request, Response

import velip

DB = sys.argv[1]
PORT = int(sys.argv[2])

_local = threading.local()


def db() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DB, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        _local.conn = conn
    return conn


db().execute(
    "CREATE TABLE IF NOT EXISTS calls (call_id TEXT PRIMARY KEY, status TEXT, campaign_id TEXT, "
    "destination TEXT, value TEXT, record TEXT)"
)

app = FastAPI()


@app.post("/velip")
async def velip_webhook(request: Request) -> Response:
    body = await request.body()
    records = velip.parse_webhook(body, request.headers.get("content-type", ""))
    rows = [
        (str(r.call_id), str(r.status), str(r.campaign_id), str(r.destination), str(r.value), json.dumps(r.to_dict(), default=str))
        for r in records
    ]
    conn = db()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(call_id) DO UPDATE SET "
        "status = excluded.status, campaign_id = excluded.campaign_id, destination = excluded.destination, "
        "value = excluded.value, record = excluded.record",
        rows,
    )
    conn.execute("COMMIT")
    return Response(status_code=200)


if __name__ == "__main__":
    print(f"URL=http://127.0.0.1:{PORT}/velip", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
