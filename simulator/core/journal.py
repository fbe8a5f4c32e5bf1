"""The Adobe I/O Events journal of one registration (§4.6), held as spans like the retention queue.

Every event produced for a registration is recorded here, whatever happens to its webhook
delivery: the journal keeps recording while deliveries fail or the registration is disabled, and
forgets events only when they are older than the retention (7 days). A week at 250 events per
second is 150 million events, so the journal stores the same `Span`s the delivery queue gets (a
steady rate is one span) and makes `JournalEntry` values only for the page being read.

Reading follows the Journaling API:

* no parameters: from the oldest retained event;
* `since=<position>`: the events after that position (exclusive); 410 when events after it have
  expired, 400 when it is not a position of this journal;
* `latest=true`: no events, and the current end as the next position, to start tailing;
* `seek=-PT2H`: from the first event produced at or after `now - 2 h` (clamped to the oldest
  retained event); it cannot be combined with `since` (400);
* `limit=n`: exactly `n` events or what remains (at most `MAX_LIMIT`); the default page size is
  the journal's `page_limit`. The 1.5 MB response cap is the server's business: only it knows the
  serialised size.

At the end of the journal a read answers 204 with the position to poll next.

Positions look like Adobe's (`camel:<uuid>:<uuid>`) and are opaque to consumers, but they are
exact: the first UUID names the registration, the second is the sequence number XOR-ed into a
registration-specific mask, so `position(seq)` and parsing are inverse and a position of another
registration is refused.

Everything here is pure: no clock, no I/O. Every method that depends on time takes `now` in
simulated seconds.
"""

from __future__ import annotations

import math
import re
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from simulator.core.queue import Span, SpanQueue

__all__ = [
    "DEFAULT_RETENTION",
    "MAX_LIMIT",
    "Journal",
    "JournalEntry",
    "JournalPage",
    "parse_seek",
]

DEFAULT_RETENTION = 7 * 86_400.0
MAX_LIMIT = 1000  # a larger `limit` is served as this many events
_NAMESPACE = uuid.UUID("6f0c3b1e-8a57-4c1e-9d0b-2b8f3f6a9e41")  # positions of this simulator
_ANIMALS = ("camel", "moose", "rabbit", "penguin", "otter", "heron", "lynx", "bison")
_SEQ_BITS = 63
_SHOWN = 100  # characters of a rejected position quoted back in a 400 message


@dataclass(frozen=True, slots=True)
class JournalEntry:
    position: str
    seq: int
    at: float  # simulated seconds when the event was produced


@dataclass(frozen=True, slots=True)
class JournalPage:
    status: int  # 200, 204, 400 or 410
    entries: tuple[JournalEntry, ...]
    next_since: str | None  # the last entry's position, or the end for 204 (None: no end yet)
    message: str = ""  # body text for 400 and 410


class _Spans(SpanQueue):
    """A SpanQueue that can be searched by sequence number and by time."""

    __slots__ = ()

    @property
    def oldest_span(self) -> Span | None:
        return self._spans[0] if self._spans else None

    @property
    def newest_span(self) -> Span | None:
        return self._spans[-1] if self._spans else None

    def events_from(self, start: int | None, limit: int) -> Iterator[tuple[int, float]]:
        """Up to `limit` (seq, time) of the events from seq `start` on (all when None)."""
        spans = self._spans
        # The first span that holds `start` or anything after it: its end is past `start`.
        i = 0 if start is None else bisect_right(spans, start, key=_end)
        while limit > 0 and i < len(spans):
            span = spans[i]
            first = span.first if start is None else max(span.first, start)
            stop = min(span.end, first + limit)
            for seq in range(first, stop):
                yield seq, span.time_of(seq)
            limit -= stop - first
            i += 1

    def first_at_or_after(self, t: float) -> int | None:
        """The sequence number of the first event produced at or after `t`, if any."""
        spans = self._spans
        i = bisect_left(spans, t, key=_last_time)
        if i == len(spans):
            return None
        span = spans[i]
        return span.first + span.count_before(t)


