"""List a month of calls, with totals, against the bundled sandbox.

Run: ``python list_calls.py`` (offline: it starts ``velip.testing.Sandbox``).
With a real account, use ``velip.Client(token)`` instead.
"""

from __future__ import annotations

import datetime
import decimal
import logging

import velip
from velip.testing import Sandbox


def month_summary(client: velip.Client, start: datetime.date, end: datetime.date) -> dict[str, object]:
    total = decimal.Decimal(0)
    answered = 0
    calls = client.list_calls(date_start=start, date_end=end, page_size="max")
    for call in calls:
        total += call.value or 0
        if call.status is velip.CallStatus.ANSWERED:
            answered += 1
    return {
        "calls": calls.records_yielded,
        "answered": answered,
        "charged": str(total),
        "pages": calls.pages_fetched,
        "masked": calls.numbers_masked,
    }


def resume_by_pages(client: velip.Client, day: datetime.date) -> int:
    """Page by page, keeping the cursor (store it to resume after a crash)."""
    cursor: str | None = None
    count = 0
    while True:
        page = client.list_page(date_start=day, date_end=day, page_size=500, cursor=cursor)
        count += len(page)
        if not page.has_more:
            return count
        cursor = page.next_cursor


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    with Sandbox(calls=5_000) as sb, velip.Client(sb.token, base_url=sb.url, timeout=30) as client:
        print(month_summary(client, datetime.date(2026, 11, 1), datetime.date(2026, 11, 20)))
        print(resume_by_pages(client, datetime.date(2026, 11, 20)), "calls on the last day")
        try:
            client.get_call("42_1")
        except velip.NotFoundError as e:
            print("not found:", e.call_id)
        except velip.RateLimitError as e:
            print("slow down for", e.retry_after, "s")


if __name__ == "__main__":
    main()
