"""How the dev consumer acts out a fault on one request: refuse it, hang, or reset it.

An outage window or the Behaviour's `hang` and `reset` (`simulator.core.behaviour`) say which;
the Receiver's routes decide when, and this module does it, counting each fault in the stats and
logging it.

How "refuse" and "reset" drop a connection: the handler sets SO_LINGER to 0 and aborts the
transport, so the kernel sends a TCP RST and no response byte is ever written; the producer sees
a connection error (aiohttp `ClientOSError`/`ServerDisconnectedError`), never a status. "refuse"
does this as soon as the request head is parsed, without reading the body; "reset" reads the
whole body first. "hang" waits until the client gives up or the receiver stops. The listening
socket stays open throughout, so the token and `/_sim` endpoints on the same port keep working
while the consumer is "down".
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable

from aiohttp import web

from simulator.endpoint.received import Stats

__all__ = ["Faults", "drop_connection"]


def drop_connection(request: web.BaseRequest) -> web.Response:
    """Close the connection with a TCP RST and no response; the returned placeholder is never
    written (aiohttp sees the closed transport and moves on)."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=204)


class Faults:
    """Refuses, hangs or resets requests; `stop()` ends the hangs."""

    def __init__(self, *, stats: Stats, say: Callable[[float, str], None]) -> None:
        self._stats = stats
        self._say = say
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Let every hung request end (its connection is dropped)."""
        self._stopping.set()

    async def act(self, request: web.Request, mode: str, at: float, why: str) -> web.Response:
        """Refuse, hang or reset `request` (`mode`), at receiver time `at`, because of `why`."""
        self._stats.injected_failures += 1
        if mode == "refuse":
            self._stats.refused += 1
            self._say(at, f"{request.method} refused ({why})")
            return drop_connection(request)
        if mode == "hang":
            self._stats.hangs += 1
            self._say(at, f"{request.method} hang, never answers ({why})")
            await self._hang()
            return drop_connection(request)
        self._stats.resets += 1
        self._say(at, f"{request.method} reset after reading the request ({why})")
        with contextlib.suppress(web.HTTPRequestEntityTooLarge):
            await request.read()
        return drop_connection(request)

    async def _hang(self) -> None:
        """Never answer: the handler is cancelled when the client gives up, or ends at `stop()`."""
        await self._stopping.wait()
