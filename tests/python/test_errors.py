"""The error hierarchy, from the shared fixtures and from the sandbox."""

from __future__ import annotations

import pathlib
import pickle
import socket

import pytest

import velip
from velip.testing import Sandbox


def test_hierarchy() -> None:
    assert issubclass(velip.ValidationError, velip.VelipError)
    assert issubclass(velip.ValidationError, ValueError)
    for cls in (velip.AuthenticationError, velip.RateLimitError, velip.ForbiddenError):
        assert issubclass(cls, velip.ApiError)
    assert issubclass(velip.RequestTimeoutError, velip.TransportError)
    assert issubclass(velip.RequestTimeoutError, TimeoutError)
    assert issubclass(velip.NotFoundError, LookupError)
    for cls in (velip.ServerError, velip.DecodeError, velip.CursorCycleError, velip.ApiError):
        assert issubclass(cls, velip.VelipError)


@pytest.mark.parametrize(
    ("name", "http", "retry_after", "cls", "code"),
    [
        ("error_401_sid_not_found.json", 401, None, velip.AuthenticationError, "102"),
        ("error_401_ip_blocked.json", 401, None, velip.AuthenticationError, "199"),
        ("error_429_list.json", 429, "120", velip.RateLimitError, "429"),
        ("error_429_daily.json", 429, "43200", velip.RateLimitError, "429"),
        ("error_403_ip.json", 403, None, velip.ForbiddenError, "105"),
    ],
)
def test_error_fixtures(
    fixtures: pathlib.Path, name: str, http: int, retry_after: str | None, cls: type, code: str
) -> None:
    with pytest.raises(cls) as info:
        velip.parse_response((fixtures / name).read_bytes(), http_status=http, retry_after=retry_after)
    e = info.value
    assert e.http_status == http and e.code == code and e.message
    assert e.message in str(e)
    if isinstance(e, velip.RateLimitError):
        assert e.retry_after == float(retry_after or 0)
        assert e.scope == ("list" if "list" in name else "daily_lookup")
    if isinstance(e, velip.AuthenticationError):
        assert e.permanent_ban == (code == "199")
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is cls and str(again) == str(e) and again.code == code


def test_validation_errors_list_every_violation(client: velip.Client) -> None:
    with pytest.raises(velip.ValidationError) as info:
        client.list_page(campaign_id=-1, page_size=0, origin="bad origin!")
    fields = [v.field for v in info.value.violations]
    assert {"campaign_id", "page_size", "origin"} <= set(fields)
    assert all(v.rule for v in info.value.violations)
    with pytest.raises(velip.ValidationError):
        client.get_call("not an id")
    with pytest.raises(velip.ValidationError):
        client.list_page(date_start="2026-02-30")
    with pytest.raises(velip.ValidationError):
        client.list_page(numtype="e164")
    with pytest.raises(velip.ValidationError):
        client.list_page(date_start="2026-11-01", page_size="all")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.list_page(date_start=20261101)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        velip.Client("x", basic_auth=("u", "p"))


