"""What the dev endpoint keeps of what it was sent (simulator.endpoint.received): duplicates
by event id, the batches it records with their arrival times, and the bounds on what it keeps."""

from __future__ import annotations

import asyncio

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

from simulator.endpoint.routing import VALIDATION_URLS, Receiver
from simulator.errors import ConfigError


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


@virtual
async def test_nothing_is_kept_unless_recording() -> None:
    """Without record the receiver counts batches but keeps none."""
    async with serving() as (receiver, url, session):
        await post(session, url, batch("a", message_id="1"))
    stats = receiver.stats
    assert (stats.batches, receiver.received, stats.received_dropped) == (1, [], 0)


@virtual
async def test_recording_keeps_exactly_the_last_batches_and_counts_the_dropped() -> None:
    """With keep_batches 3, five batches leave the last three, oldest first, and 2 dropped."""
    async with serving(record=True, keep_batches=3) as (receiver, url, session):
        for n in range(1, 6):
            await post(session, url, batch(f"g{n}", message_id=str(n)))
    assert [r.message_id for r in receiver.received] == ["3", "4", "5"]
    assert (receiver.stats.received_dropped, receiver.stats.batches) == (2, 5)


def test_recording_keeps_a_thousand_batches_by_default() -> None:
    """The default bound is KEEP_BATCHES, 1,000 batches."""
    assert Receiver(record=True).keep_batches == 1_000


@virtual
async def test_lowering_the_bound_drops_the_oldest_kept_batches() -> None:
    """Setting keep_batches below what is kept drops the oldest and counts them."""
    async with serving(record=True) as (receiver, url, session):
        for n in range(1, 5):
            await post(session, url, batch(f"g{n}", message_id=str(n)))
        receiver.keep_batches = 1
    assert ([r.message_id for r in receiver.received], receiver.stats.received_dropped) == (
        ["4"],
        3,
    )


@pytest.mark.parametrize("keep", [0, -3])
def test_keep_batches_must_be_positive(keep: int) -> None:
    """keep_batches below 1 is a ConfigError naming it."""
    with pytest.raises(ConfigError, match="keep_batches: must be an integer >= 1"):
        Receiver(record=True, keep_batches=keep)


@virtual
async def test_a_kept_batch_is_its_body_decoded_when_read() -> None:
    """A kept legacy batch holds its body and decodes its activities on each read, whole."""
    sent = batch("a", "b", message_id="9")
    async with serving(record=True) as (receiver, url, session):
        await post(session, url, sent)
    [kept] = receiver.received
    assert (kept.count, kept.activities, kept.events) == (2, sent["activities"], sent["activities"])
    assert orjson.loads(kept.body) == sent


@virtual
async def test_foreign_ids_past_the_window_are_forgotten_and_counted() -> None:
    """With foreign_ids 2, a third foreign id makes the first forgotten: its repeat is not a
    duplicate, and stats.foreign_forgotten says how many were forgotten."""
    async with serving(foreign_ids=2) as (receiver, url, session):
        await post(session, url, batch("a", "b", "c"))
        await post(session, url, batch("a", "c"))
    assert (receiver.stats.duplicates, receiver.stats.foreign_forgotten) == (1, 2)


@virtual
async def test_validation_urls_keep_the_last_hundred() -> None:
    """The validationUrls accepted are remembered up to VALIDATION_URLS, the last ones."""
    async with serving() as (receiver, url, session):
        for n in range(VALIDATION_URLS + 2):
            await post(session, url, {"validationUrl": f"http://127.0.0.1:9/v?n={n}"})
    urls = receiver.validation_urls
    assert (len(urls), urls[0], urls[-1]) == (
        VALIDATION_URLS,
        "http://127.0.0.1:9/v?n=2",
        f"http://127.0.0.1:9/v?n={VALIDATION_URLS + 1}",
    )
