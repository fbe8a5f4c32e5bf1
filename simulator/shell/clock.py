"""Simulated time: the only module that decides how loop time relates to real time.

Everything in the engine, the transport and the dev endpoint schedules on the running event
loop's clock (`asyncio.sleep`, aiohttp timeouts, `loop.time()`), so swapping the *loop* swaps the
clock for all of them at once:

* real    one simulated second is one real second, on uvloop where it is installed (its timers
          keep a thousand subscriptions' push slots about twice as tight as asyncio's own loop:
          `_real_loop`), else on asyncio's own loop;
* scaled  `ScaledEventLoop`: loop time runs `speed` times faster than real time, so with
          `--speed 60` a 3-minute retry interval takes 3 real seconds, and aiohttp's 20 s timeout
          fires after a third of a real second;
* virtual a `looptime` loop: time stands still while anything can run and jumps straight to the
          next timer when the loop is idle. Sockets on 127.0.0.1 in the same loop (the embedded
          dev endpoint) are polled before every jump, and a jump waits for the bytes of our
          own requests still in the kernel (`transit`), so a push over loopback completes at
          the simulated instant it started, plus the latency the endpoint simulates.

`LoopClock` maps loop time to simulated seconds since the start of the run, and those to the
simulated wall time that payloads and logs show; `Clock` is what the engine, the lanes and the
director depend on.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from simulator.shell.transit import hold_jumps

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

T = TypeVar("T")

# The simulated wall time at t=0 of a virtual run when the file sets no `start`: a fixed instant
# keeps payloads byte-identical from run to run.
VIRTUAL_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class ClockMode(StrEnum):
    REAL = "real"
    SCALED = "scaled"
    VIRTUAL = "virtual"


class Clock(Protocol):
    """Simulated time as the engine, the lanes and the director read it. `LoopClock` is the one
    a run uses, on a real, scaled or virtual loop alike; a test's harness may stop it."""

    def now(self) -> float:
        """Simulated seconds since the run began."""
        ...

    def wall(self, t: float | None = None) -> float:
        """Unix epoch seconds of simulated time `t` (default: now)."""
        ...

    async def sleep_until(self, t: float) -> None:
        """Return once simulated time `t` has come (at once if it has)."""
        ...


class LoopClock:
    """Simulated seconds since the run began, read off the running loop, and the simulated wall
    time they stand for. Real, scaled or virtual: whatever the loop's time is (`loop_factory`)."""

    def __init__(self, *, start: datetime | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._origin = loop.time()
        self.start = start if start is not None else datetime.now(UTC)
        self._epoch = self.start.timestamp()

    def now(self) -> float:
        return self._loop.time() - self._origin

    def wall(self, t: float | None = None) -> float:
        """Unix epoch seconds of simulated time `t` (default: now)."""
        return self._epoch + (self.now() if t is None else t)

    def wall_datetime(self, t: float | None = None) -> datetime:
        return datetime.fromtimestamp(self.wall(t), UTC)

    async def sleep_until(self, t: float) -> None:
        delay = t - self.now()
        if delay > 0:
            await asyncio.sleep(delay)


class StoppedClock:
    """A run's clock, stopped at `at`: what is read of the run once it has ended (its servers
    still answering while the run shuts down see the world as it was at the end)."""

    def __init__(self, clock: Clock, at: float) -> None:
        self._clock = clock
        self._at = at

    def now(self) -> float:
        return self._at

    def wall(self, t: float | None = None) -> float:
        return self._clock.wall(self._at if t is None else t)

    async def sleep_until(self, t: float) -> None:
        await asyncio.sleep(0)  # time has stopped: nothing is worth waiting for


def loop_seconds(real: float) -> float:
    """Loop seconds that last about `real` real seconds on the running loop: `real` times the
    speed on a scaled loop; as many virtual seconds on the virtual clock (where a wait for our
    own requests takes none: `transit`)."""
    loop = asyncio.get_running_loop()
    return real * loop.speed if isinstance(loop, ScaledEventLoop) else real


class _ScaledSelector(selectors.BaseSelector):
    """The loop's selector, except that a wait of `timeout` loop seconds lasts timeout/speed
    real seconds."""

    def __init__(self, inner: selectors.BaseSelector, speed: float) -> None:
        self._inner = inner
        self._speed = speed

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        return self._inner.select(None if timeout is None else timeout / self._speed)

    def register(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._inner.get_map()

    def close(self) -> None:
        self._inner.close()


class ScaledEventLoop(asyncio.SelectorEventLoop):
    """An event loop whose time runs `speed` times faster than real time. `selector` and
    `real_time` (the real seconds it scales) are there for tests."""

    def __init__(
        self,
        speed: float,
        *,
        selector: selectors.BaseSelector | None = None,
        real_time: Callable[[], float] = time.monotonic,
    ) -> None:
        self._speed = speed
        self._real_time = real_time
        self._real_origin = real_time()
        inner = selector if selector is not None else selectors.DefaultSelector()
        super().__init__(_ScaledSelector(inner, speed))

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    def time(self) -> float:
        return (self._real_time() - self._real_origin) * self._speed


def loop_factory(mode: ClockMode, speed: float = 1.0) -> Callable[[], asyncio.AbstractEventLoop]:
    if mode is ClockMode.VIRTUAL:
        # No-op cycles before each jump let callbacks that set timers, and loopback bytes still on
        # their way between our own client and server, arrive first. 5 and 20 proved too few on a
        # loaded machine: a 330 kB push to the embedded endpoint then timed out in virtual time.
        # looptime's own default of 42 costs about a third more replay time.
        # looptime drives asyncio's selector loop only: never uvloop here. Imported here, not at
        # the top: it imports pytest, a fifth of a second that a real-clock run need not wait.
        import looptime

        def virtual_loop() -> asyncio.AbstractEventLoop:
            loop = looptime.new_event_loop(start=0.0, noop_cycles=42)
            hold_jumps(loop)  # and none while our own bytes are still on their way
            return loop

        return virtual_loop
    if mode is ClockMode.SCALED and speed != 1.0:
        # Not uvloop either: libuv keeps its timers in real milliseconds, with no selector whose
        # waits could be scaled, so a loop time running `speed` times faster cannot drive them.
        return lambda: ScaledEventLoop(speed)
    return _real_loop


def _real_loop() -> asyncio.AbstractEventLoop:
    """uvloop when it can be imported (not on Windows), else asyncio's own loop.

    Measured with 1,000 subscriptions at 10 events/s pushing to a bare sink for 30 s: the p99
    error of the 2 s cadence is about 9 ms on uvloop and 17 ms on asyncio's loop, for the same
    throughput (the encoding, not the loop, bounds it). Its clock reads in milliseconds, which
    is as fine as the seeded slot offsets are. Imported here, not at the top: a command that
    never runs on the real clock does not pay for it."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(main: Coroutine[Any, Any, T], *, mode: ClockMode = ClockMode.REAL, speed: float = 1.0) -> T:
    """Run `main` to completion on a loop whose time is real, scaled or virtual."""
    with asyncio.Runner(loop_factory=loop_factory(mode, speed)) as runner:
        return runner.run(main)


def stopwatch() -> Callable[[], float]:
    """Real seconds since the call: how long a simulation took, for people and benchmarks."""
    started = time.perf_counter()
    return lambda: time.perf_counter() - started


def run_virtual(main: Coroutine[Any, Any, T]) -> T:
    return run(main, mode=ClockMode.VIRTUAL)
