"""Runs the benchmarks side by side and writes a Markdown report.

Called by scripts/bench after the release builds; see BENCHMARKS.md. Every
figure is measured in this run, on this machine; ratios compare clients
measured in the same run against the same sandbox process.

Usage: run.py --target-dir DIR --python PY --out REPORT.md [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent


class SandboxProcess:
    """The velip-sandbox binary in its own process, stopped by closing stdin."""

    def __init__(self, binary: Path, calls: int, extra: Optional[List[str]] = None) -> None:
        self.proc = subprocess.Popen(
            [str(binary), "--calls", str(calls), "--port", "0", "--exit-on-stdin-eof", *(extra or [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.values: Dict[str, str] = {}
        assert self.proc.stdout is not None
        while "VELIP_SANDBOX_MASKED_TOKEN" not in self.values:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("sandbox exited early")
            if "=" in line and not line.startswith("#"):
                k, v = line.strip().split("=", 1)
                self.values[k] = v
        self.url = self.values["VELIP_SANDBOX_URL"]
        self.token = self.values["VELIP_SANDBOX_TOKEN"]

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        m = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(m.group(1)) / 1024 if m else 0.0

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self) -> "SandboxProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def run(cmd: List[str], **kw: Any) -> str:
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def peak_rss(cmd: List[str], env: Optional[Dict[str, str]] = None) -> float:
    """Peak RSS (MiB) of a command, from GNU time."""
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], check=True, capture_output=True, text=True, env=env)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    if not m:
        raise RuntimeError(p.stderr)
    return int(m.group(1)) / 1024


def last_json(out: str) -> Dict[str, Any]:
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def criterion(target: Path) -> List[Dict[str, Any]]:
    rows = []
    for shape in ("documented", "all_strings"):
        est = {}
        for impl in ("typed_call_records", "serde_json_value"):
            f = target / "criterion" / f"decode_5000_{shape}" / impl / shape / "new" / "estimates.json"
            est[impl] = json.loads(f.read_text())["median"]["point_estimate"] / 1e6  # ms
        rows.append({
            "shape": shape,
            "typed_ms": est["typed_call_records"],
            "value_ms": est["serde_json_value"],
            "ratio": est["serde_json_value"] / est["typed_call_records"],
        })
    return rows


# The sections of the report, by the name --only takes.
SECTIONS = ("decode", "e2e", "memory", "serving", "quota", "webhook", "sync", "columnar")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target-dir", required=True, type=Path)
    ap.add_argument("--python", required=True)
    ap.add_argument("--c-walk", type=Path, help="compiled benches/c/walk binary")
    ap.add_argument("--c-env", default="", help="LD_LIBRARY_PATH for the C walk")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--quick", action="store_true", help="smaller data, one round")
    ap.add_argument("--only", default="", metavar="SECTIONS",
                    help="comma-separated sections to run: " + ", ".join(SECTIONS) + " (default: all)")
    a = ap.parse_args()
    only = {x.strip() for x in a.only.split(",") if x.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        ap.error(f"--only: unknown section(s) {', '.join(sorted(unknown))}; known: {', '.join(SECTIONS)}")

    def want(section: str) -> bool:
        return not only or section in only

    rel = a.target_dir / "release"
    sandbox_bin = rel / "velip-sandbox"
    velip_bin = rel / "velip"
    walk_bin = rel / "examples" / "walk"
    big = 200_000 if a.quick else 1_000_000
    e2e_calls = 50_000 if a.quick else 200_000
    rounds = 1 if a.quick else 3
    report: Dict[str, Any] = {"machine": os.uname().machine, "cores": os.cpu_count()}

    # 1. Rust decode (criterion ran before us).
    if want("decode"):
        report["decode"] = criterion(a.target_dir)

    # 2 and 5. End to end against one sandbox process.
    if want("e2e"):
        with SandboxProcess(sandbox_bin, e2e_calls) as sb:
            out = run([a.python, str(ROOT / "benches/python/bench_e2e.py"), sb.url, sb.token, "--rounds", str(rounds)])
            report["python_e2e"] = last_json(out)
            out = run([a.python, str(ROOT / "benches/python/bench_async.py"), sb.url, sb.token, "--rounds", str(rounds)])
            report["python_async"] = last_json(out)
            walks: Dict[str, List[float]] = {"rust": [], "c": []}
            for _ in range(rounds):
                walks["rust"].append(last_json(run([str(walk_bin), sb.url, sb.token]))["records_per_s"])
                if a.c_walk:
                    env = dict(os.environ, LD_LIBRARY_PATH=a.c_env)
                    walks["c"].append(last_json(run([str(a.c_walk), sb.url, sb.token], env=env))["records_per_s"])
            report["walks"] = {k: sorted(v)[len(v) // 2] for k, v in walks.items() if v}
            report["e2e_calls"] = e2e_calls

    # 3. Streaming memory: CLI export and Python iteration, 10,000 vs big.
    tmp = a.target_dir / "bench-tmp"
    tmp.mkdir(exist_ok=True)
    if want("memory"):
        mem: Dict[str, Dict[int, float]] = {"cli_export": {}, "python_iter": {}}
        for calls in (10_000, big):
            with SandboxProcess(sandbox_bin, calls) as sb:
                out_file = tmp / f"export-{calls}.csv"
                for p in (out_file, Path(str(out_file) + ".checkpoint.json")):
                    p.unlink(missing_ok=True)
                env = dict(os.environ, VELIP_TOKEN=sb.token)
                mem["cli_export"][calls] = peak_rss(
                    [str(velip_bin), "--base-url", sb.url, "-q", "calls", "export",
                     "--date-start", "2000-01-01", "--date-end", "2100-12-31", "--out", str(out_file)], env=env)
                out_file.unlink(missing_ok=True)
                mem["python_iter"][calls] = peak_rss(
                    [a.python, str(ROOT / "benches/python/mem_iter.py"), sb.url, sb.token])
        report["memory"] = {k: {str(c): v for c, v in d.items()} for k, d in mem.items()}
        report["memory_big"] = big

    # 4. The sandbox's own serving rate.
    if want("serving"):
        with SandboxProcess(sandbox_bin, big) as sb:
            import urllib.request
            import urllib.parse

            t0 = time.perf_counter()
            n = 0
            cursor = None
            pages = 0
            while pages < 40:
                form = {"maxreg": "5000", "date_start": "2000-01-01", "date_end": "2100-12-31"}
                if cursor:
                    form["last_id"] = cursor
                req = urllib.request.Request(sb.url + "/api/v2/GetCallStatus.php",
                                             data=urllib.parse.urlencode(form).encode(),
                                             headers={"Authorization": f"Bearer {sb.token}"})
                with urllib.request.urlopen(req) as r:
                    body = r.read()
                pages += 1
                n += body.count(b'"cd_id"')
                m = re.search(rb'"next_id":"?(\d+)', body)
                if not m:
                    break
                cursor = m.group(1).decode()
            secs = time.perf_counter() - t0
            report["sandbox_serving"] = {"records": n, "seconds": secs, "records_per_s": n / secs,
                                         "rss_mib": sb.rss_mib()}

    # 7. Quota-bound exports: 30 pages against a quota of 10 per 5 s.
    if want("quota"):
        report["quota"] = quota_bench(sandbox_bin, velip_bin, tmp)

    # 8. The webhook receiver against a FastAPI + SQLite receiver.
    if want("webhook"):
        report["webhook"] = webhook_bench(rel, a.python, tmp, a.quick)

    # 9. velip sync: initial load of `big` calls, then an incremental run.
    if want("sync"):
        report["sync"] = sync_bench(sandbox_bin, velip_bin, tmp, big)

    # 10. Columnar: typed DataFrames, to_arrow's memory, Parquet vs CSV.
    if want("columnar"):
        sizes = (e2e_calls,) if a.quick else (e2e_calls, big)
        report["columnar"] = columnar_bench(sandbox_bin, velip_bin, a.python, tmp, sizes, rounds)
        report["columnar"]["frame_versions"] = last_json(run([a.python, "-c", (
            "import json, pandas, polars, pyarrow, velip;"
            "print(json.dumps({m.__name__: m.__version__ for m in (pandas, polars, pyarrow, velip)}))")]))

    a.out.write_text(render(report))
    (a.out.with_suffix(".json")).write_text(json.dumps(report, indent=2))
    print(render(report))


def quota_bench(sandbox_bin: Path, velip_bin: Path, tmp: Path) -> Dict[str, Any]:
    """An export of 30 pages that waits for a scaled-down quota (10 list
    requests per 5 s): 429 answers received, and wall time against the
    quota-bound minimum ((ceil(30 / 10) - 1) windows); then two exports at
    once, in two processes sharing one ledger."""
    import tempfile

    quota, window, pages, page_size = 10, 5, 30, 100
    flags = ["--list-quota", str(quota), "--list-window", str(window)]
    out: Dict[str, Any] = {"quota": quota, "window_s": window, "pages": pages}
    with SandboxProcess(sandbox_bin, pages * page_size, flags) as sb, tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, VELIP_TOKEN=sb.token, VELIP_STATE_DIR=state)
        target = tmp / "quota.jsonl"
        target.unlink(missing_ok=True)
        cmd = [str(velip_bin), "--base-url", sb.url, "-vv", *flags, "calls", "export", "--page-size", str(page_size),
               "--date-start", "2000-01-01", "--date-end", "2100-12-31", "--out", str(target)]
        print("+", " ".join(cmd), file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        secs = time.perf_counter() - t0
        minimum = (-(-pages // quota) - 1) * window
        out["single"] = {"seconds": round(secs, 2), "minimum_s": minimum, "ratio": round(secs / minimum, 3),
                         "http_429": p.stderr.count("-> HTTP 429"), "requests": p.stderr.count("-> HTTP ")}
    with SandboxProcess(sandbox_bin, pages * page_size, flags) as sb, tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, VELIP_TOKEN=sb.token, VELIP_STATE_DIR=state)
        procs = []
        t0 = time.perf_counter()
        for name, dates in (("a", ("2000-01-01", "2026-11-10")), ("b", ("2026-11-11", "2100-12-31"))):
            target = tmp / f"quota-{name}.jsonl"
            target.unlink(missing_ok=True)
            cmd = [str(velip_bin), "--base-url", sb.url, "-vv", *flags, "calls", "export", "--page-size",
                   str(page_size), "--date-start", dates[0], "--date-end", dates[1], "--out", str(target)]
            procs.append((target, subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                                   text=True)))
        ids: List[str] = []
        n429 = 0
        for target, proc in procs:
            _, err = proc.communicate()
            n429 += err.count("-> HTTP 429")
            ids += [json.loads(line)["call_id"] for line in target.read_text().splitlines()]
        out["two"] = {"seconds": round(time.perf_counter() - t0, 2), "http_429": n429, "rows": len(ids),
                      "unique": len(set(ids)), "selection": pages * page_size}
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen, seconds: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the receiver exited early ({proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        raise RuntimeError(f"not a wrk duration: {text}")
    v = float(m.group(1))
    return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]


def _wrk(url: str, connections: int, seconds: int, pid: int) -> Dict[str, Any]:
    """wrk with the form script; the receiver's RSS sampled every second."""
    import threading

    script = ROOT / "crates/webhook/benches/wrk-form.lua"
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    samples: List[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            samples.append(_rss_mib(pid, "VmRSS"))

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    done.set()
    t.join()
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "connections": connections, "seconds": seconds, "requests": total,
        "per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(lat["50"]), "p99_ms": _ms(lat["99"]),
        "non_2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else "",
        "rss_samples_mib": samples, "peak_rss_mib": _rss_mib(pid, "VmHWM"),
    }


