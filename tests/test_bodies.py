"""The bodies the dev endpoint is POSTed (simulator.endpoint.bodies), through the Receiver:
legacy batches and Adobe I/O deliveries told apart by shape, the 400 for a body it cannot read,
the --bodies JSON lines, and the fast read of the ids agreeing with the whole decode."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loopback import virtual
from receiving import (
    CLOUDEVENTS,
    batch,
    envelope,
    post,
    serving,
)

from simulator.endpoint.bodies import Parsed, _parse_slowly, parse_delivery

# --- legacy batches ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"{not json", "not JSON", id="not-json"),
        pytest.param(b"[]", "not a JSON object", id="array"),
        pytest.param(orjson.dumps({**batch(), "activities": {}}), "activities:", id="no-list"),
        pytest.param(orjson.dumps({**batch(), "messageId": 12345}), "messageId:", id="int-id"),
        pytest.param(
            orjson.dumps({**batch(), "activities": [{"leadId": 1}]}),
            "activities[0].marketoGUID",
            id="no-guid",
        ),
    ],
)
@virtual
async def test_bad_body_is_400(body: bytes, reason: str) -> None:
    """A body that is not JSON or not the legacy batch wrapper is answered 400."""
    async with serving() as (receiver, url, session), session.post(url, data=body) as response:
        assert response.status == 400
        assert reason in await response.text()
    assert (receiver.stats.bad_requests, receiver.stats.batches) == (1, 0)


@virtual
async def test_bodies_written_as_json_lines() -> None:
    """Accepted bodies go to `bodies` one JSON line each, even when pretty-printed."""
    out = io.StringIO()
    pretty = orjson.dumps(batch("b", message_id="2"), option=orjson.OPT_INDENT_2)
    async with serving(bodies=out) as (_, url, session):
        await post(session, url, batch("a", message_id="1"))
        await post(session, url, pretty)
        await post(session, url, b"{not json")
    lines = out.getvalue().splitlines()
    assert [orjson.loads(line) for line in lines] == [batch("a"), batch("b", message_id="2")]


# --- I/O deliveries ------------------------------------------------------------------------------


@virtual
async def test_cloudevents_content_type_accepted() -> None:
    """A single envelope sent as application/cloudevents+json is accepted as one I/O event."""
    event = envelope("e-1")
    headers = {**CLOUDEVENTS, "x-adobe-delivery-id": "d-1", "x-adobe-event-id": "e-1"}
    async with serving(record=True) as (receiver, url, session):
        assert await post(session, url, event, headers=headers) == 200
    [kept] = receiver.received
    assert (kept.kind, kept.message_id, kept.events, kept.activities) == ("io", "d-1", [event], [])
    assert kept.headers == {
        "content-type": "application/cloudevents+json; charset=UTF-8",
        "x-adobe-delivery-id": "d-1",
        "x-adobe-event-id": "e-1",
    }
    s = receiver.stats
    assert (s.batches, s.io_batches, s.events, s.bad_requests) == (1, 1, 1, 0)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="eventid"),
        pytest.param({"eventid": None, "event_id": "e-1"}, id="event_id"),
        pytest.param({"eventid": None, "id": "e-1"}, id="cloudevents-id"),
    ],
)
@virtual
async def test_io_event_id_fallbacks(changes: dict[str, Any]) -> None:
    """Duplicates are found by eventid, else the deprecated event_id, else the CloudEvents id."""
    event = envelope("e-1", **changes)
    async with serving() as (receiver, url, session):
        await post(session, url, event)
        await post(session, url, event)
    assert (receiver.stats.events, receiver.stats.duplicates) == (2, 1)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(
            [{"specversion": "1.0"}], "events[0]: no eventid, event_id or id string", id="no-id"
        ),
        pytest.param([envelope("e-1"), "x"], "events[1]: not a JSON object", id="not-object"),
        pytest.param({"validationUrl": 5}, "validationUrl: not a string", id="validation"),
    ],
)
@virtual
async def test_bad_io_body_is_400(body: object, reason: str) -> None:
    """An I/O body without event ids, or a validationUrl that is no string, is answered 400."""
    async with (
        serving() as (receiver, url, session),
        session.post(url, data=orjson.dumps(body)) as response,
    ):
        assert (response.status, await response.text()) == (400, f"Bad Request: {reason}")
    assert (receiver.stats.bad_requests, receiver.stats.batches) == (1, 0)


@virtual
async def test_io_bodies_written_as_json_lines() -> None:
    """Accepted I/O bodies go to `bodies` one JSON line each, like legacy batches."""
    out = io.StringIO()
    async with serving(bodies=out) as (_, url, session):
        await post(session, url, orjson.dumps([envelope("e-1")], option=orjson.OPT_INDENT_2))
    assert [orjson.loads(line) for line in out.getvalue().splitlines()] == [[envelope("e-1")]]


# --- the fast read agrees with the whole decode --------------------------------------------------

MISSING = object()  # a field left out
LEAF = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3))
JSON = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
ID = st.one_of(st.just(MISSING), LEAF, st.sampled_from(["", "g-1", "0a1b2c3d-4e5f-4071-8293-0"]))


def fields(**strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with each of these fields, or without it when the draw is MISSING, plus a few
    other fields the endpoint does not read."""
    named = st.fixed_dictionaries(strategies).map(
        lambda d: {k: v for k, v in d.items() if v is not MISSING}
    )
    extra = st.dictionaries(st.sampled_from(["leadId", "x", "attributes"]), JSON, max_size=2)
    return st.tuples(extra, named).map(lambda pair: {**pair[0], **pair[1]})


