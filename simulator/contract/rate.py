"""The producer's full rate, paced against a consumer: what the sustained-rate check plays.

A phase runs `subscriptions` at once. Each one pushes `events` every `period` seconds, `ticks`
times: a legacy subscription as one batch with one push in flight (the next push waits for the
answer, as Marketo's does), an Adobe I/O one as deliveries of up to 20 events with at most 10 in
flight (`IoPolicy`'s defaults). A push that starts late because the previous answer was slow
lowers the rate the phase achieved. After the first failure no subscription starts another push,
and none starts one after the phase's planned end (`ticks` x `period`): a slow consumer cuts the
phase short instead of stretching it. Pushes in flight at the end are waited for, each within
the delivery timeout, so a phase lasts at most its plan plus one timeout (the grace).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from simulator.contract.probe import Probe
from simulator.core.outcome import Outcome
from simulator.core.registration import IoPolicy
from simulator.shell.iolane import describe_outcome

IO_IN_FLIGHT = IoPolicy().max_in_flight
BEHIND = 0.95  # a phase that achieves less than this share of its rate fell behind


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile `q` (0-100) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(slots=True)
class Phase:
    """What one phase achieved."""

    subscriptions: int
    ticks: int
    period: float
    per_tick: int  # events a subscription pushes each period
    outcomes: list[Outcome] = field(default_factory=list)
    events: int = 0  # events acknowledged
    span: float = 0.0  # seconds from the first push to the last answer
    failure: str = ""  # the first failure, described

    @property
    def target(self) -> float:
        """The producer's rate in events per second."""
        return self.subscriptions * self.per_tick / self.period

    @property
    def rate(self) -> float:
        """Events acknowledged per second, over at least the phase's planned length."""
        return self.events / max(self.span, self.ticks * self.period)

    @property
    def p99(self) -> float:
        return percentile([o.latency for o in self.outcomes], 99) if self.outcomes else 0.0

    @property
    def kept_up(self) -> bool:
        return not self.failure and self.rate >= BEHIND * self.target

    def describe(self, limit: float) -> str:
        values = [o.latency for o in self.outcomes]
        p50 = percentile(values, 50) if values else 0.0
        subs = f"{self.subscriptions} subscription{'s' if self.subscriptions > 1 else ''}"
        requests = f"{len(self.outcomes)} request{'s' if len(self.outcomes) != 1 else ''}"
        return (
            f"{subs} x {self.ticks} pushes of {self.per_tick} events: {requests}, "
            f"{self.rate:.0f} of {self.target:.0f} events/s, latency p50 {p50:.3f}s, "
            f"p99 {self.p99:.3f}s of the {limit:g}s limit"
        )


async def play(probe: Probe, subscriptions: int, ticks: int) -> Phase:
    plan = probe.rate
    phase = Phase(subscriptions, ticks, plan.period, plan.events)
    start = probe.now()
    await asyncio.gather(*(_subscription(probe, phase, n, start) for n in range(subscriptions)))
    phase.span = probe.now() - start
    return phase


async def _subscription(probe: Probe, phase: Phase, number: int, start: float) -> None:
    end = start + phase.ticks * phase.period
    for tick in range(phase.ticks):
        delay = start + tick * phase.period - probe.now()
        if delay > 0:
            await asyncio.sleep(delay)
        if phase.failure or probe.now() > end:
            return
        at = probe.now() - start
        if probe.is_io:
            await _io_push(probe, phase, number, at)
        else:
            await _push(probe, phase, phase.per_tick, number, at)


async def _io_push(probe: Probe, phase: Phase, number: int, at: float) -> None:
    sizes = [probe.full_batch] * (phase.per_tick // probe.full_batch)
    if phase.per_tick % probe.full_batch:
        sizes.append(phase.per_tick % probe.full_batch)
    room = asyncio.Semaphore(IO_IN_FLIGHT)
    start = probe.now() - at
    end = start + phase.ticks * phase.period

    async def one(size: int) -> None:
        async with room:
            if not phase.failure and probe.now() <= end:
                await _push(probe, phase, size, number, at)

    await asyncio.gather(*(one(size) for size in sizes))


async def _push(probe: Probe, phase: Phase, size: int, number: int, at: float) -> None:
    outcome = await probe.send(probe.delivery(probe.stock.take(size)))
    phase.outcomes.append(outcome)
    if outcome.ok:
        phase.events += size
    elif not phase.failure:
        phase.failure = (
            f"subscription {number + 1}, push at +{at:.1f}s: {describe_outcome(outcome)} "
            f"after {outcome.latency:.3f}s"
        )