def test_authentication_error_locks_out_until_new_credentials(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with velip.Client("WRONGTOKEN0000000000000000000x", base_url=sb.url) as c:
        with pytest.raises(velip.AuthenticationError) as info:
            c.list_page(date_start="2026-11-20")
        assert info.value.http_status == 401 and info.value.code == "102"
        sent = len(sb.request_log())
        with pytest.raises(velip.AuthenticationError):
            c.list_page(date_start="2026-11-20")
        assert len(sb.request_log()) == sent  # nothing sent again
        c.set_token(sb.token)
        assert len(c.list_page(date_start="2026-11-20", page_size=5)) == 5
    with velip.Client(sb.inactive_token, base_url=sb.url) as c:
        with pytest.raises(velip.AuthenticationError) as info:
            c.list_page(date_start="2026-11-20")
        assert info.value.code == "110"


def test_rate_limit_from_sandbox_quota(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.set_limits(list_requests=2)
    with velip.Client(sb.token, base_url=sb.url, max_retry_wait=0.5) as c:
        c.list_page(date_start="2026-11-20", page_size=5)
        c.list_page(date_start="2026-11-20", page_size=5)
        with pytest.raises(velip.RateLimitError) as info:
            c.list_page(date_start="2026-11-20", page_size=5)
    e = info.value
    assert e.http_status == 429 and e.scope == "list"
    assert e.retry_after is not None and e.retry_after > 0.5


def test_forbidden_when_ip_is_blocked(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_ip_policy("block")
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url) as c:
        with pytest.raises(velip.ForbiddenError) as info:
            c.list_page(date_start="2026-11-20")
    assert info.value.http_status == 403 and info.value.code == "105"


def test_server_error_after_retries(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(["1-10=503"])
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url, max_retries=1) as c:
        with pytest.raises(velip.ServerError) as info:
            c.list_page(date_start="2026-11-20")
    assert info.value.http_status == 503
    assert len(fresh_sandbox.request_log()) == 2


def test_retries_recover(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(["1=503", "2=429:1"])
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url, max_retries=3) as c:
        assert len(c.list_page(date_start="2026-11-20", page_size=3)) == 3


def test_timeout_is_a_timeout_error(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(["1-5=delay:3000"])
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url, timeout=0.3, max_retries=0) as c:
        with pytest.raises(TimeoutError) as info:
            c.list_page(date_start="2026-11-20")
    assert isinstance(info.value, velip.RequestTimeoutError)
    assert info.value.kind == "timeout"


def test_connection_refused_is_a_transport_error() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with velip.Client("T" * 30, base_url=f"http://127.0.0.1:{port}", max_retries=0) as c:
        with pytest.raises(velip.TransportError) as info:
            c.list_page(date_start="2026-11-20")
    assert info.value.kind == "connect"


def test_bad_json_is_a_decode_error(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(["1-5=badjson"])
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url, max_retries=0) as c:
        with pytest.raises(velip.DecodeError) as info:
            c.list_page(date_start="2026-11-20")
    assert info.value.http_status == 200


def test_stuck_cursor_is_a_cursor_cycle_error(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(["1-20=stuck"])
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url) as c:
        with pytest.raises(velip.CursorCycleError) as info:
            for _ in c.list_calls(date_start="2026-11-01", date_end="2026-11-20", page_size=10):
                pass
    assert info.value.cursor


def test_unknown_call_is_not_found(client: velip.Client) -> None:
    with pytest.raises(velip.NotFoundError) as info:
        client.get_call("42_1")
    assert info.value.call_id == "42_1"
    assert isinstance(info.value, LookupError)


def test_closed_client(sandbox: Sandbox) -> None:
    c = velip.Client(sandbox.token, base_url=sandbox.url)
    c.close()
    with pytest.raises(velip.VelipError):
        c.list_page(date_start="2026-11-20")


def test_client_without_credentials_is_refused(sandbox: Sandbox) -> None:
    for make in (lambda: velip.Client(None), lambda: velip.Client(base_url=sandbox.url)):
        with pytest.raises(velip.ConfigError, match="no credentials"):
            make()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_retries": -1}, "max_retries must be a non-negative int, not -1"),
        ({"max_retries": 2**40}, "max_retries: must be at most 100, got 4294967295"),
        ({"max_retries": 2**80}, "max_retries: must be at most 100"),
        ({"max_retries": 101}, "max_retries: must be at most 100, got 101"),
        ({"timeout": 1e300}, "timeout: must be more than 0 and at most 86400 s"),
        ({"timeout": float("inf")}, "timeout must be a finite, non-negative number of seconds, not inf"),
        ({"timeout": float("nan")}, "timeout must be a finite, non-negative number of seconds, not nan"),
        ({"timeout": 0}, "timeout: must be more than 0"),
        ({"timeout": -1.5}, "timeout must be .*not -1.5"),
        ({"connect_timeout": 0.0}, "connect_timeout: must be more than 0"),
        ({"timeout": 10**400}, "timeout must be a finite"),
        ({"max_retry_wait": -1}, "max_retry_wait must be a finite, non-negative number of seconds"),
        ({"max_retry_wait": 86401}, "max_retry_wait: must be at most 86400 s"),
    ],
)
def test_client_options_out_of_range(sandbox: Sandbox, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(velip.ValidationError, match=message):
        velip.Client(sandbox.token, base_url=sandbox.url, **kwargs)  # type: ignore[arg-type]


def test_option_rules_are_the_builders(sandbox: Sandbox) -> None:
    """The same rule and message as the Rust builder and the C API."""
    with pytest.raises(velip.ConfigError) as info:
        velip.Client(sandbox.token, base_url=sandbox.url, timeout=0)
    assert info.value.option == "timeout"
    assert str(info.value) == "invalid client configuration: timeout: must be more than 0 and at most 86400 s, got 0 ms"
    with pytest.raises(velip.ConfigError) as info:
        velip.Client("t0k3n-t0k3n-t0k3n", basic_auth=("u", "p"))
    assert info.value.option == "credentials"
    with pytest.raises(velip.ConfigError, match="token"):
        velip.Client("x" * (16 << 20))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": True}, "timeout must be a finite, non-negative number of seconds, not bool"),
        ({"timeout": "30"}, "timeout must be .*not str"),
        ({"max_retries": True}, "max_retries must be a non-negative int, not bool"),
        ({"max_retries": 1.0}, "max_retries must be a non-negative int, not float"),
    ],
)
def test_client_options_of_the_wrong_type(sandbox: Sandbox, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        velip.Client(sandbox.token, base_url=sandbox.url, **kwargs)  # type: ignore[arg-type]


def test_client_options_in_range_are_accepted(sandbox: Sandbox) -> None:
    with velip.Client(
        sandbox.token, base_url=sandbox.url, timeout=86400, connect_timeout=0.5, max_retries=0, max_retry_wait=0
    ) as c:
        assert len(c.list_page(date_start="2026-11-20", page_size=2)) == 2
    velip.Client(sandbox.token, base_url=sandbox.url, max_retries=100, timeout=30.0).close()


def test_selection_arguments_of_the_wrong_type_or_range(client: velip.Client) -> None:
    with pytest.raises(TypeError, match='page_size must be an int 1..=5000 or "max", not float'):
        client.list_page(date_start="2026-11-20", page_size=1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='page_size must be an int 1..=5000 or "max", not bool'):
        client.list_page(date_start="2026-11-20", page_size=True)
    with pytest.raises(velip.ValidationError, match='page_size .*must be an int 1..=5000 or "max", not "all"'):
        client.list_page(date_start="2026-11-20", page_size="all")  # type: ignore[arg-type]
    with pytest.raises(velip.ValidationError, match="page_size .*not 36893488147419103232") as info:
        client.list_page(date_start="2026-11-20", page_size=2**65)
    assert info.value.violations[0].field == "page_size"
    with pytest.raises(velip.ValidationError, match="campaign_id .*got 9223372036854775808") as info:
        client.list_page(campaign_id=2**63)
    assert info.value.violations[0].field == "campaign_id"
    with pytest.raises(TypeError, match="campaign_id must be .*not str"):
        client.list_page(campaign_id="555")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="campaign_id must be .*not bool"):
        client.list_page(campaign_id=True)
    with pytest.raises(velip.ValidationError, match="page_size"):
        client.list_calls(date_start="2026-11-20", page_size=10**30)
    with pytest.raises(velip.ValidationError, match="campaign_id"):
        client.push_to_webhook(rurl="https://example.com/hook", campaign_id=-(2**70))
    assert len(client.list_page(date_start="2026-11-20", page_size="max")) > 0


