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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target-dir", required=True, type=Path)
    ap.add_argument("--python", required=True)
    ap.add_argument("--c-walk", type=Path, help="compiled benches/c/walk binary")
    ap.add_argument("--c-env", default="", help="LD_LIBRARY_PATH for the C walk")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--quick", action="store_true", help="smaller data, one round")
    a = ap.parse_args()
    rel = a.target_dir / "release"
    sandbox_bin = rel / "velip-sandbox"
    velip_bin = rel / "velip"
    walk_bin = rel / "examples" / "walk"
    big = 200_000 if a.quick else 1_000_000
    e2e_calls = 50_000 if a.quick else 200_000
    rounds = 1 if a.quick else 3
    report: Dict[str, Any] = {"machine": os.uname().machine, "cores": os.cpu_count()}

    # 1. Rust decode (criterion ran before us).
    report["decode"] = criterion(a.target_dir)

    # 2 and 5. End to end against one sandbox process.
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
    mem: Dict[str, Dict[int, float]] = {"cli_export": {}, "python_iter": {}}
    tmp = a.target_dir / "bench-tmp"
    tmp.mkdir(exist_ok=True)
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
    report["quota"] = quota_bench(sandbox_bin, velip_bin, tmp)

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


def render(r: Dict[str, Any]) -> str:
    lines = [f"Machine: {r['machine']}, {r['cores']} cores.", ""]
    lines += ["### 1. Rust decode of a 5000-record page (criterion, median)", "",
              "| shape | typed `CallRecord`s | `serde_json::Value` | ratio (Value time / typed time, target >= 1.0) |",
              "| --- | --- | --- | --- |"]
    for d in r["decode"]:
        lines.append(f"| {d['shape']} | {d['typed_ms']:.2f} ms | {d['value_ms']:.2f} ms | **{d['ratio']:.2f}** |")
    e = r["python_e2e"]
    s = e["summary"]
    lines += ["", f"### 2. Python end to end, {r['e2e_calls']:,} calls, page size 5000 (median of rounds)", "",
              "| client | records/s |", "| --- | --- |"]
    for k, v in s.items():
        lines.append(f"| {k} | {v:,} |")
    lines += ["", f"velip vs requests+json: **{e['velip_vs_requests']}x** (target >= 2); "
              f"velip vs httpx+orjson: **{e['velip_vs_httpx_orjson']}x** (target >= 1.2)"]
    m = r["memory"]
    big = str(r["memory_big"])
    lines += ["", "### 3. Streaming memory (peak RSS of the client process; the sandbox runs apart)", "",
              f"| client | 10,000 calls | {int(big):,} calls | ratio (target <= 1.25, and < 64 MiB) |",
              "| --- | --- | --- | --- |"]
    for k, d in m.items():
        lines.append(f"| {k} | {d['10000']:.1f} MiB | {d[big]:.1f} MiB | **{d[big] / d['10000']:.2f}** |")
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
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
