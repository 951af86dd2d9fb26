"""A FastAPI service on ``velip.AsyncClient``: async endpoints that read
calls, and the endpoint the Velip service delivers webhooks to.

Run: ``VELIP_TOKEN=... uvicorn fastapi_app:app`` (the client reads
``VELIP_TOKEN`` or ``VELIP_USER``/``VELIP_PASSWORD``, and
``VELIP_BASE_URL``, from the environment); point ``rurl`` at
``https://<host>/velip/hook``. Tested in ``tests/python/test_examples.py``
with FastAPI's ``TestClient`` against the bundled sandbox.
"""

from __future__ import annotations

import decimal
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator, Optional

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

import velip

log = logging.getLogger("velip-example")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # One client for the whole app (one connection pool), closed on shutdown.
    async with velip.AsyncClient(timeout=20) as client:
        app.state.velip = client
        app.state.received = []
        yield


app = FastAPI(lifespan=lifespan)


def velip_client(request: Request) -> velip.AsyncClient:
    client: velip.AsyncClient = request.app.state.velip
    return client


def http_error(e: velip.VelipError) -> HTTPException:
    """What a Velip error means for this service's callers."""
    if isinstance(e, velip.NotFoundError):
        return HTTPException(404, "no such call")
    if isinstance(e, velip.ValidationError):
        return HTTPException(422, str(e))
    if isinstance(e, velip.RateLimitError):
        retry = str(int(e.retry_after or 60))
        return HTTPException(503, "Velip rate limit; try later", headers={"Retry-After": retry})
    log.warning("velip call failed: %s", e)
    return HTTPException(502, "the Velip service failed")


@app.get("/calls/{call_id}")
async def get_call(call_id: str, request: Request) -> JSONResponse:
    """One call, as JSON (``CallRecord.to_dict()``)."""
    try:
        call = await velip_client(request).get_call(call_id)
    except velip.VelipError as e:
        raise http_error(e) from e
    return JSONResponse(call.to_dict())


@app.get("/summary")
async def summary(
    request: Request, date_start: str, date_end: Optional[str] = None, limit: int = 10_000
) -> JSONResponse:
    """Answered calls and amount charged over at most ``limit`` calls."""
    answered = 0
    charged = decimal.Decimal(0)
    try:
        async with velip_client(request).list_calls(date_start=date_start, date_end=date_end, limit=limit) as calls:
            async for call in calls:
                answered += call.status is velip.CallStatus.ANSWERED
                charged += call.value or 0
    except velip.VelipError as e:
        raise http_error(e) from e
    return JSONResponse(
        {"calls": calls.records_yielded, "answered": answered, "charged_brl": str(charged)}
    )


async def store(request: Request, call: velip.CallRecord) -> None:
    """Your code: save the outcome of one call (here: kept in memory)."""
    request.app.state.received.append(call.call_id)


@app.api_route("/velip/hook", methods=["POST", "GET"])
async def velip_hook(request: Request) -> Response:
    """Webhook deliveries: a JSON page or one form-encoded call (POST), or
    one call in the query string (GET). Answer 2xx quickly."""
    if request.method == "GET":
        body = request.url.query.encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        body = await request.body()
        content_type = request.headers.get("content-type", "")
    try:
        calls = velip.parse_webhook(body, content_type)
    except velip.DecodeError as e:
        log.warning("unreadable delivery: %s", e)
        return Response("bad request\n", status_code=400, media_type="text/plain")
    for call in calls:
        await store(request, call)
    return Response("ok\n", media_type="text/plain")
