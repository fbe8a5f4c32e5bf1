"""The retention queue: events waiting for delivery, held as ranges of sequence numbers.

A week-long outage at 250 events per second queues about 150 million events. Holding them as
objects would take tens of gigabytes, so the queue holds *spans*: runs of consecutive sequence
numbers whose times lie on one arithmetic line. Events are materialised from the seed only when a
batch is sent (see `events.ActivityStream`). A steady rate merges into a single span, so backlog
memory stays constant however long the outage lasts.

Everything here is pure: no clock, no I/O. Callers pass times in simulated seconds.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.core.traffic import Traffic


@dataclass(frozen=True, slots=True)
class Span:
    """Events `first .. first+count-1`; event `first+i` happened at `origin + (k0 + i) * spacing`.

    `origin`, `k0` and `spacing` describe the production line the events came from, so that two
    spans cut from the same line can be recognised and merged exactly, without float drift.
    """

    first: int
    count: int
    origin: float
    k0: int
    spacing: float

    @property
    def end(self) -> int:
        """One past the last sequence number."""
        return self.first + self.count

    def time_of(self, seq: int) -> float:
        return self.origin + (self.k0 + seq - self.first) * self.spacing

    @property
    def first_time(self) -> float:
        return self.time_of(self.first)

    @property
    def last_time(self) -> float:
        return self.time_of(self.end - 1)

    def head(self, n: int) -> Span:
        return replace(self, count=n)

    def tail(self, n: int) -> Span:
        """The span without its first `n` events."""
        return replace(self, first=self.first + n, count=self.count - n, k0=self.k0 + n)

    def continues(self, other: Span) -> bool:
        """True when `other` starts exactly where this span ends, on the same line."""
        return (
            other.first == self.end
            and other.origin == self.origin
            and other.spacing == self.spacing
            and other.k0 == self.k0 + self.count
        )

    def count_before(self, cutoff: float) -> int:
        """How many leading events happened strictly before `cutoff`."""
        if self.spacing == 0:
            return self.count if self.origin < cutoff else 0
        # Solve for the index, then correct by one either way: the float estimate can be off.
        n = math.ceil((cutoff - self.origin) / self.spacing) - self.k0
        n = min(max(n, 0), self.count)
        while n < self.count and self.time_of(self.first + n) < cutoff:
            n += 1
        while n > 0 and self.time_of(self.first + n - 1) >= cutoff:
            n -= 1
        return n

    def items(self) -> Iterator[tuple[int, float]]:
        """(sequence number, time) of every event, oldest first."""
        for i in range(self.count):
            yield self.first + i, self.origin + (self.k0 + i) * self.spacing


class SpanQueue:
    """A FIFO of events stored as spans; the building block of the queue and of batches."""

    __slots__ = ("_count", "_spans")

    def __init__(self, spans: Iterable[Span] = ()) -> None:
        self._spans: deque[Span] = deque()
        self._count = 0
        for span in spans:
            self.append(span)

    def __len__(self) -> int:
        return self._count

    @property
    def spans(self) -> tuple[Span, ...]:
        return tuple(self._spans)

    @property
    def oldest_time(self) -> float | None:
        return self._spans[0].first_time if self._spans else None

    @property
    def first_seq(self) -> int | None:
        return self._spans[0].first if self._spans else None

    def append(self, span: Span) -> None:
        if span.count <= 0:
            return
        self._count += span.count
        if self._spans and self._spans[-1].continues(span):
            last = self._spans.pop()
            span = replace(last, count=last.count + span.count)
        self._spans.append(span)

    def take(self, n: int) -> tuple[Span, ...]:
        """Remove and return up to `n` of the oldest events."""
        taken: list[Span] = []
        while n > 0 and self._spans:
            span = self._spans.popleft()
            if span.count > n:
                self._spans.appendleft(span.tail(n))
                span = span.head(n)
            taken.append(span)
            n -= span.count
            self._count -= span.count
        return tuple(taken)

    def expire(self, cutoff: float) -> int:
        """Drop every event that happened before `cutoff`; return how many were dropped."""
        dropped = 0
        while self._spans:
            span = self._spans[0]
            n = span.count_before(cutoff)
            if n == 0:
                break
            self._spans.popleft()
            if n < span.count:
                self._spans.appendleft(span.tail(n))
            dropped += n
        self._count -= dropped
        return dropped

    def clear(self) -> int:
        """Drop everything; return how many events were dropped."""
        dropped = self._count
        self._spans.clear()
        self._count = 0
        return dropped

    def items(self) -> Iterator[tuple[int, float]]:
        for span in self._spans:
            yield from span.items()


class RetentionQueue(SpanQueue):
    """The per-subscription queue: assigns sequence numbers to produced events, oldest first."""

    __slots__ = ("next_seq", "produced_until")

    def __init__(self) -> None:
        super().__init__()
        self.next_seq = 0
        self.produced_until: float | None = None  # traffic up to here is in the queue

    def fill(self, traffic: Traffic, now: float) -> list[Span]:
        """Queue what `traffic` produced since the last fill, up to `now`; returns the new spans."""
        if self.produced_until is not None and now <= self.produced_until:
            return []
        lines = traffic.between(self.produced_until, now)
        self.produced_until = now
        return [self.produce(p.count, origin=p.origin, k0=p.k0, spacing=p.spacing) for p in lines]

    def produce(self, count: int, *, origin: float, k0: int, spacing: float) -> Span:
        """Queue `count` new events lying on the line `origin + k * spacing`, from `k = k0`."""
        span = Span(self.next_seq, count, origin, k0, spacing)
        self.next_seq += count
        self.append(span)
        return span
