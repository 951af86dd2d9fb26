"""Every client API against the sandbox."""

from __future__ import annotations

import datetime
import json

import pytest

import velip
from velip.testing import Sandbox, WebhookReceiver

from conftest import FIRST_DAY, LAST_DAY


def test_list_calls_walks_every_page(sandbox: Sandbox, client: velip.Client) -> None:
    it = client.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=700)
    assert iter(it) is it
    records = list(it)
    ids = [r.call_id for r in records]
    assert len(ids) == len(set(ids)) == sandbox.call_count
    assert it.pages_fetched == -(-len(ids) // 700)
    assert it.records_yielded == len(ids) and it.finished and it.resume_cursor is None
    assert it.duplicates_skipped == 0 and not it.numbers_masked and it.warnings == []
    assert [r.call_number for r in records] == sorted((r.call_number for r in records), reverse=True)
    assert "pages_fetched=" in repr(it)


def test_dates_accept_date_text_and_datetime_without_shifting(sandbox: Sandbox, client: velip.Client) -> None:
    sandbox.clear_request_log()
    late_evening = datetime.datetime(2026, 11, 19, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-3)))
    a = client.list_page(date_start=late_evening, date_end=datetime.date(2026, 11, 19), page_size=50)
    b = client.list_page(date_start="2026-11-19", date_end="2026-11-19", page_size=50)
    assert a.records == b.records and len(a) > 0
    assert all(r.date == datetime.date(2026, 11, 19) for r in a)
    sent = sandbox.request_log()[0]
    params = dict(sent["query"] + sent["body"])
    assert params["date_start"] == "2026-11-19"  # not 2026-11-20 (UTC)


def test_list_page_is_resumable(client: velip.Client) -> None:
    first = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10)
    assert first.has_more and first.next_cursor
    second = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10, cursor=first.next_cursor)
    assert not {r.call_id for r in first} & {r.call_id for r in second}
    assert second.records[0].call_number < first.records[-1].call_number
    # A walk resumed from a cursor continues where the page left off.
    it = client.list_calls(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10, cursor=first.next_cursor)
    assert next(it) == second.records[0]
    page = it.next_page()
    assert page is not None and page.records == second.records[1:]
    assert it.resume_cursor == second.next_cursor


def test_iterator_stats_and_resume_cursor_mid_page(client: velip.Client) -> None:
    first = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10)
    second = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10, cursor=first.next_cursor)
    it = client.list_calls(date_start=LAST_DAY, date_end=LAST_DAY, page_size=10)
    assert next(it) == first.records[0]
    # Mid first page without a cursor: nothing to resume from yet.
    assert it.records_yielded == 1 and it.pages_fetched == 1 and it.resume_cursor is None
    assert not it.finished and "records_yielded=1," in repr(it)
    for _ in range(9):
        next(it)
    assert it.records_yielded == 10 and it.resume_cursor == first.next_cursor
    assert next(it) == second.records[0]
    # Mid second page: the cursor that reads that page again.
    assert it.records_yielded == 11 and it.pages_fetched == 2 and it.resume_cursor == first.next_cursor
    rest = it.next_page()
    assert rest is not None and rest.records == second.records[1:] and rest.next_cursor == second.next_cursor
    assert it.records_yielded == 20 and it.resume_cursor == second.next_cursor


def test_page_error_comes_after_the_records_before_it(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(["2=badjson"])
    with velip.Client(fresh_sandbox.token, base_url=fresh_sandbox.url, max_retries=0) as c:
        it = c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=100)
        got = [next(it).call_id for _ in range(100)]
        with pytest.raises(velip.DecodeError):
            next(it)
        assert it.records_yielded == 100 and it.pages_fetched == 1 and not it.finished
        assert it.resume_cursor is not None
        got += [r.call_id for r in it]  # resumes on the same page
    assert len(got) == len(set(got)) == fresh_sandbox.call_count
    assert it.finished and it.records_yielded == len(got) and it.resume_cursor is None


def test_get_call_and_find_calls(client: velip.Client) -> None:
    page = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=200)
    target = next(r for r in page if r.correlation_id)
    assert client.get_call(target.call_id) == target
    found = client.find_calls(target.correlation_id or "")
    assert target in found
    assert all(r.correlation_id == target.correlation_id for r in found)


def test_filters(client: velip.Client) -> None:
    page = client.list_page(date_start=FIRST_DAY, date_end=LAST_DAY, only_dtmf=True, page_size=100)
    assert len(page) > 0 and all(r.has_dtmf for r in page)
    some = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=1).records[0]
    assert some.campaign_id is not None
    by_campaign = client.list_page(campaign_id=some.campaign_id, page_size="max")
    assert by_campaign.records and all(r.campaign_id == some.campaign_id for r in by_campaign)
    ddd = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=5, numtype="ddd")
    assert all(isinstance(r.destination, velip.PhoneNumber) for r in ddd)
    tagged = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=5, origin="py_test")
    assert len(tagged) == 5
    empty = client.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=5, empty_ctid=True)
    assert all(r.correlation_id is None for r in empty)


