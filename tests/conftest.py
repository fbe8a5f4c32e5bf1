"""What every test module shares."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

import looptime
import pytest
from fleetruns import Runs, shard_runs


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


@pytest.fixture(scope="session")
def fleet_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Runs]:
    """FLEET played whole and in three shards, once per session (once per xdist worker that
    needs it), and the directory of their files: test_shards, test_merge and test_workers
    compare against the same runs, which only read them."""
    tmp = tmp_path_factory.mktemp("fleet")
    return tmp, shard_runs(tmp)