def _rss_mib(pid: int, field: str) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    m = re.search(rf"{field}:\s+(\d+) kB", status)
    return int(m.group(1)) / 1024 if m else 0.0


def webhook_bench(rel: Path, python: str, tmp: Path, quick: bool) -> Dict[str, Any]:
    """Section 8: `velip-webhook` with durability on (JSON-lines file,
    fdatasync before each 2xx) against FastAPI + SQLite, same wrk load;
    JSON pages and RSS over many deliveries with the `bench` example."""
    seconds = 10 if quick else 30
    conns = [64, 128] if quick else [64, 128, 192]
    out: Dict[str, Any] = {"wrk": []}
    jsonl = tmp / "webhook.jsonl"
    for c in conns:
        jsonl.unlink(missing_ok=True)
        port = _free_port()
        proc = subprocess.Popen([str(rel / "examples/receiver"), "--out", str(jsonl), "--bind", f"127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            _wait_port(port, proc)
            row = _wrk(f"http://127.0.0.1:{port}/velip", c, seconds, proc.pid)
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=60)
        m = re.search(r"stored in (\d+) durable writes", err)
        row["durable_writes"] = int(m.group(1)) if m else None
        with jsonl.open("rb") as f:
            row["lines"] = sum(1 for _ in f)
        out["wrk"].append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    jsonl.unlink(missing_ok=True)

    # FastAPI + SQLite, the same load at the middle concurrency.
    db = tmp / "webhook_fastapi.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    port = _free_port()
    proc = subprocess.Popen([python, str(ROOT / "benches/python/webhook_fastapi.py"), str(db), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_port(port, proc)
        row = _wrk(f"http://127.0.0.1:{port}/velip", 128, seconds, proc.pid)
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
    import sqlite3

    with sqlite3.connect(db) as conn:
        row["rows"] = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
    out["fastapi"] = row
    print(json.dumps(row), file=sys.stderr, flush=True)

    # JSON pages of 5,000 calls, and RSS over many form deliveries.
    form = 200_000 if quick else 1_000_000
    pages = 20 if quick else 100
    text = run([str(rel / "examples/bench"), "--form", str(form), "--senders", "32",
                "--pages", str(pages), "--json-senders", "4", "--dir", str(tmp)])
    print(text, file=sys.stderr, flush=True)

    def phase(name: str) -> Dict[str, Any]:
        m = re.search(rf"^{name}: (\d+) deliveries in ([\d.]+) s = (\d+) deliveries/s \((\d+) calls/s\); "
                      rf"latency p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms; failures (\d+)", text, re.M)
        if not m:
            raise RuntimeError(f"no {name} line in the bench output")
        g = m.groups()
        return {"deliveries": int(g[0]), "seconds": float(g[1]), "per_s": int(g[2]), "calls_per_s": int(g[3]),
                "p50_ms": float(g[4]), "p99_ms": float(g[5]), "max_ms": float(g[6]), "failures": int(g[7])}

    out["bench_form"] = phase("form")
    out["bench_json"] = phase("json")
    out["rss_by_progress"] = [(int(n), float(v)) for n, v in re.findall(r"^\s+(\d+) deliveries: ([\d.]+)", text, re.M)]
    peaks = re.findall(r"peak \(VmHWM\): ([\d.]+)", text)
    out["peak_form_mib"], out["peak_json_mib"] = float(peaks[0]), float(peaks[1])
    return out


# The summary line of `velip sync` on stderr, e.g. "backfill: 3000 inserted,
# 0 updated, 0 unchanged; 3000 records in 1 list request, 0 lookups; ...".
SUMMARY = re.compile(
    r"(?P<kind>\w+): (?P<inserted>\d+) inserted, (?P<updated>\d+) updated, (?P<unchanged>\d+) unchanged; "
    r"(?P<records>\d+) records in (?P<lists>\d+) list requests?")


def velip_sync(velip_bin: Path, url: str, token: str, db: str, state: str) -> Dict[str, Any]:
    """One `velip sync` of every call into `db`: its summary, wall time and
    peak RSS (GNU time). The ledger's quota is raised: the sandbox is
    generous, and a 1,000,000-call backfill is 200 list requests alone."""
    cmd = ["/usr/bin/time", "-v", str(velip_bin), "--base-url", url, "--list-quota", "100000", "sync", "--db", db,
           "--account", "bench", "--date-start", "2000-01-01", "--date-end", "2100-12-31"]
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    env = dict(os.environ, VELIP_TOKEN=token, VELIP_STATE_DIR=state)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    secs = time.perf_counter() - t0
    m = SUMMARY.search(p.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    if not m or not rss:
        raise RuntimeError(p.stderr)
    out: Dict[str, Any] = {k: (v if k == "kind" else int(v)) for k, v in m.groupdict().items()}
    out.update(seconds=round(secs, 2), rss_mib=round(int(rss.group(1)) / 1024, 1),
               records_per_s=round(out["records"] / secs), minimum_lists=-(-out["records"] // 5000))
    return out


def forget_state(db: str, sqlite_path: Optional[Path]) -> None:
    """Deletes the sync state, so the next run re-reads the whole period and
    upserts everything (the naive alternative)."""
    sql = "DELETE FROM velip_sync_state"
    if sqlite_path is not None:
        import sqlite3

        with sqlite3.connect(sqlite_path) as c:
            c.execute(sql)
    else:
        psql = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))[-1]
        run([str(psql), db, "-c", sql])


def sync_bench(sandbox_bin: Path, velip_bin: Path, tmp: Path, big: int) -> Dict[str, Any]:
    """`velip sync` against a live sandbox process of `big` calls in which
    500 new calls a second arrive, each final 1 s later: the initial sync
    (records/s, peak RSS), then, about 20 s after the backfill's first page
    (about 10,000 new calls, and the ~500 it stored in progress now final),
    an incremental sync (list requests vs ceil(records read / 5000)), then
    the naive alternative (state deleted: the whole period re-read and
    upserted). SQLite always, PostgreSQL when VELIP_TEST_POSTGRES_URL is set."""
    import tempfile

    backends = [("sqlite", None)]
    if os.environ.get("VELIP_TEST_POSTGRES_URL"):
        backends.append(("postgres", os.environ["VELIP_TEST_POSTGRES_URL"]))
    out: Dict[str, Any] = {"calls": big, "live_rate_per_s": 500, "finalize_after_s": 1}
    for name, pg_url in backends:
        flags = ["--live-rate", "30000", "--live-finalize-after", "1"]
        with SandboxProcess(sandbox_bin, big, flags) as sb, tempfile.TemporaryDirectory() as state:
            path = tmp / "sync-bench.db"
            for f in tmp.glob("sync-bench.db*"):
                f.unlink()
            db = pg_url or f"sqlite://{path}"
            if pg_url:
                forget = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))[-1]
                run([str(forget), pg_url, "-c", "DROP TABLE IF EXISTS calls, velip_sync_state, velip_schema"])
            t0 = time.perf_counter()
            initial = velip_sync(velip_bin, sb.url, sb.token, db, state)
            time.sleep(max(0.0, 20 - (time.perf_counter() - t0)))
            incremental = velip_sync(velip_bin, sb.url, sb.token, db, state)
            forget_state(db, None if pg_url else path)
            naive = velip_sync(velip_bin, sb.url, sb.token, db, state)
            out[name] = {"initial": initial, "incremental": incremental, "naive": naive,
                         "sandbox_rss_mib": round(sb.rss_mib())}
    return out


def render_webhook(w: Dict[str, Any]) -> List[str]:
    lines = ["", "### 8. Webhook receiver (durability on: JSON-lines file, fdatasync before each 2xx)", "",
             "Form deliveries, one call per request, keep-alive, `wrk -t2` (crates/webhook/benches/wrk-form.lua):", "",
             "| receiver | connections | deliveries/s | p50 | p99 | non-2xx | durable writes | RSS (sampled, peak) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    rows = [("velip-webhook", r) for r in w["wrk"]] + [("FastAPI + SQLite", w["fastapi"])]
    for name, r in rows:
        rss = r["rss_samples_mib"]
        span = f"{min(rss):.0f}–{max(rss):.0f} MiB, peak {r['peak_rss_mib']:.0f}" if rss else f"peak {r['peak_rss_mib']:.0f} MiB"
        dw = r.get("durable_writes")
        lines.append(f"| {name} | {r['connections']} | {r['per_s']:,.0f} | {r['p50_ms']:.2f} ms | **{r['p99_ms']:.2f} ms** | "
                     f"{r['non_2xx']} | {dw if dw is not None else '-'} | {span} |")
    same = next((r for r in w["wrk"] if r["connections"] == w["fastapi"]["connections"]), None)
    if same:
        lines += ["", f"velip-webhook vs FastAPI + SQLite at {same['connections']} connections: "
                  f"**{same['per_s'] / w['fastapi']['per_s']:.1f}x** (target >= 10); targets >= 20,000 deliveries/s, p99 < 20 ms."]
    f, j = w["bench_form"], w["bench_json"]
    lines += ["", "`bench` example (ureq senders, one keep-alive connection each, in the same machine):", "",
              "| load | deliveries | deliveries/s | p50 | p99 | max | failures |", "| --- | --- | --- | --- | --- | --- | --- |",
              f"| form, 32 senders | {f['deliveries']:,} | {f['per_s']:,} | {f['p50_ms']:.2f} ms | {f['p99_ms']:.2f} ms | {f['max_ms']:.2f} ms | {f['failures']} |",
              f"| JSON, 5,000-call pages, 4 senders | {j['deliveries']:,} | {j['per_s']:,} ({j['calls_per_s']:,} calls/s) | {j['p50_ms']:.2f} ms | {j['p99_ms']:.2f} ms | {j['max_ms']:.2f} ms | {j['failures']} |",
              "", "Receiver RSS over the form phase: " + ", ".join(f"{n:,}: {v:.1f}" for n, v in w["rss_by_progress"])
              + f" MiB; peak {w['peak_form_mib']:.1f} MiB (form), {w['peak_json_mib']:.1f} MiB (after JSON pages)."]
    return lines


FRAME_WAYS = ("velip.to_polars", "velip.to_pandas", "velip.to_arrow", "velip.to_dict+pandas",
              "requests+json_normalize", "httpx+orjson+polars")


def _median(xs: List[float]) -> float:
    return sorted(xs)[len(xs) // 2]


def columnar_bench(sandbox_bin: Path, velip_bin: Path, python: str, tmp: Path, sizes: Any,
                   rounds: int) -> Dict[str, Any]:
    """Issue 16: every call of a sandbox of each size into a typed DataFrame
    six ways (benches/python/bench_frames.py, one process per run, rounds
    interleaved: five at the smaller size, two at the larger), then
    `velip calls export` of the largest size to CSV and to Parquet (rounds
    interleaved): wall time, file size, peak RSS. No ledger
    (`VELIP_STATE_DIR=off`): a run of 1,000,000 calls is 200 list requests,
    the default hourly quota."""
    env = dict(os.environ, VELIP_STATE_DIR="off")
    out: Dict[str, Any] = {"frames": {}, "export": {}}
    for i, calls in enumerate(sizes):
        # The smaller size is quick and noisier: more rounds.
        n_rounds = (5 if i == 0 else 2) if rounds > 1 else 1
        with SandboxProcess(sandbox_bin, calls) as sb:
            runs: Dict[str, List[Dict[str, Any]]] = {w: [] for w in FRAME_WAYS}
            for _ in range(n_rounds):
                for way in FRAME_WAYS:
                    r = last_json(run([python, str(ROOT / "benches/python/bench_frames.py"), sb.url, sb.token, way],
                                      env=env))
                    if r["records"] != calls:
                        raise RuntimeError(f"{way}: {r['records']} records, expected {calls}")
                    runs[way].append(r)
            out["frames"][str(calls)] = {
                w: {"seconds": _median([x["seconds"] for x in v]), "peak_rss_mib": _median([x["peak_rss_mib"] for x in v]),
                    "rounds": len(v)}
                for w, v in runs.items()
            }
            if i == len(sizes) - 1:
                exp: Dict[str, List[Dict[str, float]]] = {"csv": [], "parquet": []}
                for _ in range(rounds):
                    for fmt in ("csv", "parquet"):
                        f = tmp / f"columnar-{calls}.{fmt}"
                        for p in tmp.glob(f"columnar-{calls}.{fmt}*"):
                            p.unlink()
                        t0 = time.perf_counter()
                        rss = peak_rss([str(velip_bin), "--base-url", sb.url, "-q", "calls", "export",
                                        "--date-start", "2000-01-01", "--date-end", "2100-12-31", "--out", str(f)],
                                       env=dict(env, VELIP_TOKEN=sb.token))
                        exp[fmt].append({"seconds": time.perf_counter() - t0, "rss_mib": rss, "bytes": f.stat().st_size})
                        f.unlink()
                out["export"] = {
                    "calls": calls,
                    **{fmt: {k: _median([x[k] for x in v]) for k in ("seconds", "rss_mib", "bytes")} for fmt, v in exp.items()},
                }
    return out


def render_columnar(c: Dict[str, Any]) -> List[str]:
    lines: List[str] = []
    versions = ", ".join(f"{k} {v}" for k, v in c.get("frame_versions", {}).items())
    for calls, ways in c["frames"].items():
        rounds = next(iter(ways.values()))["rounds"]
        lines += ["", f"### 10. Typed DataFrames: {int(calls):,} calls, page size 5000 "
                  f"({'median of ' + str(rounds) + ' rounds' if rounds > 1 else 'one round'}; one process per run)", "",
                  f"Versions: {versions}.", "",
                  "| way | seconds | records/s | peak RSS |", "| --- | --- | --- | --- |"]
        for w, x in ways.items():
            lines.append(f"| {w} | {x['seconds']:.2f} | {int(calls) / x['seconds']:,.0f} | {x['peak_rss_mib']:.0f} MiB |")
        pl_s, pd_s = ways["velip.to_polars"]["seconds"], ways["velip.to_pandas"]["seconds"]
        lines += ["", "| ratio (alternative's time / velip's) | to_polars | to_pandas | target |", "| --- | --- | --- | --- |"]
        for w, target in (("velip.to_dict+pandas", ">= 10"), ("requests+json_normalize", ">= 5"),
                          ("httpx+orjson+polars", ">= 2")):
            t = ways[w]["seconds"]
            lines.append(f"| {w} | **{t / pl_s:.1f}x** | **{t / pd_s:.1f}x** | {target} |")
        lines.append(f"\n`to_arrow()` peak RSS: **{ways['velip.to_arrow']['peak_rss_mib']:.0f} MiB** "
                     f"(target < 400 MiB at 1,000,000 calls).")
    e = c.get("export")
    if e:
        csv_, pq = e["csv"], e["parquet"]
        lines += ["", f"### 11. `velip calls export` of {e['calls']:,} calls: Parquet vs CSV (median of rounds)", "",
                  "| format | seconds | file | peak RSS |", "| --- | --- | --- | --- |",
                  f"| csv | {csv_['seconds']:.2f} | {csv_['bytes'] / 2**20:.1f} MiB | {csv_['rss_mib']:.1f} MiB |",
                  f"| parquet | {pq['seconds']:.2f} | {pq['bytes'] / 2**20:.1f} MiB | {pq['rss_mib']:.1f} MiB |", "",
                  f"Parquet time / CSV time: **{pq['seconds'] / csv_['seconds']:.2f}** (target <= 1); size: "
                  f"**{pq['bytes'] / csv_['bytes'] * 100:.1f}%** of the CSV's (target <= 35%); peak RSS "
                  f"**{pq['rss_mib']:.1f} MiB** (target < 128 MiB)."]
    return lines


def render(r: Dict[str, Any]) -> str:
    lines = [f"Machine: {r['machine']}, {r['cores']} cores.", ""]
    if "decode" in r:
        lines += ["### 1. Rust decode of a 5000-record page (criterion, median)", "",
                  "| shape | typed `CallRecord`s | `serde_json::Value` | ratio (Value time / typed time, target >= 1.0) |",
                  "| --- | --- | --- | --- |"]
        for d in r["decode"]:
            lines.append(f"| {d['shape']} | {d['typed_ms']:.2f} ms | {d['value_ms']:.2f} ms | **{d['ratio']:.2f}** |")
    if "python_e2e" in r:
        e = r["python_e2e"]
        s = e["summary"]
        lines += ["", f"### 2. Python end to end, {r['e2e_calls']:,} calls, page size 5000 (median of rounds)", "",
                  "| client | records/s |", "| --- | --- |"]
        for k, v in s.items():
            lines.append(f"| {k} | {v:,} |")
        lines += ["", f"velip vs requests+json: **{e['velip_vs_requests']}x** (target >= 2); "
                  f"velip vs httpx+orjson: **{e['velip_vs_httpx_orjson']}x** (target >= 1.2)"]
    if "memory" in r:
        m = r["memory"]
        big = str(r["memory_big"])
        lines += ["", "### 3. Streaming memory (peak RSS of the client process; the sandbox runs apart)", "",
                  f"| client | 10,000 calls | {int(big):,} calls | ratio (target <= 1.25, and < 64 MiB) |",
                  "| --- | --- | --- | --- |"]
        for k, d in m.items():
            lines.append(f"| {k} | {d['10000']:.1f} MiB | {d[big]:.1f} MiB | **{d[big] / d['10000']:.2f}** |")
    if "sandbox_serving" in r:
        sv = r["sandbox_serving"]
        lines += ["", "### 4. The sandbox's serving rate", "",
                  f"{sv['records_per_s']:,.0f} records/s served to a plain urllib client "
                  f"({sv['records']:,} records in {sv['seconds']:.2f} s; sandbox RSS {sv['rss_mib']:.0f} MiB)."]
    w = r.get("walks", {})
    if w:
        lines += ["", "### 5. C API vs Rust client, same walk", "", "| client | records/s |", "| --- | --- |"]
        for k, v in w.items():
            lines.append(f"| {k} | {v:,.0f} |")
        if "c" in w and "rust" in w:
            lines.append(f"\nC overhead vs Rust: **{(1 - w['c'] / w['rust']) * 100:.1f}%** (target < 10%)")
    pa = r.get("python_async")
    if pa:
        s = pa["summary"]
        lines += ["", f"### 6. Python async walk vs blocking walk, {r['e2e_calls']:,} calls ({pa['loop']}, median of rounds)", "",
                  "| client | records/s |", "| --- | --- |"]
        for k, v in s.items():
            lines.append(f"| {k} | {v:,} |")
        lines += ["", f"async / blocking: **{pa['async_vs_sync']}** (target >= 0.9); with the 1 ms ticker: "
                  f"{pa['async_with_ticker_vs_sync']}. Largest ticker lateness during the walk: **{pa['max_stall_ms']} ms** "
                  f"(target < 5; the ticker alone on this machine: {pa['idle_max_stall_ms']} ms); largest loop-thread "
                  f"CPU time between two ticks: **{pa['max_busy_ms']} ms**.", "",
                  "| get_call tasks | server delay | one | 50 concurrent | ratio (target <= 1.5) |",
                  "| --- | --- | --- | --- | --- |"]
        for c in pa["concurrency"]:
            lines.append(f"| {c['tasks']} | {c['delay_ms']} ms | {c['one_ms']:.2f} ms | {c['concurrent_ms']:.2f} ms | **{c['ratio']:.2f}** |")
        h = pa["thread_hop"]
        lines.append(f"\nThread hop per call: {h['hop_us']:.0f} µs (await {h['async_us']:.0f} µs vs blocking {h['sync_us']:.0f} µs).")
    q = r.get("quota")
    if q:
        one, two = q["single"], q["two"]
        lines += ["", f"### 7. Quota-bound exports ({q['pages']} pages, quota {q['quota']} per {q['window_s']} s, waiting)", "",
                  f"One export: {one['seconds']} s for a quota-bound minimum of {one['minimum_s']} s: "
                  f"**{one['ratio']}x** (target <= 1.10); 429 answers received: **{one['http_429']}** "
                  f"(target 0) of {one['requests']} requests.", "",
                  f"Two exports at once (two processes, one ledger): {two['seconds']} s; 429 answers: "
                  f"**{two['http_429']}**; rows {two['rows']:,}, unique {two['unique']:,}, selection "
                  f"{two['selection']:,}."]
    wh = r.get("webhook")
    if wh:
        lines += render_webhook(wh)
    sy = r.get("sync")
    if sy:
        lines += ["", f"### 9. `velip sync`: {sy['calls']:,} calls, then an incremental run (live sandbox: "
                  f"{sy['live_rate_per_s']} new calls/s, final after {sy['finalize_after_s']} s)", "",
                  "| backend | run | inserted | updated | unchanged | records read | list requests | "
                  "ceil(records / 5000) | seconds | records/s | peak RSS |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for backend in ("sqlite", "postgres"):
            b = sy.get(backend)
            if not b:
                continue
            for run_name in ("initial", "incremental", "naive"):
                x = b[run_name]
                lines.append(f"| {backend} | {run_name} | {x['inserted']:,} | {x['updated']:,} | {x['unchanged']:,} | "
                             f"{x['records']:,} | {x['lists']} | {x['minimum_lists']} | {x['seconds']} | "
                             f"{x['records_per_s']:,} | {x['rss_mib']} MiB |")
    if r.get("columnar"):
        lines += render_columnar(r["columnar"])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
