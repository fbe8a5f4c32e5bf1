"""What every test module shares."""

from __future__ import annotations

import asyncio
import warnings

import looptime
import pytest


@pytest.fixture(autouse=True, scope="module")
def _no_leftover_event_loop() -> None:
    """looptime's plugin asks the loop policy for the current loop before each sync test; before
    the first async test none is set, so the policy makes one that nobody closes. A module's
    first pytest-asyncio test replaces it, and its ResourceWarning, whenever the GC gets to it,
    would fail some later test. Close it at the start of every module."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return
    if not isinstance(loop, looptime.LoopTimeEventLoop) and not loop.is_running():
        loop.close()
        asyncio.set_event_loop(None)
