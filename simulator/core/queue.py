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

from simulator.core.traffic import produced_by

if TYPE_CHECKING:
    from simulator.core.traffic import Traffic

# Two times this close are one instant: float sums such as `now + retry_interval` can land a few
# ulps past the instant the loop's clock reads (looptime keeps whole microseconds), and asyncio
# itself runs a timer this early (its clock resolution); a push due then must count as due, or a
# lane woken for it would find it not yet due and sleep again, forever, on the virtual clock.
SAME_INSTANT = 1e-9


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

    def count_until(self, t: float) -> int:
        """How many leading events were produced by `t`, an event at `t` included, by the
        traffic's own arithmetic (`produced_by`: event k of a line counts once t * rate reaches
        k, give or take its epsilon), so a cut at a slot agrees with a fill up to it."""
        if self.spacing == 0:
            return self.count if self.origin <= t else 0
        produced = produced_by(self.origin, 1.0 / self.spacing, t)  # events k = 1 .. produced
        return min(max(produced - self.k0 + 1, 0), self.count)

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

    def count_until(self, t: float) -> int:
        """How many of the oldest events happened at `t` or before (per span, not per event:
        the spans lie in time order, so the first span cut short ends the count)."""
        counted = 0
        for span in self._spans:
            n = span.count_until(t)
            counted += n
            if n < span.count:
                break
        return counted

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

    def drop_newest(self, n: int) -> None:
        """Drop the newest `n` events."""
        while n > 0 and self._spans:
            span = self._spans.pop()
            if span.count > n:
                self._spans.append(span.head(span.count - n))
            dropped = min(n, span.count)
            self._count -= dropped
            n -= dropped

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
    """The per-subscription queue: assigns sequence numbers to produced events, oldest first.

    Its events are always one run of sequence numbers (`first_seq` .. `next_seq - 1`): events
    join at the end and leave from the head (taken, expired) or all at once (cleared).
    """

    __slots__ = ("_mark", "next_seq", "produced_until")

    def __init__(self) -> None:
        super().__init__()
        self.next_seq = 0
        self.produced_until: float | None = None  # traffic up to here is in the queue
        self._mark: tuple[float, int] | None = None  # (due, next_seq once filled up to due)

    def fill(self, traffic: Traffic, now: float, *, due: float | None = None) -> list[Span]:
        """Queue what `traffic` produced since the last fill, up to `now`; returns the new spans.

        `due` is when the machine's next push is due. A fill that passes it (a poll made late by
        the host, a status drawn before the push was polled) stops there first and remembers
        where the queue stood, so that `waiting_by(due)` still answers with the traffic's own
        arithmetic: the push holds what was produced by its slot, whatever the host's lateness.
        """
        if (
            due is not None
            and (self.produced_until is None or self.produced_until <= due)
            and due + SAME_INSTANT < now
        ):
            spans = self._fill(traffic, due)
            self._mark = (due, self.next_seq)
            return spans + self._fill(traffic, now)
        return self._fill(traffic, now)

    def _fill(self, traffic: Traffic, now: float) -> list[Span]:
        if self.produced_until is not None and now <= self.produced_until:
            return []
        lines = traffic.between(self.produced_until, now)
        self.produced_until = now
        return [self.produce(p.count, origin=p.origin, k0=p.k0, spacing=p.spacing) for p in lines]

    def unproduce_after(self, t: float) -> int:
        """Production stops at `t` after all: what fills read in after `t` (a status drawn before
        a step applied late took effect as of its time) was never produced. Those events are
        the newest and still queued (a push that took one was polled after `t`, and a step is
        never applied before the machine's latest decision), so their sequence numbers are
        given back. Returns how many there were."""
        if self.produced_until is None or self.produced_until <= t:
            return 0
        later = len(self) - self.count_until(t)
        self.drop_newest(later)
        self.next_seq -= later
        self.produced_until = t
        if self._mark is not None and self._mark[0] > t:
            self._mark = None
        return later

    def waiting_by(self, due: float) -> int:
        """How many queued events had been produced by `due` (an event at `due` included)."""
        if self.produced_until is None or self.produced_until <= due + SAME_INSTANT:
            return len(self)  # the queue was never filled past `due`
        if self._mark is not None and self._mark[0] == due:
            first = self.first_seq
            return 0 if first is None else min(len(self), max(0, self._mark[1] - first))
        # No fill stopped at `due` (a slot that passed while the queue was being filled): by the
        # events' lines, the traffic's arithmetic on the rate as 1 / spacing gives it back.
        return self.count_until(due)

    def produce(self, count: int, *, origin: float, k0: int, spacing: float) -> Span:
        """Queue `count` new events lying on the line `origin + k * spacing`, from `k = k0`."""
        span = Span(self.next_seq, count, origin, k0, spacing)
        self.next_seq += count
        self.append(span)
        return span
