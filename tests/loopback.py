"""Helpers the test modules share: serve an aiohttp app on 127.0.0.1, run a test body on the
virtual clock."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web

from simulator.shell.clock import run_virtual


@contextlib.asynccontextmanager
async def served(app: web.Application, *, slash: bool = True) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 (a free port); yields its base URL (`slash`: ending in /)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        yield f"{url}/" if slash else url
    finally:
        await runner.cleanup()


def virtual(test: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """Run an async test body as a sync test, on the virtual clock."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_virtual(test(*args, **kwargs))

    return wrapper
