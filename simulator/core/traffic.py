"""How many events a subscription's Marketo instance produces, and when. Pure: no clock.

A steady `rate` puts event `k` (k = 1, 2, ...) at `k / rate` seconds, so at 250 events per second
exactly 500 events exist by t = 2 s. Bursts add `count` events at one instant, once or repeatedly.
`between(t0, t1)` answers with `Production` lines that the retention queue stores as spans.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# Tolerates the float error of `t * rate` so that 2.0 * 250 counts 500 events, not 499.
_EPSILON = 1e-9


def produced_by(start: float, rate: float, t: float) -> int:
    """Events of a steady line (from `start` at `rate`, event k at start + k / rate) produced by
    time t, an event at t included. The one formula: a batch cut at a slot (`Span.count_until`)
    agrees with a fill up to it."""
    if t <= start or rate <= 0:
        return 0
    return math.floor((t - start) * rate + _EPSILON)


@dataclass(frozen=True, slots=True, kw_only=True)
class Burst:
    """`count` events at `at`, or at `start`, `start + every`, ... when `every` is set."""

    count: int
    at: float | None = None
    every: float | None = None
    start: float = 0.0

    def instants(self, t0: float | None, t1: float) -> Iterator[float]:
        """Burst times in the window (t0, t1]; t0 None means from the beginning of time."""
        if self.every is None:
            at = self.start if self.at is None else self.at
            if (t0 is None or at > t0) and at <= t1:
                yield at
            return
        j = 0 if t0 is None else max(0, math.floor((t0 - self.start) / self.every))
        while (instant := self.start + j * self.every) <= t1:
            if t0 is None or instant > t0:
                yield instant
            j += 1

    def next_after(self, t: float) -> float | None:
        if self.every is None:
            at = self.start if self.at is None else self.at
            return at if at > t else None
        j = max(0, math.floor((t - self.start) / self.every))
        while (instant := self.start + j * self.every) <= t:
            j += 1
        return instant


@dataclass(frozen=True, slots=True)
class Production:
    """`count` events lying on the line `origin + k * spacing`, for k from `k0`."""

    count: int
    origin: float
    k0: int
    spacing: float


@dataclass(frozen=True, slots=True)
class Traffic:
    """A steady rate (events per second) that `changes` can reset at given times, plus bursts.

    From a change at time s to rate r, event k (k = 1, 2, ...) is at s + k / r.
    """

    rate: float = 0.0
    bursts: Sequence[Burst] = ()
    changes: Sequence[tuple[float, float]] = ()  # (from time, new rate), in time order

    def _segments(self) -> list[tuple[float, float, float]]:
        """(start, end, rate) pieces covering all time; the last one never ends."""
        starts = [(0.0, self.rate), *self.changes]
        ends = [t for t, _ in self.changes] + [math.inf]
        return [(s, e, r) for (s, r), e in zip(starts, ends, strict=True) if e > s]

    def _steady(self, t0: float | None, t1: float) -> list[Production]:
        out = []
        for start, end, rate in self._segments():
            lo = start if t0 is None else max(t0, start)
            hi = min(t1, end)
            if hi <= lo or rate <= 0:
                continue
            first, last = produced_by(start, rate, lo) + 1, produced_by(start, rate, hi)
            if last >= first:
                out.append(Production(last - first + 1, start, first, 1.0 / rate))
        return out

    def between(self, t0: float | None, t1: float) -> list[Production]:
        """Everything produced in (t0, t1], oldest first (t0 None: since the beginning)."""
        instants = sorted(
            (instant, burst.count) for burst in self.bursts for instant in burst.instants(t0, t1)
        )
        out: list[Production] = []
        cursor = t0
        for instant, count in instants:
            out += self._steady(cursor, instant)
            out.append(Production(count, instant, 0, 0.0))
            cursor = instant
        out += self._steady(cursor, t1)
        return out

    def next_event_after(self, t: float) -> float | None:
        """When the next event is produced after time t, or None if never."""
        candidates = [b for burst in self.bursts if (b := burst.next_after(t)) is not None]
        for start, end, rate in self._segments():
            if end <= t or rate <= 0:
                continue
            at = start + (produced_by(start, rate, max(t, start)) + 1) / rate
            if at <= end:
                candidates.append(at)
                break
        return min(candidates, default=None)
