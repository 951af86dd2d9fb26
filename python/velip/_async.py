"""``velip.AsyncClient``: the client for asyncio (and uvloop).

Design (see BENCHMARKS.md, "Async client"): each call runs the blocking
Rust client in one of the client's worker threads (the GIL is released
while it waits for the network), and its result resolves an asyncio future
on the event loop (``loop.run_in_executor``, which completes the future
through ``call_soon_threadsafe``). So the quota ledger, the authentication
lock-out, retries and error kinds are exactly the blocking client's: it is
the same client. Walks (``list_calls``) hand out the records of a fetched
page on the loop without a thread hop and fetch the next page in a worker.

Cancelling a call (``task.cancel()``, ``asyncio.wait_for``,
``asyncio.timeout``, Ctrl-C under ``asyncio.run``) sets the call's cancel
flag, which the blocking client polls every 100 ms, also while a request is
in flight: the request is abandoned and nothing more is sent (no retry, no
further page).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import weakref
from typing import Any, Callable, Literal, Optional, TypeVar, Union

from velip._errors import ConfigError, VelipError
from velip._types import DateArg, NumType, PageSize, QuotaReport, WebhookFormat, WebhookMethod
from velip._velip import (
    AsyncCallIterator,
    CallRecord,
    Client,
    Page,
    _async_iterator,
    _Cancel,
)

__all__ = ["AsyncClient"]

T = TypeVar("T")

DEFAULT_MAX_CONCURRENCY = 64
"""Calls of one ``AsyncClient`` in flight at once (worker threads); more
wait in line."""


class AsyncClient:
    """A client of the Velip GetCallStatus API for asyncio: the methods of
    ``velip.Client`` as coroutines, and ``async for`` over ``list_calls``.

    Arguments are those of ``velip.Client`` (credentials and base URL from
    ``VELIP_TOKEN``, ``VELIP_USER``/``VELIP_PASSWORD`` and
    ``VELIP_BASE_URL`` when not given), plus ``max_concurrency``: how many
    calls run at once (worker threads, created on demand; default 64). One
    client serves many tasks; share it (one connection pool).

    ``async with velip.AsyncClient() as client: ...`` closes it on exit.
    Construction does no network I/O.

    Raises (construction): ``ConfigError`` (an option out of range or in
    conflict, no credentials), ``ValidationError``, ``TypeError``.
    """

    def __init__(
        self,
        token: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        basic_auth: Optional[tuple[str, str]] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        max_retry_wait: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Union[str, os.PathLike[str], None] = None,
        token_in_body: bool = False,
        strict: bool = False,
        on_rate_limit: Optional[Literal["fail", "wait"]] = None,
        max_wait: Optional[float] = None,
        max_requests: Optional[int] = None,
        state_dir: Union[str, os.PathLike[str], None] = None,
        list_quota: Optional[tuple[int, float]] = None,
        daily_lookup_cap: Optional[int] = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise TypeError(f"max_concurrency must be an int 1..=1024, not {type(max_concurrency).__name__}")
        if not 1 <= max_concurrency <= 1024:
            raise ConfigError(
                f"invalid client configuration: max_concurrency: must be 1..=1024, got {max_concurrency}",
                option="max_concurrency",
            )
        self._client = Client(
            token,
            base_url=base_url,
            basic_auth=basic_auth,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            proxy=proxy,
            ca_bundle=ca_bundle,
            token_in_body=token_in_body,
            strict=strict,
            on_rate_limit=on_rate_limit,
            max_wait=max_wait,
            max_requests=max_requests,
            state_dir=state_dir,
            list_quota=list_quota,
            daily_lookup_cap=daily_lookup_cap,
        )
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_concurrency, thread_name_prefix="velip-async"
        )
        self._active: set[_Cancel] = set()
        self._walks: weakref.WeakSet[AsyncCallIterator] = weakref.WeakSet()
        self._closed = False

    # -- plumbing -----------------------------------------------------------

    def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        """``fn(*args, **kwargs)`` in a worker thread under a fresh cancel
        flag, as a future of the running loop."""
        if self._closed:
            raise VelipError("the client is closed")
        loop = asyncio.get_running_loop()
        cancel = _Cancel()
        self._active.add(cancel)
        try:
            fut: asyncio.Future[T] = loop.run_in_executor(
                self._executor, functools.partial(cancel.run, fn, *args, **kwargs)
            )
        except RuntimeError:  # the executor was shut down meanwhile
            self._active.discard(cancel)
            raise VelipError("the client is closed") from None
        fut.add_done_callback(cancel.on_done)
        fut.add_done_callback(lambda _: self._active.discard(cancel))
        return fut

    # -- properties -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The base URL requests go to (see ``Client.base_url``)."""
        return self._client.base_url

    @property
    def user_agent(self) -> str:
        """The ``User-Agent`` sent (``velip/0.1.0 python/3.11``)."""
        return self._client.user_agent

    @property
    def requests_sent(self) -> int:
        """Requests sent so far (see ``Client.requests_sent``)."""
        return self._client.requests_sent

    async def quota_report(self) -> Optional[QuotaReport]:
        """The quota ledger's report, read in a worker thread (see
        ``Client.quota_report``). Raises nothing."""
        return await self._run(self._client.quota_report)

    async def reset_lockout(self) -> bool:
        """Clears the authentication lock-out of these credentials (see
        ``Client.reset_lockout``). Raises nothing."""
        return await self._run(self._client.reset_lockout)

    # -- calls --------------------------------------------------------------

    async def get_call(self, call_id: str) -> CallRecord:
        """Coroutine of ``Client.get_call``."""
        return await self._run(self._client.get_call, call_id)

    async def find_calls(self, correlation_id: str) -> list[CallRecord]:
        """Coroutine of ``Client.find_calls``."""
        return await self._run(self._client.find_calls, correlation_id)

    def list_calls(
        self,
        *,
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
        cursor: Optional[str] = None,
        limit: Optional[int] = None,
        prefetch: Optional[int] = None,
    ) -> AsyncCallIterator:
        """``async for`` over every call of the selection (not a coroutine:
        nothing is sent before the first record is awaited). Arguments,
        ``limit``, ``prefetch`` and errors as for ``Client.list_calls``; records of a
        fetched page are handed out on the loop, the next page is fetched
        in a worker thread. ``async with client.list_calls(...) as calls:``
        stops the walk's helper threads on exit."""
        if self._closed:
            raise VelipError("the client is closed")
        walk = self._client.list_calls(
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
            cursor=cursor,
            limit=limit,
            prefetch=prefetch,
        )
        it = _async_iterator(walk, self._executor)
        self._walks.add(it)
        return it

    async def list_page(
        self,
        *,
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
        cursor: Optional[str] = None,
    ) -> Page:
        """Coroutine of ``Client.list_page``."""
        return await self._run(
            self._client.list_page,
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
            cursor=cursor,
        )

    async def push_to_webhook(
        self,
        *,
        rurl: str,
        call_id: Optional[str] = None,
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
        cursor: Optional[str] = None,
        rurl_method: Optional[WebhookMethod] = None,
        rurl_format: Optional[WebhookFormat] = None,
        rurl_headers: Optional[dict[str, str]] = None,
        rurl_user: Optional[str] = None,
        rurl_password: Optional[str] = None,
    ) -> Page:
        """Coroutine of ``Client.push_to_webhook``. Cancelled after the
        request was sent, the delivery may still happen (it is never sent
        twice)."""
        return await self._run(
            self._client.push_to_webhook,
            rurl=rurl,
            call_id=call_id,
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
            cursor=cursor,
            rurl_method=rurl_method,
            rurl_format=rurl_format,
            rurl_headers=rurl_headers,
            rurl_user=rurl_user,
            rurl_password=rurl_password,
        )

    def set_token(self, token: str) -> None:
        """``Client.set_token`` (no I/O, so not a coroutine)."""
        self._client.set_token(token)

    def set_basic_auth(self, user: str, password: str) -> None:
        """``Client.set_basic_auth`` (no I/O, so not a coroutine)."""
        self._client.set_basic_auth(user, password)

    async def close(self) -> None:
        """Closes the client: calls in flight are cancelled (their requests
        abandoned, nothing more sent), walks end, worker threads stop, the
        connection pool is released; later calls raise ``VelipError``.
        Idempotent; also done by ``async with``."""
        if self._closed:
            return
        self._closed = True
        for cancel in list(self._active):
            cancel.set()
        for walk in list(self._walks):
            await walk.aclose()
        self._client.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_args: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient(base_url='{self.base_url}')"


def _document() -> None:
    """Appends ``Client``'s documentation (formats, units, wire fields,
    "Raises") to each coroutine's, so ``help()`` shows it once written."""
    cancelled = (
        "\n\nAlso raises ``asyncio.CancelledError`` when cancelled (task cancel, "
        "``asyncio.wait_for``, ``asyncio.timeout``): the request in flight is "
        "abandoned within 0.1 s and nothing more is sent.\n\n"
    )
    for name in ("get_call", "find_calls", "list_calls", "list_page", "push_to_webhook", "set_token", "set_basic_auth"):
        method = getattr(AsyncClient, name)
        sync_doc = getattr(Client, name).__doc__ or ""
        method.__doc__ = (method.__doc__ or "") + cancelled + sync_doc


_document()
