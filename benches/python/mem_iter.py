"""Peak RSS of a Python iteration over every call of a running sandbox.

Usage: mem_iter.py URL TOKEN -> prints {"records": N, "peak_rss_mib": X}
"""

from __future__ import annotations

import json
import resource
import sys

import velip


def main() -> None:
    url, token = sys.argv[1], sys.argv[2]
    client = velip.Client(token, base_url=url)
    n = 0
    for r in client.list_calls(date_start="2000-01-01", date_end="2100-12-31", page_size=5000):
        _ = (r.call_id, r.status, r.value, r.date)
        n += 1
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"records": n, "peak_rss_mib": round(peak_kib / 1024, 1)}))


if __name__ == "__main__":
    main()
