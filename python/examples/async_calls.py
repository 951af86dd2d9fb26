"""asyncio with ``velip.AsyncClient``: concurrent lookups, an ``async for``
walk with a limit, and a deadline that cancels a call (nothing more is
sent once it is cancelled).

Run: ``python async_calls.py`` (offline: it starts ``velip.testing.Sandbox``).
With a real account: ``velip.AsyncClient()`` reads ``VELIP_TOKEN``.
"""

from __future__ import annotations

import asyncio
import datetime

import velip
from velip.testing import Sandbox


async def lookups(client: velip.AsyncClient, call_ids: list[str]) -> list[velip.CallRecord]:
    """Many calls at once (worker threads, one connection pool)."""
    return await asyncio.gather(*(client.get_call(i) for i in call_ids))


async def last_calls(client: velip.AsyncClient, day: datetime.date, n: int) -> list[str]:
    """The newest ``n`` calls of a day: one request of ``n`` records."""
    lines = []
    async with client.list_calls(date_start=day, date_end=day, limit=n) as calls:
        async for call in calls:
            when = call.dialed_at.isoformat() if call.dialed_at else "?"
            lines.append(f"{call.call_id} {call.status} {when}")
    return lines


async def main() -> None:
    with Sandbox(calls=2_000) as sb:
        async with velip.AsyncClient(sb.token, base_url=sb.url) as client:
            day = datetime.date(2026, 11, 20)
            page = await client.list_page(date_start=day, page_size=20)
            found = await lookups(client, [r.call_id for r in page])
            print(len(found), "calls looked up concurrently")
            print("\n".join(await last_calls(client, day, 3)))
            try:
                await asyncio.wait_for(client.get_call("42_1"), timeout=5)
            except velip.NotFoundError as e:
                print("not found:", e.call_id)
            except asyncio.TimeoutError:
                print("too slow: cancelled, nothing more sent")


if __name__ == "__main__":
    asyncio.run(main())
