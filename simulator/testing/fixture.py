"""The `marketo_producer` fixture's body: a factory of simulations in the test's event loop, each
stopped at teardown. `simulator.pytest_plugin` wraps it as a pytest-asyncio fixture; it lives
here so that the plugin's entry point imports nothing of the simulator until a test uses it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from simulator.errors import ConfigError
from simulator.runfile.scenario import RunSpec
from simulator.testing.runner import App, ClockName
from simulator.testing.simulation import Factory, Simulation, start_producer


@contextlib.asynccontextmanager
async def producers() -> AsyncIterator[Factory]:
    """Yield the factory; on exit stop every simulation it made, newest first, and raise the
    first error a stop raised (something left running, a crash of the run)."""
    loop = asyncio.get_running_loop()
    sims: list[Simulation] = []

    async def factory(
        run: str | Path | RunSpec,
        *,
        app: App | None = None,
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