def _end(span: Span) -> int:
    return span.end


def _last_time(span: Span) -> float:
    return span.last_time


class Journal:
    """The journal of one registration: record produced events, expire, read pages."""

    def __init__(
        self,
        *,
        registration_id: str,
        retention: float = DEFAULT_RETENTION,
        page_limit: int = 100,
    ) -> None:
        if not registration_id:
            raise ValueError("registration_id must not be empty")
        if not (retention > 0 and math.isfinite(retention)):
            raise ValueError(f"retention {retention!r}: expected a finite number > 0")
        if not 1 <= page_limit <= MAX_LIMIT:
            raise ValueError(f"page_limit {page_limit!r}: expected 1..{MAX_LIMIT}")
        self.registration_id = registration_id
        self.retention = retention
        self.page_limit = page_limit
        self._spans = _Spans()
        self._start: int | None = None  # the first sequence number ever recorded
        self._end: int | None = None  # one past the last sequence number ever recorded
        self._expired_through: int | None = None  # the newest sequence number expired so far
        self._reg_uuid = uuid.uuid5(_NAMESPACE, registration_id)
        self._mask = uuid.uuid5(self._reg_uuid, "positions").int

    # --- state -----------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Events retained."""
        return len(self._spans)

    @property
    def spans(self) -> tuple[Span, ...]:
        return self._spans.spans

    @property
    def first_seq(self) -> int | None:
        """The oldest retained event's sequence number."""
        head = self._spans.oldest_span
        return None if head is None else head.first

    @property
    def last_seq(self) -> int | None:
        """The newest retained event's sequence number."""
        tail = self._spans.newest_span
        return None if tail is None else tail.end - 1

    @property
    def end_position(self) -> str | None:
        """The position of the newest event ever recorded (retained or not): the journal's end."""
        return None if self._end is None else self.position(self._end - 1)

    # --- writing ---------------------------------------------------------------------------------

    def record(self, span: Span) -> None:
        """Journal produced events; spans come in production order, as the delivery queue gets
        them (a gap between spans is allowed, going back is not)."""
        if span.count <= 0:
            return
        if self._end is not None and span.first < self._end:
            raise ValueError(f"span starts at seq {span.first}, before the end {self._end}")
        if span.first < 0 or span.end > 1 << _SEQ_BITS:
            raise ValueError(f"span {span.first}..{span.end - 1}: out of the position range")
        if self._start is None:
            self._start = span.first
        self._end = span.end
        self._spans.append(span)

    def expire(self, now: float) -> int:
        """Drop the events older than the retention at `now`; return how many were dropped."""
        cutoff = now - self.retention
        dropped = 0
        while (head := self._spans.oldest_span) is not None:
            n = head.count_before(cutoff)
            if n == 0:
                break
            self._spans.take(n)
            self._expired_through = head.first + n - 1
            dropped += n
        return dropped

    # --- positions -------------------------------------------------------------------------------

    def position(self, seq: int) -> str:
        """The opaque position of event `seq`, e.g. `camel:<uuid>:<uuid>`."""
        if not 0 <= seq < 1 << _SEQ_BITS:
            raise ValueError(f"seq {seq}: out of the position range")
        animal = _ANIMALS[seq % len(_ANIMALS)]
        return f"{animal}:{self._reg_uuid}:{uuid.UUID(int=self._mask ^ seq)}"

    def parse_position(self, text: str) -> int:
        """The sequence number a position of this journal stands for; ValueError otherwise."""
        parts = text.split(":")
        if len(parts) != 3 or parts[1] != str(self._reg_uuid):
            raise ValueError(f"Invalid position {text[:_SHOWN]}.")
        animal, _, rest = parts
        try:
            value = uuid.UUID(rest)
        except ValueError:
            raise ValueError(f"Invalid position {text[:_SHOWN]}.") from None
        seq = value.int ^ self._mask
        if str(value) != rest or seq >= 1 << _SEQ_BITS or animal != _ANIMALS[seq % len(_ANIMALS)]:
            raise ValueError(f"Invalid position {text[:_SHOWN]}.")
        return seq

    # --- reading ---------------------------------------------------------------------------------

    def read(
        self,
        *,
        now: float,
        since: str | None = None,
        limit: int | None = None,
        latest: bool = False,
        seek: float | None = None,
    ) -> JournalPage:
        """One page of the journal as the Journaling API answers it. Expires first, so an event
        older than the retention is never served even if nobody called `expire`."""
        self.expire(now)
        problem = _conflict(since=since, limit=limit, latest=latest, seek=seek)
        if problem:
            return JournalPage(400, (), None, problem)
        size = min(self.page_limit if limit is None else limit, MAX_LIMIT)
        if latest:
            return self._page(None, 0)
        if seek is not None:
            start = self._spans.first_at_or_after(now + seek)
            return self._page(start, 0 if start is None else size)
        if since is None:
            return self._page(None, size)
        return self._read_since(since, size)

    def _read_since(self, since: str, size: int) -> JournalPage:
        try:
            seq = self.parse_position(since)
        except ValueError as exc:
            return JournalPage(400, (), None, str(exc))
        if self._start is None or self._end is None or not self._start <= seq < self._end:
            return JournalPage(400, (), None, f"Invalid position {since[:_SHOWN]}.")
        if self._expired_through is not None and seq < self._expired_through:
            return JournalPage(410, (), None, f"Events at position {since} have expired.")
        return self._page(seq + 1, size, at_end=self.position(seq))

    def _page(self, start: int | None, size: int, *, at_end: str | None = None) -> JournalPage:
        """Up to `size` events from seq `start` on (from the oldest when None); when there are
        none, 204 with `at_end` (default: the journal's end) as the position to poll next."""
        items = self._spans.events_from(start, size)
        entries = tuple(JournalEntry(self.position(seq), seq, at) for seq, at in items)
        if entries:
            return JournalPage(200, entries, entries[-1].position)
        return JournalPage(204, (), at_end if at_end is not None else self.end_position)


