"""``velip.sync``: keep a table of calls current in SQLite or PostgreSQL.

The engine is the Rust store crate's (``velip_store::sync``), the same as
``velip sync`` on the command line; ``Client.sync`` runs it with the GIL
released and returns a :class:`SyncReport`.

::

    import velip
    from velip.testing import Sandbox

    with Sandbox(calls=300) as sb:
        client = velip.Client(sb.token, base_url=sb.url)
        report = velip.sync(client, "sqlite:///calls.db", since="2026-01-01")
        print(report)  # backfill: 300 inserted, 0 updated, 0 unchanged; ...
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Optional, Tuple, Union

from velip._types import DateArg, NumType, PageSize, QuotaReport

if TYPE_CHECKING:
    from velip._velip import Client

__all__ = ["SyncReport", "sync"]


@dataclass(frozen=True)
class SyncReport:
    """What one run of a sync did (``Client.sync``, ``velip.sync``).

    Counts, records and list requests are the run's own, summed over its
    interruptions (a run resumed after a crash counts what the crashed
    process did too); ``requests_sent`` and ``quota`` are this process's.
    ``str(report)`` is the one-line summary ``velip sync`` prints.
    """

    account: str
    """The account label the rows were written under (column ``account``)."""
    selection: str
    """The selection key (``velip_sync_state.selection_key``; ``""``: every call)."""
    database: str
    """The database, for messages (never a password)."""
    kind: Literal["backfill", "incremental"]
    """The first run of the selection, or a later one."""
    resumed: bool
    """Whether this run took up an interrupted one."""
    since: Optional[datetime.date]
    """The selection's first day, when the first run was given ``since``."""
    inserted: int
    """Calls new to the table."""
    updated: int
    """Rows rewritten because their content changed (a call that became final)."""
    unchanged: int
    """Calls read again with the same content (not written)."""
    records_read: int
    """Records read by list requests."""
    list_requests: int
    """List requests (pages) of the run's walk."""
    lookups: int
    """Point lookups (``cd_id``) of calls in progress the walk did not reach."""
    requests_sent: int
    """Requests this process sent for the run, retries included."""
    pending: int
    """Calls stored while still in progress, read again by the next run."""
    vanished: int
    """Calls in progress that a lookup no longer found (row kept)."""
    rejected: int
    """Entries without a readable call id (not stored)."""
    newest_call_id: Optional[str]
    """The newest call stored (the next run starts above it)."""
    lock_waited: float
    """Seconds waited for another sync of the same account and database."""
    elapsed: float
    """Wall time of the run in seconds, waits included."""
    numbers_masked: bool
    """Whether the service masked phone numbers for this token."""
    warnings: Tuple[str, ...]
    """The distinct ``return.warning`` texts the service sent."""
    quota: Optional[QuotaReport]
    """The quota ledger after the run (``None``: ledger off)."""
    summary: str
    """The one-line summary (also ``str(report)``)."""

    def __str__(self) -> str:
        return self.summary


def sync(
    client: Client,
    db: str,
    *,
    account: Optional[str] = None,
    since: Union[datetime.date, str, None] = None,
    campaign_id: Optional[int] = None,
    campaign_ref: Optional[str] = None,
    correlation_id: Optional[str] = None,
    date_start: Optional[DateArg] = None,
    date_end: Optional[DateArg] = None,
    empty_ctid: bool = False,
    only_dtmf: bool = False,
    numtype: Optional[NumType] = None,
    origin: Optional[str] = None,
    page_size: Optional[PageSize] = None,
    lock_timeout: Optional[float] = None,
    max_lookups: Optional[int] = None,
) -> SyncReport:
    """``client.sync(db, ...)``: one run of the sync of ``db``
    (``"sqlite:///calls.db"``, ``"postgresql://user@host/db"``); see
    ``Client.sync`` for the arguments, what each run reads, and the errors
    (``DatabaseError`` for a database that cannot be used, before any
    request)."""
    return client.sync(
        db,
        account=account,
        since=since,
        campaign_id=campaign_id,
        campaign_ref=campaign_ref,
        correlation_id=correlation_id,
        date_start=date_start,
        date_end=date_end,
        empty_ctid=empty_ctid,
        only_dtmf=only_dtmf,
        numtype=numtype,
        origin=origin,
        page_size=page_size,
        lock_timeout=lock_timeout,
        max_lookups=max_lookups,
    )
