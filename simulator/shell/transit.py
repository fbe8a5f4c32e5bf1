"""Bytes on their way: the virtual clock does not jump while our own requests are in the kernel.

On the virtual clock (a `looptime` loop) time jumps to the next timer as soon as the loop has
nothing to do. A push to a server in the same loop (the dev endpoint, a fault proxy, a test's
app, the publisher's key and journal routes) crosses the kernel's loopback twice, and on a
loaded machine the kernel may hand the bytes over milliseconds later (softirq work deferred to
`ksoftirqd`). looptime's no-op cycles wait about a tenth of a millisecond; then time jumped, at
worst to the push's own 20 s timeout, and a replay differed from the same replay on an idle
machine (CI saw a burst half acknowledged).

So every request of ours is counted twice, and time may jump only while the counts agree:
* `carried`: requests our clients have begun and whose answer they have not read whole yet
  (`Transit.carrying`, around each client exchange);
* `held`: requests our servers have read whole and not answered yet (`Transit.holding`, which
  `serve_on_loopback`'s middleware and the ASGI wrapper apply).
A request carried but not held has bytes on their way: to its server, or its answer back. While one
has, `hold_jumps`' select waits for them in real time, `HOLD_STEP` at a time and at most
`HOLD_STEPS` times per jump, before looptime may move the clock. A handler that sleeps (an
endpoint's latency, a slow consumer) holds its request, so virtual waits still jump at once. On an
idle machine the bytes are there before the loop ever idles, and nothing waits.

A session that is not ours counts its requests with `tracing()` (an aiohttp `TraceConfig`, from a
request's start to its answer's headers): a test's own requests to the app or the dev endpoint
(the pytest plugin's `sim.client()`). Not counted: requests a test's app makes itself (its
public-key fetch from the publisher, a call to a fake of its own in the same loop), whose client
is the app's. The kernel cannot tell them apart
either: a socket's unacknowledged bytes (SIOCOUTQ) include those its peer has taken but not yet
acknowledged, which delayed ACKs leave there for up to 40 ms after most answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # aiohttp loads with the sessions that use `tracing`, not with the clock
    import aiohttp

HOLD_STEP = 0.002  # real seconds per wait for bytes on their way
# Waits per jump at most (2 s in all): far beyond any loopback hand-over seen under load, short
# enough that a peer outside the loop (which the virtual clock cannot follow) only slows it.
HOLD_STEPS = 1000


class Transit:
    """The requests of ours under way in one event loop (see the module's docstring)."""

    __slots__ = ("carried", "gated", "held", "patient", "waits")

    def __init__(self) -> None:
        self.carried = 0  # begun by our clients, answer not read whole
        self.held = 0  # read whole by our servers, not answered yet
        self.gated = False  # `hold_jumps` watches this loop
        self.waits = 0  # jumps that waited for bytes: what a test can see of the wait
        self.patient = True  # False once a wait gave up, until the loop runs something again

    @property
    def moving(self) -> bool:
        """Some request of ours has bytes between its client and its server."""
        return self.carried > self.held

    def carrying(self) -> contextlib.AbstractContextManager[None]:
        """Around a client's exchange: from before it connects until it has read the answer."""
        return self._counting("carried")

    def holding(self) -> contextlib.AbstractContextManager[None]:
        """Around a server's handling, from the request read whole until the answer is made."""
        return self._counting("held")

    @contextlib.contextmanager
    def _counting(self, count: str) -> Iterator[None]:
        setattr(self, count, getattr(self, count) + 1)
        try:
            yield
        finally:
            setattr(self, count, getattr(self, count) - 1)


_TRANSITS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Transit] = (
    weakref.WeakKeyDictionary()
)


def transit(loop: asyncio.AbstractEventLoop | None = None) -> Transit:
    """The running loop's (or `loop`'s) counts; counting costs nothing where no gate reads them."""
    loop = loop if loop is not None else asyncio.get_running_loop()
    found = _TRANSITS.get(loop)
    if found is None:
        found = _TRANSITS[loop] = Transit()
    return found


def hold_jumps(loop: asyncio.AbstractEventLoop) -> None:
    """Make the virtual loop `loop` wait for our bytes on their way before its time jumps.

    looptime replaces its selector's `select` with one that polls and then moves time; this
    wraps that one. asyncio asks for a timeout of 0 while callbacks are ready, so only an idle
    loop, about to jump, ever waits. Idempotent."""
    counts = transit(loop)
    if counts.gated:
        return
    counts.gated = True
    # asyncio's selector loops keep their selector here; looptime patches the same attribute.
    selector: selectors.BaseSelector = loop._selector  # type: ignore[attr-defined]
    jump = selector.select
    # The selector class's own select: it only ever waits in real time.
    poll: Poll = type(selector).select.__get__(selector)

    def select(timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout == 0:  # callbacks ran or are ready: a wait given up on may be tried again
            counts.patient = True
        elif counts.patient and counts.moving:
            counts.waits += 1
            # Given up once, not again until the loop has run something: the bound holds per
            # jump, not per each of looptime's no-op cycles before it.
            counts.patient = _wait_for_bytes(poll)
        # Level-triggered: what the wait saw ready, looptime's own poll sees again, and then it
        # runs it instead of moving time.
        return jump(timeout)

    selector.select = select  # type: ignore[method-assign]


def tracing() -> aiohttp.TraceConfig:
    """Count each request of the session given this as carried, from its start until its
    answer's headers have come or it failed (aiohttp sends one of the two to every request it
    started); a small answer's body comes with its headers. A test reading a big one (a long
    list of processed ids) may see the clock move while the rest arrives, not what it reads."""
    import aiohttp

    config = aiohttp.TraceConfig()

    async def began(*_: object) -> None:
        transit().carried += 1

    async def ended(*_: object) -> None:
        transit().carried -= 1

    config.on_request_start.append(began)
    config.on_request_end.append(ended)
    config.on_request_exception.append(ended)
    return config


Poll = Callable[[float | None], list[tuple[selectors.SelectorKey, int]]]


def _wait_for_bytes(poll: Poll) -> bool:
    """Wait until something is ready (True), or give up (False). Only what the loop watches
    can arrive: the counts cannot change while it waits."""
    return any(poll(HOLD_STEP) for _ in range(HOLD_STEPS))
