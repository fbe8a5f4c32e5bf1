"""What the dev endpoint keeps of what it was sent (simulator.endpoint.received): duplicates
by event id, and the batches it records with their arrival times."""

from __future__ import annotations

import asyncio

from loopback import virtual
from receiving import (
    CLOUDEVENTS,
    batch,
    envelope,
    post,
    serving,
)


@virtual
async def test_duplicates_counted_by_guid() -> None:
    """An event whose marketoGUID was already accepted counts as a duplicate."""
    async with serving(record=True) as (receiver, url, session):
        await post(session, url, batch("a", "b", message_id="1"))
        await post(session, url, batch("b", "c", message_id="2"))
    assert (receiver.stats.events, receiver.stats.duplicates) == (4, 1)
    assert [(r.message_id, r.duplicates) for r in receiver.received] == [("1", 0), ("2", 1)]


@virtual
async def test_record_keeps_arrival_time_and_activities() -> None:
    """record=True keeps each accepted batch with its receiver arrival time."""
    async with serving(record=True) as (receiver, url, session):
        await asyncio.sleep(2.0)
        await post(session, url, batch("a", message_id="17"))
    [kept] = receiver.received
    assert (kept.at, kept.message_id, [a["marketoGUID"] for a in kept.activities]) == (
        2.0,
        "17",
        ["a"],
    )


@virtual
async def test_io_batch_counted_per_event_with_duplicates_by_eventid() -> None:
    """An array is one batch of events; an eventid seen before counts as a duplicate."""
    async with serving(record=True) as (receiver, url, session):
        await post(session, url, [envelope("e-1"), envelope("e-2")], headers=CLOUDEVENTS)
        await post(session, url, [envelope("e-2"), envelope("e-3")], headers=CLOUDEVENTS)
    s = receiver.stats
    assert (s.batches, s.io_batches, s.events, s.duplicates) == (2, 2, 4, 1)
    assert [r.duplicates for r in receiver.received] == [0, 1]