def test_masked_numbers_and_warnings(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_ip_policy("warn")
    with velip.Client(fresh_sandbox.masked_token, base_url=fresh_sandbox.url) as c:
        it = c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=250)
        records = list(it)
    assert it.numbers_masked and len(it.warnings) == 1
    assert all(isinstance(r.destination, velip.MaskedNumber) for r in records if r.destination)


def test_new_calls_during_a_walk_are_not_lost_or_repeated(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with velip.Client(sb.token, base_url=sb.url) as c:
        it = c.list_calls(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=100)
        seen = [next(it).call_id]
        sb.insert_calls(7)
        seen += [r.call_id for r in it]
    assert len(seen) == len(set(seen)) >= 600
    assert isinstance(it.duplicates_skipped, int)


def test_basic_auth(sandbox: Sandbox) -> None:
    with velip.Client(basic_auth=sandbox.basic_auth, base_url=sandbox.url) as c:
        assert len(c.list_page(date_start=LAST_DAY, page_size=3)) == 3
        c.set_basic_auth(*sandbox.basic_auth)
        assert "basic" in {e["auth"] for e in sandbox.request_log()}


def test_token_in_body(sandbox: Sandbox) -> None:
    sandbox.clear_request_log()
    with velip.Client(sandbox.token, base_url=sandbox.url, token_in_body=True) as c:
        c.list_page(date_start=LAST_DAY, page_size=1)
    [entry] = sandbox.request_log()
    assert entry["auth"] == "tsid" and not any(k == "tsid" for k, _ in entry["query"])


def test_push_to_webhook(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with WebhookReceiver() as hook, velip.Client(sb.token, base_url=sb.url) as c:
        target = c.list_page(date_start=LAST_DAY, date_end=LAST_DAY, page_size=1).records[0]
        page = c.push_to_webhook(
            rurl=hook.url,
            call_id=target.call_id,
            rurl_format="json",
            rurl_method="POST",
            rurl_headers={"X-Test": "1"},
            rurl_user="hook",
            rurl_password="hook-secret-password",
        )
        assert isinstance(page, velip.Page)
        [req] = hook.requests(1, timeout=10)
        assert req["method"] == "POST"
        got = velip.parse_webhook(req["body"], req["content_type"])
        assert [r.call_id for r in got] == [target.call_id]
        headers = dict(req["headers"])
        assert headers.get("x-test") == "1"
        # The webhook password never shows in the sandbox's log.
        assert "hook-secret-password" not in json.dumps(sb.request_log())
        hook.set_status(500)
        c.push_to_webhook(rurl=hook.url, call_id=target.call_id, rurl_format="form")
        form = hook.requests(2, timeout=10)[1]
        [again] = velip.parse_webhook(form["body"], form["content_type"])
        assert again.call_id == target.call_id


def test_client_properties(sandbox: Sandbox) -> None:
    c = velip.Client(sandbox.token, base_url=sandbox.url + "/", timeout=5, connect_timeout=2, max_retries=1, max_retry_wait=3)
    assert c.base_url == sandbox.url
    assert c.user_agent.startswith("velip/") and "python/3." in c.user_agent
    assert repr(c) == f"Client(base_url='{sandbox.url}')"
    with c as same:
        assert same is c
    sandbox.clear_request_log()


def test_sandbox_hooks() -> None:
    with Sandbox(calls=50, numbers_as_strings=True, id_alias="42", faults=["1=503"]) as sb:
        assert sb.call_count == 50 and sb.url.startswith("http://127.0.0.1:")
        assert sb.endpoint.endswith("/api/v2/GetCallStatus.php")
        new = sb.insert_calls(2)
        assert new[-1] == sb.newest_call_id
        with velip.Client(sb.token, base_url=sb.url) as c:
            page = c.list_page(date_start=FIRST_DAY, date_end=LAST_DAY, page_size=100)
        assert len(page) == 52 and page.records[0].call_id.startswith("42_")
        log = sb.request_log()
        assert log[0]["status"] == 503 and log[0]["fault"] == "503" and log[1]["status"] == 200
        assert sb.token not in repr(sb) and sb.token not in json.dumps(log)
        assert not sb.client_status()["banned"]
        sb.advance_clock(10)
        sb.reset()
        assert sb.request_log() == []
        assert sb.deliveries() == []
    try:
        Sandbox(faults=["nonsense"])
    except velip.ValidationError:
        pass
    else:
        raise AssertionError("bad fault rule accepted")
