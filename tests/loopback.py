"""Helpers the test modules share: serve an aiohttp app on 127.0.0.1, hold a port that refuses
connections, run a test body on the virtual clock."""

from __future__ import annotations

import contextlib
import functools
import socket
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
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


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 where nothing listens, for as long as the block lasts. The socket is
    bound and never listens: a connection is refused, and no other test, xdist worker or program
    can take the port meanwhile (a port bound and released at once could be)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def free_port() -> int:
    """A free port on 127.0.0.1 for a server that must be told its port before it starts and
    cannot take port 0 (bound, then released: another process may take it in between, which
    the kernel's random choice of free ports makes unlikely). Prefer port 0 everywhere else."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def virtual(test: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """Run an async test body as a sync test, on the virtual clock."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_virtual(test(*args, **kwargs))

    return wrapper
