"""How the dev consumer acts out a fault on one request: refuse it, hang, or reset it.

An outage window or the Behaviour's `hang` and `reset` (`simulator.core.behaviour`) say which;
the Receiver's routes decide when, and this module does it, counting each fault in the stats and
logging it.

How "refuse" and "reset" drop a connection: the handler sets SO_LINGER to 0 and aborts the
transport, so the kernel sends a TCP RST and no response byte is ever written; the producer sees a
connection error (aiohttp `ClientOSError`/`ServerDisconnectedError`), never a status. "refuse" does
this as soon as the request head is parsed, without reading the body (on the virtual clock the body
has been read by then: `serve_on_loopback` reads each request whole so that the clock waits for
it); "reset" reads the whole body first. "hang" waits until the client gives up or the receiver
stops. The listening socket stays open throughout, so the token and `/_sim` endpoints on the same
port keep working while the consumer is "down".
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import socket
import struct
from collections.abc import Callable
from typing import Literal

from aiohttp import web

from simulator.core.behaviour import Behaviour, Window
from simulator.endpoint.bodies import Parsed
from simulator.endpoint.received import Stats

__all__ = ["Draws", "Faults", "Misbehaviour", "drop_connection", "misbehaviour"]


class Draws:
    """The failure-rate draws in [0, 1), one per delivery: a pure function of the seed, the
    delivery's id and when it came, not of what other subscriptions sent before it, so a shard
    of a run (`--shard`) fails the deliveries the whole run fails, at the dev endpoint and at the
    fault proxy alike. A body without an id draws from the seeded sequence."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def draw(self, parsed: Parsed | ValueError, at: float) -> float:
        if isinstance(parsed, Parsed) and (parsed.message_id or parsed.ids):
            key = f"{self.seed}/{parsed.message_id or parsed.ids[0]}/{at:.6f}"
            digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
            return int.from_bytes(digest, "big") / 2**64
        return self._rng.random()


# What the Behaviour makes of one delivery: a fault to act out, or the status to answer and why.
Misbehaviour = tuple[Literal["hang", "reset"] | None, int, str]


def misbehaviour(behaviour: Behaviour, draw: Callable[[], float]) -> Misbehaviour:
    """Hang or reset first; then one draw against `failure_rate` (made only when the rate is
    above 0, so a run without one draws nothing); else the fixed status."""
    if behaviour.hang or behaviour.reset:
        return ("hang" if behaviour.hang else "reset", 0, "")
    if behaviour.failure_rate > 0 and draw() < behaviour.failure_rate:
        return (None, behaviour.failure_status, "failure_rate")
    return (None, behaviour.status, "status")


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

    async def outage(
        self, request: web.Request, window: Window, at: float, answer: Callable[[int], web.Response]
    ) -> web.Response:
        """`request` inside an outage `window`: refused, hung or reset, or answered with the
        window's status by `answer` (which counts it)."""
        why = f"outage {window.start:g}-{window.end:g}s"
        if window.mode != "status":
            return await self.act(request, window.mode, at, why)
        self._stats.injected_failures += 1
        self._say(at, f"{request.method} {window.status} injected ({why})")
        return answer(window.status)

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