def _conflict(*, since: str | None, limit: int | None, latest: bool, seek: float | None) -> str:
    """Why a combination of read parameters is refused (400), or "" when it is fine."""
    if limit is not None and limit < 1:
        return "limit must be a positive integer."
    if seek is not None and not (seek <= 0 and math.isfinite(seek)):
        return "seek must be a negative ISO-8601 duration."
    if seek is not None and since is not None:
        return "seek and since cannot be used together."
    if latest and (since is not None or seek is not None):
        return "latest cannot be combined with since or seek."
    return ""


# Days and clock units only, as java.time.Duration reads them: years and months have no fixed
# length, and a journal keeps 7 days anyway. A comma is ISO-8601's other decimal sign.
_SEEK = re.compile(
    r"-P(?:(?P<d>\d{1,9})D)?"
    r"(?:T(?=\d)(?:(?P<h>\d{1,9})H)?(?:(?P<m>\d{1,9})M)?(?:(?P<s>\d{1,9}(?:[.,]\d{1,9})?)S)?)?",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"d": 86_400.0, "h": 3_600.0, "m": 60.0, "s": 1.0}


def parse_seek(text: str) -> float:
    """Seconds (<= 0) of a negative ISO-8601 duration: `-PT2H` -> -7200.0, `-P1DT30M` ->
    -88200.0. Raises ValueError on anything else (no sign, positive, years, months, weeks)."""
    match = _SEEK.fullmatch(text)
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"seek {text[:_SHOWN]!r}: expected a negative ISO-8601 duration")
    seconds = sum(
        float(value.replace(",", ".")) * _UNIT_SECONDS[unit]
        for unit, value in match.groupdict().items()
        if value is not None
    )
    return -seconds if seconds else 0.0
