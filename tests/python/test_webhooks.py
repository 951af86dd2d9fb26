"""velip.webhooks: the credentials check and the delivery decoding of the
Rust receiver, from Python (no HTTP here; the framework examples run over
real HTTP in test_webhook_examples.py)."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

import velip
from velip import webhooks

FORM = "application/x-www-form-urlencoded"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def page(*ids: int, extra: object = None) -> str:
    calls: list[object] = [{"cd_id": i, "cd_status": "OK", "value": "0,050"} for i in ids]
    if extra is not None:
        calls.append(extra)
    return json.dumps({"return": {"status": "OK", "status_code": "0"}, "calls": calls})


def test_basic_credentials() -> None:
    auth = webhooks.WebhookAuth(user="hook", password="pa:ss")
    assert auth.verify({"Authorization": basic("hook", "pa:ss")})
    assert auth.verify({"authorization": basic("hook", "pa:ss")}), "names are case-insensitive"
    assert auth.verify([(b"Authorization", basic("hook", "pa:ss").encode())]), "bytes pairs"
    assert not auth.verify({"Authorization": basic("hook", "pa:sS")})
    assert not auth.verify({"Authorization": basic("hoo", "pa:ss")})
    assert not auth.verify({"Authorization": "Bearer pa:ss"})
    assert not auth.verify({})
    assert auth.www_authenticate == 'Basic realm="velip", charset="UTF-8"'
    assert auth.user == "hook"


def test_required_headers_every_form() -> None:
    for spec in (
        {"X-Velip-Key": "k1", "X-Tenant": "acme"},
        ["X-Velip-Key: k1", "x-tenant:acme"],
        [("X-Velip-Key", "k1"), ("X-Tenant", "acme")],
    ):
        auth = webhooks.WebhookAuth(require_headers=spec)
        assert auth.required_headers == ["x-velip-key", "x-tenant"]
        assert auth.www_authenticate is None
        assert auth.verify({"x-velip-key": "k1", "X-TENANT": "acme"})
        assert not auth.verify({"x-velip-key": "k1"}), "every header is required"
        assert not auth.verify({"x-velip-key": "k2", "x-tenant": "acme"})
        # A name sent twice: one matching value is enough.
        assert auth.verify([("x-velip-key", "k2"), ("x-velip-key", "k1"), ("x-tenant", "acme")])
        # A value that is no valid header can never match.
        assert not auth.verify([("x-velip-key", "k1\n"), ("x-tenant", "acme")])


def test_nothing_configured_lets_everything_pass() -> None:
    assert webhooks.WebhookAuth().verify({})


def test_secrets_never_show() -> None:
    auth = webhooks.WebhookAuth(user="hook", password="s3cr3t-pw", require_headers={"X-Key": "hdr-s3cr3t"})
    assert "s3cr3t" not in repr(auth)
    assert repr(auth) == "WebhookAuth(user='hook', password='***', required_headers=['x-key'])"
    with pytest.raises(velip.ValidationError) as e:
        webhooks.WebhookAuth(require_headers={"X-Key": "bad\x01value-s3cr3t"})
    assert "s3cr3t" not in str(e.value)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"user": "hook"}, "user needs a password"),
        ({"password": "pw"}, "password needs a user"),
        ({"user": "a:b", "password": "pw"}, "basic_auth"),
        ({"require_headers": ["no colon"]}, "Name: value"),
        ({"require_headers": {"Bad Name": "v"}}, "not a valid header name"),
        ({"require_headers": {"X-Key": ""}}, "empty"),
    ],
)
def test_bad_settings_name_the_rule(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(velip.ValidationError, match=fragment):
        webhooks.WebhookAuth(**kwargs)  # type: ignore[arg-type]


def test_headers_of_another_shape() -> None:
    auth = webhooks.WebhookAuth(user="u", password="p")
    with pytest.raises(TypeError):
        auth.verify(["not a pair"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        auth.verify(42)  # type: ignore[arg-type]


def test_auth_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        webhooks.ENV_USER: "hook",
        webhooks.ENV_PASSWORD: "pw",
        webhooks.ENV_REQUIRE_HEADER: "X-Velip-Key: k1\nX-Tenant: acme\n",
    }
    auth = webhooks.auth_from_env(env)
    assert auth.user == "hook" and auth.required_headers == ["x-velip-key", "x-tenant"]
    ok = {"Authorization": basic("hook", "pw"), "X-Velip-Key": "k1", "X-Tenant": "acme"}
    assert auth.verify(ok)
    for name in env:
        monkeypatch.delenv(name, raising=False)
    assert webhooks.auth_from_env().verify({})
    monkeypatch.setenv(webhooks.ENV_USER, "hook")
    monkeypatch.setenv(webhooks.ENV_PASSWORD, "pw")
    assert webhooks.auth_from_env().verify({"Authorization": basic("hook", "pw")})


def test_every_kind_of_delivery() -> None:
    form = urllib.parse.urlencode({"cd_id": "42_1", "cd_status": "OK", "value": "0,050", "cd_dest": "xxxxx877"})
    cases = [
        ("POST", FORM, "", form, "form", ["42_1"]),
        ("POST", None, "", form, "form", ["42_1"]),  # sniffed
        ("GET", None, form, b"", "form", ["42_1"]),
        ("POST", "application/json", "", page(2, 3), "json", ["2", "3"]),
        ("GET", None, urllib.parse.urlencode({"json": page(5)}), None, "json", ["5"]),
        ("get", None, form.encode(), None, "form", ["42_1"]),
    ]
    for method, content_type, query, body, fmt, ids in cases:
        d = webhooks.parse_delivery(method, content_type=content_type, query_string=query, body=body)
        assert isinstance(d, webhooks.WebhookDelivery)
        assert (d.method, d.format, d.call_ids) == (method.upper(), fmt, ids), (method, content_type)
        assert len(d) == len(ids) and d.rejected == []
        assert [r.call_id for r in d.records] == ids
        assert d.size == len(query if method.upper() == "GET" else (body or ""))
    first = webhooks.parse_delivery("POST", content_type=FORM, body=form).records[0]
    assert str(first.value) == "0.050"
    assert repr(webhooks.parse_delivery("POST", body=page(1, 2))) == (
        "WebhookDelivery(method='POST', format='json', calls=2, rejected=0)"
    )


def test_the_same_records_as_parse_webhook() -> None:
    body = page(7, 8)
    assert webhooks.parse_delivery("POST", content_type="application/json", body=body).records == velip.parse_webhook(
        body, "application/json"
    )


def test_unreadable_entries_are_kept() -> None:
    d = webhooks.parse_delivery("POST", content_type="application/json", body=page(1, extra={"cd_status": "OK"}))
    assert d.call_ids == ["1"]
    [entry] = d.rejected
    assert isinstance(entry, webhooks.RejectedEntry)
    assert entry.index == 1 and json.loads(entry.raw) == {"cd_status": "OK"}
    assert isinstance(entry.problem, velip.Problem) and entry.problem.rule


def test_truncated_json_page_says_so() -> None:
    body = json.dumps(
        {
            "return": {"status": "OK", "status_code": "0", "pagination": {"has_more": True, "next_id": "41"}},
            "calls": [{"cd_id": 42}],
        }
    )
    d = webhooks.parse_delivery("POST", content_type="application/json", body=body)
    assert d.has_more and d.next_cursor == "41"


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("POST", {"content_type": "application/json", "body": b"{not json"}),
        ("POST", {"content_type": FORM, "body": b"cd_status=OK"}),  # no cd_id
        ("POST", {}),  # nothing delivered
        ("GET", {"query_string": ""}),
        ("GET", {"query_string": "json=%7Bnope"}),
    ],
)
def test_undecodable_deliveries_raise_decode_error(method: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(velip.DecodeError):
        webhooks.parse_delivery(method, **kwargs)  # type: ignore[arg-type]


def test_other_methods_and_types() -> None:
    with pytest.raises(velip.ValidationError, match="POST"):
        webhooks.parse_delivery("PUT", body=b"cd_id=1")
    with pytest.raises(TypeError):
        webhooks.parse_delivery("POST", body=12)  # type: ignore[arg-type]
