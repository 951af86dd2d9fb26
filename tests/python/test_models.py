"""Decoding the shared fixtures, and the model types (records, enums, phone
numbers, amounts)."""

from __future__ import annotations

import copy
import csv
import datetime
import decimal
import json
import pathlib
import pickle

import pytest

import velip
from velip import AmdResult, CallStatus, MaskedNumber, PhoneNumber


def index(fixtures: pathlib.Path) -> list[dict[str, str]]:
    with open(fixtures / "index.tsv", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_index_lists_every_fixture(fixtures: pathlib.Path) -> None:
    listed = {row["file"] for row in index(fixtures)}
    on_disk = {p.name for p in fixtures.iterdir() if p.suffix in (".json", ".txt")}
    assert listed == on_disk


def test_every_fixture_maps_as_the_index_says(fixtures: pathlib.Path) -> None:
    """Each file decodes (HTTP 200 answers and webhooks) or raises the
    exception its HTTP status and code mean."""
    for row in index(fixtures):
        body = (fixtures / row["file"]).read_bytes()
        status = row["http"]
        if status.startswith("POST"):
            ctype = status.split("Content-Type", 1)[1].strip()
            assert velip.parse_webhook(body, ctype), row["file"]
            continue
        http = int(status)
        retry = None
        if row["headers"].startswith("Retry-After:"):
            retry = row["headers"].split(":", 1)[1].strip()
        if http == 200:
            page = velip.parse_response(body)
            assert isinstance(page, velip.Page)
        else:
            with pytest.raises(velip.ApiError) as info:
                velip.parse_response(body, http_status=http, retry_after=retry)
            assert info.value.http_status == http


def test_list_documented(fixtures: pathlib.Path) -> None:
    page = velip.parse_response((fixtures / "list_documented.json").read_bytes())
    assert len(page) == 1 and page.has_more and page.next_cursor == "9876544"
    r = page.records[0]
    assert r.rate == decimal.Decimal("0.050") and str(r.value) == "0.050"
    assert isinstance(r.rate, decimal.Decimal)
    assert len(r.dtmf) == 3 and r.has_dtmf
    assert r.status is CallStatus.ANSWERED and r.status == "OK" and r.status.is_answered
    assert isinstance(r.date, datetime.date)
    assert isinstance(r.dial_time, datetime.time)
    assert isinstance(r.destination, PhoneNumber)
    assert list(page) == page.records


def test_list_all_strings(fixtures: pathlib.Path) -> None:
    text = (fixtures / "list_all_strings.json").read_text()
    page = velip.parse_response(text)  # str works as well as bytes
    assert not page.has_more and page.next_cursor is None
    assert page.extra == {"total": 3}
    a, b, c = page.records
    assert a.call_id == "42_1000203" and a.call_number == 1000203
    assert a.amd is None and a.answer_time is None and a.recording_url is None
    assert a.duration_seconds == 0 and a.dtmf == [""] and not a.has_dtmf
    assert a.campaign_id == 777
    assert b.dtmf == ["2", "", "9", "31101990", "1"]
    assert b.amd is AmdResult.HUMAN
    assert b.extra == {"cdc_extra1": "contrato 5521"}
    assert b.value == decimal.Decimal("0.150")
    assert b.answer_time == datetime.time(18, 59, 47)
    assert c.dtmf == [] and c.correlation_id is None and c.duration_seconds is None
    assert c.date == datetime.date(2026, 11, 1)
    land = b.destination
    assert isinstance(land, PhoneNumber) and land.kind == "landline"


def test_list_capped_masked(fixtures: pathlib.Path) -> None:
    page = velip.parse_response((fixtures / "list_capped_masked.json").read_bytes())
    assert page.numbers_masked and page.warning and "not registered" in page.warning
    assert page.page_size_capped and page.page_size_applied == 5000
    assert page.next_cursor == "551"
    r = page.records[0]
    assert isinstance(r.destination, MaskedNumber)
    assert r.destination.visible_digits == "877" and str(r.destination) == "xxxxx877"
    assert r.status is CallStatus.CHAN_UNAVAIL


def test_empty(fixtures: pathlib.Path) -> None:
    page = velip.parse_response((fixtures / "empty.json").read_bytes())
    assert len(page) == 0 and not page.has_more and page.next_cursor is None


def test_webhooks(fixtures: pathlib.Path) -> None:
    [j] = velip.parse_webhook((fixtures / "webhook_json.json").read_bytes(), "application/json")
    assert j.call_id == "30002" and j.amd is AmdResult.MACHINE
    form = (fixtures / "webhook_form.txt").read_bytes()
    [f] = velip.parse_webhook(form, "application/x-www-form-urlencoded; charset=utf-8")
    assert f.value == decimal.Decimal("0.100")
    assert isinstance(f.destination, MaskedNumber)
    assert f.extra["cd_dest"] == "xxxxx001"
    # Content type sniffed when missing; a GET delivery's query string works too.
    assert velip.parse_webhook(form.decode()) == [f]
    assert velip.parse_webhook("?" + form.decode()) == [f]


def test_json_webhook_pagination_through_parse_response(fixtures: pathlib.Path) -> None:
    body = (fixtures / "webhook_json.json").read_bytes()
    page = velip.parse_response(body)
    assert page.records == velip.parse_webhook(body, "application/json")
    assert page.has_more and page.next_cursor == "30001"


def test_a_field_that_cannot_be_read_is_a_problem_on_its_record() -> None:
    body = b'{"return":{"status":"OK","status_code":"0"},"calls":[{"cd_id":"42_7","date":"2026-13-01","dur":"27"}]}'
    [r] = velip.parse_response(body)
    assert r.date is None and r.duration_seconds == 27
    assert r.problems == [velip.Problem("date", '"2026-13-01"', "expected a date YYYY-MM-DD")]
    assert r.raw_json is not None and "2026-13-01" in r.raw_json
    again = pickle.loads(pickle.dumps(r))
    assert again.problems == r.problems
    [f] = velip.parse_webhook(b"cd_id=1&date=yesterday", "application/x-www-form-urlencoded")
    assert f.date is None and f.problems[0].field == "date"


def test_decode_errors_name_the_field() -> None:
    body = b'{"return":{"status":"OK","status_code":"0"},"calls":[{"cd_id":"42_7","date":"2026-13-01"}]}'
    with pytest.raises(velip.DecodeError) as info:
        velip.parse_response(body, strict=True)
    e = info.value
    assert e.field == "date" and e.record_index == 0 and e.call_id == "42_7"
    assert "2026-13-01" in e.snippet and "date" in str(e)
    with pytest.raises(velip.DecodeError):
        velip.parse_response(b"<html>502 Bad Gateway</html>")
    with pytest.raises(velip.DecodeError):
        velip.parse_webhook(b"date=yesterday", "application/x-www-form-urlencoded")
    with pytest.raises(TypeError):
        velip.parse_response(123)  # type: ignore[arg-type]


def test_non_zero_status_code_on_http_200_is_an_api_error() -> None:
    with pytest.raises(velip.ApiError) as info:
        velip.parse_response(b'{"return":{"status":"Campaign not found","status_code":"301"}}')
    assert type(info.value) is velip.ApiError
    assert info.value.code == "301" and info.value.message == "Campaign not found"


def test_record_value_semantics(fixtures: pathlib.Path) -> None:
    records = velip.parse_response((fixtures / "list_all_strings.json").read_bytes()).records
    again = velip.parse_response((fixtures / "list_all_strings.json").read_bytes()).records
    assert records == again and records[0] != records[1]
    assert len({*records, *again}) == 3
    assert records[0] != "42_1000203"
    for r in records:
        assert pickle.loads(pickle.dumps(r)) == r
        assert copy.deepcopy(r) == r
        d = r.to_dict()
        json.dumps(d)  # JSON-ready
        assert d["call_id"] == r.call_id
        assert repr(r).startswith("CallRecord(call_id='")
    with pytest.raises(AttributeError):
        records[0].status = None  # type: ignore[misc]
    assert records[1].to_dict()["value"] == "0.150"
    # Records have no natural order: comparing them is a TypeError.
    with pytest.raises(TypeError):
        records[0] < records[1]  # type: ignore[operator]
    with pytest.raises(TypeError):
        sorted(records)  # type: ignore[type-var]


def test_enums_keep_unknown_values() -> None:
    assert CallStatus("BUSY") is CallStatus.BUSY
    odd = CallStatus("FAILED")
    assert odd == "FAILED" and str(odd) == "FAILED" and not odd.is_known
    assert CallStatus("FAILED") is odd
    assert pickle.loads(pickle.dumps(odd)) is odd
    assert f"{CallStatus.NO_ANSWER}" == "NOANSWER"
    assert repr(AmdResult.MACHINE) == "AmdResult.MACHINE"
    body = b'{"return":{"status":"OK","status_code":"0"},"calls":[{"cd_id":1,"cd_status":"VOICEMAIL","cd_amdasw":"XX"}]}'
    r = velip.parse_response(body).records[0]
    assert r.status == "VOICEMAIL" and isinstance(r.status, CallStatus)
    assert r.amd == "XX" and isinstance(r.amd, AmdResult)


def test_phone_numbers() -> None:
    n = PhoneNumber.parse("+55 (11) 99999-9999")
    assert n == PhoneNumber("011 99999-9999") == PhoneNumber("5511999999999")
    assert n.e164() == "+5511999999999" == str(n)
    assert n.national() == "(11) 99999-9999"
    assert n.format() == "5511999999999"
    assert n.format("trunk_prefixed") == n.format("0DDD") == "011999999999"
    assert n.format("ddd") == "11999999999"
    assert n.ddd == 11 and n.subscriber == "999999999" and n.is_mobile and n.kind == "mobile"
    assert repr(n) == "PhoneNumber('+5511999999999')"
    assert pickle.loads(pickle.dumps(n)) == n and hash(n) == hash(PhoneNumber(str(n)))
    for bad in ["", "+1 212 555 0100", "(20) 99999-9999", "11 1234", "abc"]:
        with pytest.raises(velip.ValidationError):
            PhoneNumber.parse(bad)
    with pytest.raises(ValueError):
        n.format("e.123")
    m = MaskedNumber("xxxxx877")
    assert m.text == "xxxxx877" and pickle.loads(pickle.dumps(m)) == m
    with pytest.raises(ValueError):
        MaskedNumber("5511999999999")


def test_brl_decimals() -> None:
    assert velip.parse_brl_decimal("0,050") == decimal.Decimal("0.050")
    assert str(velip.parse_brl_decimal("0,050")) == "0.050"  # scale kept
    assert velip.parse_brl_decimal("1.234,56") == decimal.Decimal("1234.56")
    assert velip.parse_brl_decimal("R$ 1,00") == decimal.Decimal("1.00")
    # Equal values of another scale are other objects (the cache keys on
    # the exact text), and many distinct values all come back exact.
    for text in ("0,05", "0,050", "0,0500", "0,05", "0,050"):
        assert str(velip.parse_brl_decimal(text)) == text.replace(",", ".")
    for n in range(3000):
        assert str(velip.parse_brl_decimal(f"{n},{n % 1000:03d}")) == f"{n}.{n % 1000:03d}"
    with pytest.raises(velip.ValidationError) as info:
        velip.parse_brl_decimal("1,2,3,4")
    assert isinstance(info.value, ValueError)


def test_big_page_round_trips_and_decimals_are_exact() -> None:
    calls = [
        {"cd_id": 10_000 - i, "cd_status": "OK", "rate": "0,%03d" % (i % 1000), "value": "12.345,678", "resp_1": str(i % 10)}
        for i in range(5000)
    ]
    body = json.dumps({"return": {"status": "OK", "status_code": "0"}, "calls": calls})
    page = velip.parse_response(body.encode())
    assert len(page) == 5000
    assert page.records[7].rate == decimal.Decimal("0.007")
    assert page.records[0].value == decimal.Decimal("12345.678")
