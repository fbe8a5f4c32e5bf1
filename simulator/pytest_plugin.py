"""A pytest plugin for consumers written in Python: the `marketo_producer` fixture.

The fixture is a factory. Called in an async test, it starts the producer of a run file against
the consumer, and hands back a `Simulation` that lets simulated time pass, adds events, and shows
what happened::

    @pytest.mark.asyncio  # pytest-asyncio runs the test (no ini setting needed)
    @pytest.mark.looptime  # the test's event loop keeps virtual time
    async def test_the_consumer_takes_a_burst(marketo_producer):
        sim = await marketo_producer(RUN, app=create_app(token="t"), env={"SIM_TOKEN": "t"})
        sim.emit("leads", 5000)
        await sim.advance(60)
        sim.assert_all_acknowledged("leads")

Where the producer pushes, and on which clock:

* `app=`: an aiohttp `Application` or an ASGI application (FastAPI, Starlette), served on
  127.0.0.1 in the test's own event loop (ASGI ones by uvicorn); every subscription pushes to
  it. The clock is virtual: the test needs `@pytest.mark.looptime` (looptime's own pytest
  plugin), and hours of retries take milliseconds.
* neither: the run file's endpoints, normally the embedded dev endpoint (`sim.received`).
* `url=`: a consumer outside the test's loop, which cannot follow virtual time: the test runs
  on the real clock (no looptime mark), or a scaled one (`simulator.testing.scaled_loop`).

This module is the `pytest11` entry point, loaded by every pytest run in an environment where the
package is installed. It therefore imports pytest alone; the simulator is imported when a test
first asks for the fixture. What the fixture needs, pytest-asyncio, comes with the `[pytest]`
extra; without it the fixture fails saying how to install it, and looptime's plugin, which
assumes pytest-asyncio and would break every test that uses a fixture, is switched off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from simulator.testing.simulation import Factory

# looptime's pytest11 plugins, by their entry-point names.
LOOPTIME_PLUGIN = "looptime_plugin"
INSTALL = "pip install 'marketo-stream-simulator[pytest]'"


def pytest_configure(config: pytest.Config) -> None:
    """Without pytest-asyncio (not installed, or `-p no:asyncio`): put a fixture in place that
    says what to install, keep the markers known so that marked tests reach its message (with
    --strict-markers or warnings as errors they would not), and switch off looptime's plugin,
    which reads pytest-asyncio's fixtures on every fixture set-up and would fail each one with
    "'NoneType' object has no attribute '__name__'"."""
    manager = config.pluginmanager
    if manager.has_plugin("asyncio"):
        return
    manager.register(_Missing(), "marketo-producer-needs-pytest-asyncio")
    config.addinivalue_line("markers", "asyncio: run by pytest-asyncio (not installed)")
    if manager.has_plugin(LOOPTIME_PLUGIN):
        manager.set_blocked(LOOPTIME_PLUGIN)
        config.addinivalue_line("markers", "looptime: virtual time (needs pytest-asyncio)")


class _Missing:
    """Registered after this module, so its fixture is the one pytest uses."""

    @pytest.fixture(name="marketo_producer")
    def missing(self) -> None:
        pytest.fail(
            "marketo_producer needs pytest-asyncio, which runs async tests: " + INSTALL,
            pytrace=False,
        )


async def _producers() -> AsyncIterator[Factory]:
    from simulator.testing.fixture import producers  # the simulator loads here, not at start

    async with producers() as factory:
        yield factory


try:
    import pytest_asyncio
except ImportError:  # pytest_configure puts the fixture that says so in place
    pass
else:
    marketo_producer = pytest_asyncio.fixture(_producers, name="marketo_producer")
