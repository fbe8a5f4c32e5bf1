"""The bodies the dev endpoint is POSTed (simulator.endpoint.bodies), through the Receiver:
legacy batches and Adobe I/O deliveries told apart by shape, the 400 for a body it cannot read,
and the --bodies JSON lines."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from loopback import virtual
from receiving import (
    CLOUDEVENTS,
    batch,
    envelope,
    post,
    serving,
)

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