def test_parse_response_argument_ranges(fixtures: pathlib.Path) -> None:
    body = (fixtures / "error_429_list.json").read_bytes()
    for status in (-1, 70000, 600, 2**70):
        with pytest.raises(velip.ValidationError, match="http_status must be an int 0..=599"):
            velip.parse_response(body, http_status=status)
    with pytest.raises(TypeError, match="http_status must be .*not bool"):
        velip.parse_response(body, http_status=True)
    for bad in (-1, float("inf"), float("nan")):
        with pytest.raises(velip.ValidationError, match="retry_after must be a finite, non-negative number"):
            velip.parse_response(body, http_status=429, retry_after=bad)
    with pytest.raises(TypeError, match="retry_after must be .*not bool"):
        velip.parse_response(body, http_status=429, retry_after=True)
    with pytest.raises(velip.RateLimitError) as info:
        velip.parse_response(body, http_status=429, retry_after=7)
    assert info.value.retry_after == 7.0


def test_non_json_error_bodies_are_classified_by_http_status() -> None:
    """The same bytes mean the same thing from the client and parse_response."""
    html = b"<html><body>Too Many Requests</body></html>"
    with pytest.raises(velip.RateLimitError) as info:
        velip.parse_response(html, http_status=429, retry_after="5", content_type="text/html")
    assert info.value.retry_after == 5.0
    with pytest.raises(velip.AuthenticationError):
        velip.parse_response(html, http_status=401)
    with pytest.raises(velip.ServerError) as server:
        velip.parse_response(html, http_status=502)
    assert server.value.http_status == 502 and "Too Many Requests" in server.value.snippet
    body = b'{"return":{"status":"DB down","status_code":"500","cd_id":"0"}}'
    with pytest.raises(velip.ServerError) as server:
        velip.parse_response(body, http_status=500)
    assert server.value.code == "500"


