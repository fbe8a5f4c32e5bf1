"""Simulated time: the loop clock on the virtual loop, and the scaled loop against a fake real
clock, so no test here waits for (or reads) real time."""

from __future__ import annotations

import asyncio
import selectors
import sys
from datetime import UTC, datetime

import looptime
import pytest

from simulator.shell.clock import (
    VIRTUAL_EPOCH,
    ClockMode,
    LoopClock,
    ScaledEventLoop,
    loop_factory,
    run,
    run_virtual,
)

MARCH = datetime(2026, 3, 1, tzinfo=UTC)


class FakeRealTime:
    """Real seconds that pass only when the loop waits in its selector."""

    def __init__(self) -> None:
        self.t = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.t


class WaitingSelector(selectors.SelectSelector):
    """A selector whose waits advance the fake real time instead of sleeping."""

    def __init__(self, real: FakeRealTime) -> None:
        super().__init__()
        self._real = real

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout:
            self._real.waits.append(timeout)
            self._real.t += timeout
        return super().select(0)


def test_the_loop_clock_counts_simulated_seconds_from_its_start() -> None:
    """Made at loop time 0, after a 90-second sleep it reads 90 s and 90 s past its start."""

    async def main() -> tuple[float, float]:
        clock = LoopClock(start=VIRTUAL_EPOCH)
        await asyncio.sleep(90.0)
        return clock.now(), clock.wall()

    assert run_virtual(main()) == (90.0, VIRTUAL_EPOCH.timestamp() + 90.0)


def test_the_wall_time_of_a_simulated_instant() -> None:
    """One simulated hour after a start of 1 March 2026, 00:00 UTC is 01:00 UTC that day."""

    async def main() -> tuple[float, datetime]:
        clock = LoopClock(start=MARCH)
        return clock.wall(3600.0), clock.wall_datetime(3600.0)

    assert run_virtual(main()) == (MARCH.timestamp() + 3600.0, datetime(2026, 3, 1, 1, tzinfo=UTC))


def test_sleep_until_wakes_at_the_instant_and_not_before() -> None:
    """sleep_until(12.5) returns at 12.5 s; a time already past returns at once."""

    async def main() -> list[float]:
        clock = LoopClock(start=VIRTUAL_EPOCH)
        await clock.sleep_until(12.5)
        woke = clock.now()
        await clock.sleep_until(3.0)
        return [woke, clock.now()]

    assert run_virtual(main()) == [12.5, 12.5]


def test_the_scaled_loop_runs_speed_times_faster_than_real_time() -> None:
    """At speed 1000, 2.5 real seconds after the start the loop's time is 2500 s."""
    real = FakeRealTime()
    loop = ScaledEventLoop(1000.0, selector=WaitingSelector(real), real_time=real)
    try:
        real.t = 2.5
        assert loop.time() == 2500.0
    finally:
        loop.close()


def test_a_simulated_minute_at_speed_1000_waits_60_real_milliseconds() -> None:
    """A 60-second sleep on the scaled loop is one wait of 0.06 real seconds in its selector:
    a simulated minute passes in well under a real second (measured by the fake real clock)."""
    real = FakeRealTime()
    loop = ScaledEventLoop(1000.0, selector=WaitingSelector(real), real_time=real)
    try:
        loop.run_until_complete(asyncio.sleep(60.0))
        assert loop.time() == pytest.approx(60.0)
    finally:
        loop.close()
    assert real.waits == [pytest.approx(0.06)]
    assert real.t == pytest.approx(0.06)


def test_the_virtual_mode_jumps_over_idle_time() -> None:
    """A day of sleeping on the virtual loop ends at loop time 86,400 s."""

    async def main() -> float:
        await asyncio.sleep(86_400.0)
        return asyncio.get_running_loop().time()

    assert run(main(), mode=ClockMode.VIRTUAL) == 86_400.0


def test_the_real_clock_runs_on_uvloop_where_it_is_installed() -> None:
    """uvloop keeps the slots of many subscriptions tighter; the real clock uses it."""
    uvloop = pytest.importorskip("uvloop")
    loop = loop_factory(ClockMode.REAL)()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_without_uvloop_the_real_clock_runs_on_asyncio_s_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where uvloop cannot be imported (Windows), the real clock is asyncio's own loop."""
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    loop = loop_factory(ClockMode.REAL)()
    try:
        assert isinstance(loop, asyncio.BaseEventLoop)  # asyncio's own, not uvloop's
    finally:
        loop.close()


@pytest.mark.parametrize(
    ("mode", "speed", "kind"),
    [
        pytest.param(ClockMode.SCALED, 60.0, ScaledEventLoop, id="scaled"),
        pytest.param(ClockMode.VIRTUAL, 1.0, looptime.LoopTimeEventLoop, id="virtual"),
    ],
)
def test_scaled_and_virtual_clocks_never_run_on_uvloop(
    mode: ClockMode, speed: float, kind: type[asyncio.AbstractEventLoop]
) -> None:
    """A scaled loop needs a selector to scale and looptime drives asyncio's loop: not uvloop."""
    loop = loop_factory(mode, speed)()
    try:
        assert isinstance(loop, kind)
    finally:
        loop.close()
