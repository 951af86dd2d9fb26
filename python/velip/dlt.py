"""velip.dlt: Velip calls as a `dlt <https://dlthub.com>`_ source, loaded
into DuckDB, PostgreSQL, BigQuery, Snowflake or any other dlt destination.
Needs ``pip install 'velip[dlt]'``.

>>> import dlt, velip.dlt  # doctest: +SKIP
>>> pipeline = dlt.pipeline("velip", destination="duckdb", dataset_name="velip")  # doctest: +SKIP
>>> pipeline.run(velip.dlt.calls(start_date="2026-11-01"))  # doctest: +SKIP

One resource, ``calls`` (the table ``calls``): Arrow tables of
``velip.arrow_schema()``, one per page; ``primary_key="call_id"`` and
``write_disposition="merge"``, so a call loaded again (its status changed,
a run repeated) replaces its row and is never duplicated. Incremental by
the call date (``date``, America/Sao_Paulo): a run asks the service for
the days from the latest date the previous runs loaded (that day
included, since its calls may still change or grow) to ``end_date``; the
first run starts at ``start_date``. Records without a readable date are
kept (with their ``problems``), never dropped.

The token: ``token=``, else ``VELIP_TOKEN`` as for ``velip.Client``; it is
never written to dlt's state, schema or trace.
"""

from __future__ import annotations

import datetime
from typing import Any, Iterator, Optional, Union
from zoneinfo import ZoneInfo

from velip._columnar import require

_dlt: Any = require("dlt", "velip.dlt")
_pa: Any = require("pyarrow", "velip.dlt")

import velip  # noqa: E402  (after the extras check: its error names the extra)

__all__ = ["calls", "source"]

_SAO_PAULO = ZoneInfo("America/Sao_Paulo")

DateLike = Union[datetime.date, str]


def _today() -> datetime.date:
    """Today in America/Sao_Paulo (the service's calendar)."""
    return datetime.datetime.now(_SAO_PAULO).date()


def _as_date(value: Any) -> Union[datetime.date, str]:
    """A date dlt's incremental state gives back (a ``datetime.date``, or
    text after a JSON round trip) as ``list_calls`` takes it."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, (datetime.date, str)):
        return value
    return str(value)


def calls(
    token: Optional[str] = None,
    *,
    start_date: DateLike,
    end_date: Optional[DateLike] = None,
    campaign_id: Optional[int] = None,
    page_size: Optional[Union[int, str]] = "max",
    client: Optional[dict[str, Any]] = None,
    name: str = "calls",
) -> Any:
    """The ``calls`` dlt resource: every call of ``start_date`` ..
    ``end_date`` (default: today, America/Sao_Paulo), optionally of one
    campaign (``campaign_id``, wire ``cp_id``), as Arrow tables of one page
    each. ``client``: keyword arguments for ``velip.Client`` (``base_url``,
    ``max_retries``, ``on_rate_limit`` ...). ``name``: the resource's (and
    table's) name.

    Merge on ``call_id``; incremental on ``date`` (see the module docs).

    Raises, when the pipeline runs: what ``velip.Client.list_calls`` raises
    (``ValidationError`` for a bad date range before anything is sent, the
    API and transport errors while walking), wrapped by dlt in its
    ``PipelineStepFailed``. Pages loaded before an error are kept by dlt's
    extract step only if it finishes; run the pipeline again: the merge
    makes a repeated day harmless."""
    options = dict(client or {})

    @_dlt.resource(  # type: ignore[untyped-decorator]
        name=name,
        primary_key="call_id",
        write_disposition="merge",
    )
    def calls_resource(
        day: Any = _dlt.sources.incremental(
            "date",
            initial_value=start_date if isinstance(start_date, datetime.date) else datetime.date.fromisoformat(start_date),
            # The last day is asked for again (its calls still change): the
            # merge on call_id replaces them, so no boundary de-duplication.
            primary_key=(),
            # Problem records without a readable date are loaded too.
            on_cursor_value_missing="include",
        ),
    ) -> Iterator[Any]:
        end = end_date if end_date is not None else _today()
        with velip.Client(token, **options) as c:
            walk = c.list_calls(
                date_start=_as_date(day.last_value if day.last_value is not None else day.initial_value),
                date_end=end,
                campaign_id=campaign_id,
                page_size=page_size,  # type: ignore[arg-type]
            )
            with walk:
                for batch in walk.iter_batches():
                    if batch.num_rows:
                        yield _pa.Table.from_batches([batch])

    return calls_resource


def source(
    token: Optional[str] = None,
    *,
    start_date: DateLike,
    end_date: Optional[DateLike] = None,
    campaign_id: Optional[int] = None,
    page_size: Optional[Union[int, str]] = "max",
    client: Optional[dict[str, Any]] = None,
) -> Any:
    """The ``velip`` dlt source: the ``calls`` resource (same arguments as
    :func:`calls`), for ``pipeline.run(velip.dlt.source(...))``."""

    @_dlt.source(name="velip")  # type: ignore[untyped-decorator]
    def velip_source() -> Any:
        return calls(
            token,
            start_date=start_date,
            end_date=end_date,
            campaign_id=campaign_id,
            page_size=page_size,
            client=client,
        )

    return velip_source()