def test_every_error_kind_has_its_class() -> None:
    from velip import _velip

    table = dict(_velip._error_kinds())
    assert table == {
        "validation": "ValidationError",
        "config": "ConfigError",
        "authentication": "AuthenticationError",
        "forbidden": "ForbiddenError",
        "rate_limited": "RateLimitError",
        "api": "ApiError",
        "server": "ServerError",
        "transport": "TransportError",
        "decode": "DecodeError",
        "paging": "PagingError",
        "not_found": "NotFoundError",
        "interrupted": "KeyboardInterrupt",
        "budget": "BudgetError",
    }
    for cls in table.values():
        assert cls == "KeyboardInterrupt" or hasattr(velip, cls)


def test_violations_carry_a_stable_code(client: velip.Client) -> None:
    with pytest.raises(velip.ValidationError) as info:
        client.find_calls("null")
    assert info.value.violations[0].code == "correlation_literal_null"


def test_empty_correlation_id_hint_is_pythonic(client: velip.Client) -> None:
    for ctid in ("", "null"):
        with pytest.raises(velip.ValidationError, match=r"list_calls\(empty_ctid=True\)") as info:
            client.find_calls(ctid)
        assert "list_calls(empty_ctid=True)" in info.value.violations[0].rule
        with pytest.raises(velip.ValidationError, match=r"empty_ctid=True"):
            client.list_page(correlation_id=ctid)
    page = client.list_page(empty_ctid=True, page_size=5)
    assert all(not r.correlation_id for r in page)


def test_a_500_with_a_json_error_body_keeps_its_code_from_the_client_too() -> None:
    """The client and parse_response classify the same bytes the same way."""
    import http.server
    import threading

    body = b'{"return":{"status":"DB down","status_code":"500","cd_id":"0"}}'

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with velip.Client("SBXFULL000sandbox0full0numbers", base_url=url, max_retries=0, state_dir="off") as c:
            with pytest.raises(velip.ServerError) as from_client:
                c.get_call("42_1")
        with pytest.raises(velip.ServerError) as parsed:
            velip.parse_response(body, http_status=500)
    finally:
        server.shutdown()
        server.server_close()
    assert from_client.value.code == parsed.value.code == "500"
    assert from_client.value.http_status == parsed.value.http_status == 500
