"""A scaled clock for tests against a consumer outside the test's loop (`url=`).

Such a consumer cannot follow virtual time, but a loop whose time runs `speed` times faster than
real time (`simulator.shell.clock.ScaledEventLoop`) makes three minutes of retries take three
seconds at speed 60, the producer's timeouts scaled alike. pytest-asyncio (1.4 or later) makes a
test's loop with the factories its `pytest_asyncio_loop_factories` hook returns; a conftest.py
next to the tests that talk to a consumer by URL returns `scaled_loop(N)` from it.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Callable

from simulator.errors import ConfigError
from simulator.shell.clock import ScaledEventLoop


def scaled_loop(speed: float) -> Callable[[], asyncio.AbstractEventLoop]:
    """A loop factory: loops whose time runs `speed` times faster than real time."""
    if not (speed > 0 and math.isfinite(speed)):
        raise ConfigError(f"scaled_loop: speed must be a finite number > 0 (got {speed!r})")
    return functools.partial(ScaledEventLoop, speed)


def loop_speed() -> float:
    """Simulated seconds per real second of the running loop: 1.0 unless it is scaled."""
    loop = asyncio.get_running_loop()
    return loop.speed if isinstance(loop, ScaledEventLoop) else 1.0
