"""A pytest plugin for consumers written in Python: the `marketo_producer` fixture.

The fixture is a factory. Called in an async test, it starts the producer of a run file against
the consumer, and hands back a `Simulation` that lets simulated time pass, adds events, and shows
what happened::

    @pytest.mark.looptime  # the test's event loop keeps virtual time
    async def test_the_consumer_takes_a_burst(marketo_producer):
        sim = await marketo_producer(RUN, app=create_app(token="t"), env={"SIM_TOKEN": "t"})
        sim.emit("leads", 5000)
        await sim.advance(60)
        assert sim.ledger("leads").acknowledged == 5000

Where the producer pushes, and on which clock:

* `app=`: an aiohttp `Application`, served on 127.0.0.1 in the test's own event loop; every
  subscription pushes to it. The clock is virtual: the test needs `@pytest.mark.looptime`
  (looptime's own pytest plugin), and hours of retries take milliseconds.
* neither: the run file's endpoints, normally the embedded dev endpoint (`sim.received`).
* `url=`: a consumer outside the test's loop, which cannot follow virtual time: the test runs
  on the real clock (no looptime mark), and `advance(180)` takes three real minutes.

`advance(seconds)` is deterministic: the producer runs in the background in the same loop, and
once the time is reached, everything due at that instant happens before `advance` returns (a
push at t = 6 s is in the attempt log after `advance(6)`). Teardown stops the producer and the
app and fails the test if anything of theirs is still running.

This module is the `pytest11` entry point and only defines the fixture; the API lives in
`simulator.testing`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from simulator.errors import ConfigError
from simulator.runfile.scenario import RunSpec
from simulator.testing.runner import ClockName
from simulator.testing.simulation import Factory, Simulation, inject, start_producer

__all__ = ["Factory", "Simulation", "inject", "marketo_producer", "start_producer"]


async def _producers() -> AsyncIterator[Factory]:
    loop = asyncio.get_running_loop()
    sims: list[Simulation] = []

    async def factory(
        run: str | Path | RunSpec,
        *,
        app: web.Application | None = None,
        url: str | None = None,
        path: str = "/",
        env: Mapping[str, str] | None = None,
        clock: ClockName | None = None,
    ) -> Simulation:
        if asyncio.get_running_loop() is not loop:
            raise ConfigError(
                "marketo_producer: the test runs in another event loop than the fixture; "
                "give both the same loop scope (the default: function)"
            )
        sim = await start_producer(run, app=app, url=url, path=path, env=env, clock=clock)
        sims.append(sim)
        return sim

    yield factory
    errors = []
    for sim in reversed(sims):
        try:
            await sim.stop()
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


def _fixture() -> Callable[..., Any]:
    """The fixture, made by pytest-asyncio; without it, one that says what is missing."""
    try:
        import pytest_asyncio
    except ImportError:  # pragma: no cover - without it no async test runs at all

        @pytest.fixture(name="marketo_producer")
        def missing() -> None:
            pytest.fail("marketo_producer needs pytest-asyncio: pip install pytest-asyncio")

        return missing
    fixture: Callable[..., Any] = pytest_asyncio.fixture(_producers, name="marketo_producer")
    return fixture


marketo_producer = _fixture()