# Documents of the right shape (each field may still be an edge: an empty id, a validationUrl
# beside the activities), then documents with any field missing or of any type.
GOOD_LEGACY = fields(
    sourceApplication=st.text(max_size=2),
    munchkinId=st.text(max_size=2),
    messageId=st.text(max_size=2),
    messageCreatedDate=st.text(max_size=2),
    activities=st.lists(fields(marketoGUID=st.text(max_size=3)), max_size=4),
    validationUrl=st.one_of(*[st.just(MISSING)] * 4, LEAF),
)
GOOD_IO = st.lists(fields(eventid=st.text(max_size=3), event_id=ID, id=ID), max_size=4)
WRAPPER = st.one_of(st.just("w"), st.just(MISSING), LEAF)
LEGACY = fields(
    sourceApplication=WRAPPER,
    munchkinId=WRAPPER,
    messageId=WRAPPER,
    messageCreatedDate=WRAPPER,
    activities=st.one_of(st.lists(st.one_of(fields(marketoGUID=ID), LEAF), max_size=4), JSON),
    validationUrl=st.one_of(st.just(MISSING), LEAF),
)
ENVELOPE = st.one_of(fields(eventid=ID, event_id=ID, id=ID, specversion=ID), LEAF)
DOCUMENT = st.one_of(GOOD_LEGACY, GOOD_IO, LEGACY, ENVELOPE, st.lists(ENVELOPE, max_size=4), JSON)


def outcome(read: Callable[[bytes], Parsed], body: bytes) -> Parsed | str:
    try:
        return read(body)
    except ValueError as exc:
        return f"ValueError: {exc}"


@settings(max_examples=300)
@given(DOCUMENT, st.booleans(), st.sampled_from([b"", b" \n\t"]))
def test_the_fast_read_agrees_with_the_whole_decode(
    document: object, pretty: bool, leading: bytes
) -> None:
    """For any document of the shapes the endpoint takes, and of many it refuses, parse_delivery
    (the fast read of the ids) gives what decoding the whole body and checking every field
    gives: the same kind, ids and messageId, or the same error."""
    body = leading + orjson.dumps(document, option=orjson.OPT_INDENT_2 if pretty else 0)
    assert outcome(parse_delivery, body) == outcome(_parse_slowly, body)


@given(st.binary(max_size=40))
def test_the_fast_read_agrees_on_any_bytes(body: bytes) -> None:
    """Bytes that are no JSON are refused by both reads with the same error."""
    assert outcome(parse_delivery, body) == outcome(_parse_slowly, body)
