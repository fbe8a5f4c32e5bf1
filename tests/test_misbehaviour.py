"""The dev endpoint misbehaving on command, over real HTTP on 127.0.0.1 with time played by a
looptime loop: latency, faults (simulator.endpoint.faults), outage windows, seeded failures, and
PUT /_sim/behaviour changing the core Behaviour of a running receiver."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from loopback import virtual
from receiving import (
    batch,
    bearer,
    post,
    serving,
)

from simulator.core.behaviour import Behaviour, Window

# --- faults, latency and failures ----------------------------------------------------------------


@virtual
async def test_latency_is_exact_in_loop_time() -> None:
    """A 19.5 s latency delays the answer by exactly 19.5 s of loop time."""
    loop = asyncio.get_running_loop()
    async with serving(behaviour=Behaviour(latency=19.5)) as (_, url, session):
        before = loop.time()
        assert await post(session, url) == 200
        assert loop.time() - before == 19.5


@virtual
async def test_hang_lets_client_time_out_at_exactly_20s() -> None:
    """With hang, a client with a 20 s timeout times out at exactly 20.0."""
    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=20)
    async with serving(behaviour=Behaviour(hang=True)) as (receiver, url, session):
        with pytest.raises(asyncio.TimeoutError):
            await post(session, url, timeout=timeout)
        assert loop.time() == 20.0
    assert (receiver.stats.hangs, receiver.stats.injected_failures) == (1, 1)


@virtual
async def test_slow_answer_after_client_timeout_makes_duplicates() -> None:
    """A batch the consumer took but answered too late shows up as duplicates on retry."""
    timeout = aiohttp.ClientTimeout(total=20)
    async with serving(behaviour=Behaviour(latency=25.0)) as (receiver, url, session):
        with pytest.raises(asyncio.TimeoutError):
            await post(session, url, batch("a", "b"), timeout=timeout)
        receiver.behaviour = Behaviour()
        assert await post(session, url, batch("a", "b")) == 200
    assert (receiver.stats.batches, receiver.stats.duplicates) == (2, 2)


@virtual
async def test_reset_is_a_connection_error() -> None:
    """With reset, the client sees a connection error and no status."""
    async with serving(behaviour=Behaviour(reset=True)) as (receiver, url, session):
        with pytest.raises(aiohttp.ClientConnectionError):
            await post(session, url)
    s = receiver.stats
    assert (s.resets, s.injected_failures, s.batches, s.statuses) == (1, 1, 0, {})


@virtual
async def test_refuse_outage_by_time() -> None:
    """A refuse window gives connection errors inside [start, end) and 200 outside."""
    behaviour = Behaviour(outages=(Window(start=10.0, end=20.0),))
    results: list[int | str] = []
    async with serving(behaviour=behaviour) as (receiver, url, session):
        for at in (9.0, 10.0, 19.0, 20.0):
            await asyncio.sleep(at - receiver.now())
            try:
                results.append(await post(session, url))
            except aiohttp.ClientConnectionError:
                results.append("refused")
    assert results == [200, "refused", "refused", 200]
    assert (receiver.stats.refused, receiver.stats.requests) == (2, 4)


@virtual
async def test_status_outage_by_time() -> None:
    """A status window answers its status inside the window, even to an unauthorized POST."""
    behaviour = Behaviour(outages=(Window(start=60.0, end=1260.0, mode="status", status=502),))
    results = []
    async with serving(token="t", behaviour=behaviour) as (receiver, url, session):
        for at in (0.0, 60.0, 1259.0, 1260.0):
            await asyncio.sleep(at - receiver.now())
            results.append(await post(session, url, headers=bearer("t")))
        results.append(await post(session, url))
    assert results == [200, 502, 502, 200, 401]


@virtual
async def test_failure_rate_is_deterministic_by_seed() -> None:
    """failure_rate draws from the seed, each delivery's id and its time: seed 2 at 0.5 gives
    a fixed sequence."""
    behaviour = Behaviour(failure_rate=0.5, failure_status=500)
    async with serving(behaviour=behaviour, seed=2) as (receiver, url, session):
        statuses = [await post(session, url, batch(f"g{i}", message_id=str(i))) for i in range(8)]
    assert statuses == STATUSES_SEED_2
    assert (receiver.stats.injected_failures, receiver.stats.batches) == (
        statuses.count(500),
        statuses.count(200),
    )


STATUSES_SEED_2 = [200, 500, 200, 500, 200, 500, 200, 200]


@virtual
async def test_a_deliverys_failure_draw_does_not_depend_on_the_deliveries_before_it() -> None:
    """The last four deliveries fail alike whether or not the first four came before them: a
    shard of a run (other subscriptions absent) fails what the whole run fails."""
    behaviour = Behaviour(failure_rate=0.5, failure_status=500)
    async with serving(behaviour=behaviour, seed=2) as (_, url, session):
        alone = [await post(session, url, batch(f"g{i}", message_id=str(i))) for i in range(4, 8)]
    assert alone == STATUSES_SEED_2[4:]


# --- PUT /_sim/behaviour -------------------------------------------------------------------------


@virtual
async def test_put_behaviour_changes_answers() -> None:
    """PUT /_sim/behaviour replaces the named fields of a running receiver."""
    async with serving() as (receiver, url, session):
        async with session.put(url + "_sim/behaviour", json={"status": 500}) as response:
            assert (response.status, (await response.json())["status"]) == (200, 500)
        assert await post(session, url) == 500
    assert receiver.behaviour == Behaviour(status=500)


@virtual
async def test_put_behaviour_sets_outages() -> None:
    """PUT /_sim/behaviour accepts outage windows as a list of objects."""
    body = {"outages": [{"start": 0, "end": 5, "mode": "status", "status": 504}]}
    async with serving() as (receiver, url, session):
        async with session.put(url + "_sim/behaviour", json=body) as response:
            assert response.status == 200
        assert await post(session, url) == 504
    assert receiver.behaviour.outages == (Window(start=0.0, end=5.0, mode="status", status=504),)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param({"colour": "red"}, "behaviour: unknown field 'colour'", id="unknown"),
        pytest.param({"hang": 1}, "behaviour.hang: expected bool, got 1", id="mistyped"),
        pytest.param({"failure_rate": 2}, "failure_rate: 2.0 is not between 0 and 1", id="range"),
        pytest.param(
            {"outages": [{"start": 5, "end": 1}]}, "outage 5.0-1.0: need 0 <= start < end", id="win"
        ),
    ],
)
@virtual
async def test_put_behaviour_rejects_bad_fields(body: dict[str, Any], error: str) -> None:
    """PUT /_sim/behaviour answers 400 with the reason and keeps the old behaviour."""
    async with (
        serving() as (receiver, url, session),
        session.put(url + "_sim/behaviour", json=body) as response,
    ):
        assert (response.status, await response.json()) == (400, {"error": error})
    assert receiver.behaviour == Behaviour()
