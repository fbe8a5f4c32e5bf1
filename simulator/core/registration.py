"""An Adobe I/O Events webhook registration: pure, like `delivery.Subscription` (§4.5 of the notes).

Rules (each number an `IoPolicy` field):

* The registration is PENDING until the consumer passes the challenge (`verified`); a failed
  challenge disables it before anything is delivered (`challenge_failed`).
* Every `flush_interval`, queued events leave in deliveries of up to `max_events` (one event each
  for single delivery), at most `max_in_flight` at a time. There is no head-of-line blocking:
  each delivery has its own retry lifecycle, so events can arrive out of order. A flush sends
  what was produced by its instant (or, when it waited for room, by the moment room came), not
  by the host's later poll; the retries due by then go before it.
* 2xx succeeds. 429 and 5xx other than 505, timeouts and connection errors are retried after
  1, 2, 4, 8 and then every 15 minutes, for up to 24 hours after the first failure; then the
  events are dropped (counted). Any other status (4xx, 505, a 3xx) drops the events at once.
* States, by the rules of 2026-06: ACTIVE while in the last 24 hours there were fewer than 10
  attempts or at least 20 % succeeded. When that fails while ACTIVE, the registration turns
  UNSTABLE and is looked at again 24 hours later: DISABLED if it still fails, else ACTIVE.
* DISABLED: new events are not delivered (they are dropped from the webhook, counted, and stay in
  the journal); retries scheduled before keep running inside their 24-hour windows. Only an
  explicit `enable` re-enables it, after a new challenge; expired retries are not recreated.

Every state change goes through `REGISTRATION_TRANSITIONS`, like `delivery.TRANSITIONS`: a
trigger the current state does not allow raises `InvalidTransition`.

Retries are kept in *cohorts*: deliveries that failed together share one schedule and one span
queue, so a day-long outage holds a few thousand cohorts, not a million objects.
"""

from __future__ import annotations

import heapq
import math
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from simulator.core.delivery import DAY, Batch, Counters, Ledger, next_slot, sequential_ids
from simulator.core.outcome import Outcome, OutcomeKind
from simulator.core.queue import RetentionQueue, Span, SpanQueue
from simulator.core.traffic import Traffic
from simulator.errors import InvalidTransition

MINUTE = 60.0


class RegistrationState(StrEnum):
    PENDING = "pending"  # waiting for the challenge
    ACTIVE = "active"
    UNSTABLE = "unstable"
    DISABLED = "disabled"


class RegistrationTrigger(StrEnum):
    VERIFIED = "verified"  # the consumer answered the challenge
    CHALLENGE_FAILED = "challenge failed"  # ... refused it, or left the validation URL unopened
    FAILING = "failing"  # the state rule fails while active
    STILL_FAILING = "still failing"  # ... and still fails when the unstable hold is over
    RECOVERED = "recovered"  # ... or holds again by then
    ENABLED = "enabled"  # the manual re-enable


REGISTRATION_TRANSITIONS: dict[tuple[RegistrationState, RegistrationTrigger], RegistrationState] = {
    (RegistrationState.PENDING, RegistrationTrigger.VERIFIED): RegistrationState.ACTIVE,
    (RegistrationState.PENDING, RegistrationTrigger.CHALLENGE_FAILED): RegistrationState.DISABLED,
    (RegistrationState.ACTIVE, RegistrationTrigger.FAILING): RegistrationState.UNSTABLE,
    (RegistrationState.UNSTABLE, RegistrationTrigger.STILL_FAILING): RegistrationState.DISABLED,
    (RegistrationState.UNSTABLE, RegistrationTrigger.RECOVERED): RegistrationState.ACTIVE,
    (RegistrationState.DISABLED, RegistrationTrigger.ENABLED): RegistrationState.PENDING,
}


class DeliveryKind(StrEnum):
    PUSH = "push"
    RETRY = "retry"


class DropReason(StrEnum):
    REFUSED = "refused"  # a status that is not retried
    EXHAUSTED = "exhausted"  # 24 hours of retries
    DISABLED = "disabled"  # produced while the registration was disabled


@dataclass(frozen=True, slots=True, kw_only=True)
class IoPolicy:
    batch: bool = True
    max_events: int = 20
    max_in_flight: int = 10
    flush_interval: float = 1.0
    retry_delays: tuple[float, ...] = (1 * MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 15 * MINUTE)
    retry_window: float = DAY
    window: float = DAY  # the look-back of the state rules
    min_attempts: int = 10
    failure_ratio: float = 0.8
    unstable_hold: float = DAY
    challenge_timeout: float = 5 * MINUTE  # the async validation URL is valid this long
    duplicate_rate: float = 0.0  # anomaly: this share of acknowledged deliveries is sent again
    duplicate_delay: float = 1 * MINUTE  # ... this long after it was acknowledged

    @property
    def events_per_delivery(self) -> int:
        return self.max_events if self.batch else 1

    def retry_delay(self, retry: int) -> float:
        """Wait before retry number `retry` (1, 2, ...): the last delay repeats."""
        return self.retry_delays[min(retry, len(self.retry_delays)) - 1]


def retryable(outcome: Outcome) -> bool:
    """429 and 5xx but 505 are retried, and so is no answer at all (I/O's internal 6xx)."""
    if outcome.kind is OutcomeKind.HTTP_ERROR and outcome.status is not None:
        return outcome.status == 429 or (500 <= outcome.status <= 599 and outcome.status != 505)
    return outcome.kind is not OutcomeKind.SUCCESS


@dataclass(frozen=True, slots=True)
class IoDelivery:
    """One request to make now: a batch (or a single event) and its retry number."""

    batch: Batch
    retry: int  # 0 for the first attempt; the x-adobe-retry-count header otherwise
    at: float
    first_failed: float | None  # when this delivery first failed, for the 24-hour window
    duplicate: bool = False  # an anomaly: events already acknowledged, sent again on purpose

    @property
    def kind(self) -> DeliveryKind:
        return DeliveryKind.RETRY if self.retry else DeliveryKind.PUSH

    @property
    def attempt(self) -> int:
        return self.retry + 1


@dataclass(frozen=True, slots=True)
class RegistrationTransition:
    """A state change of the registration, and why (`reason` is for people)."""

    old: RegistrationState
    new: RegistrationState
    trigger: RegistrationTrigger
    at: float
    reason: str


@dataclass(slots=True)
class _Cohort:
    due: float
    retry: int
    first_failed: float
    duplicate: bool
    events: SpanQueue


_Key = tuple[float, int, float, bool]  # (due, retry, first failed, duplicate): one schedule


class AttemptWindow:
    """Attempts and failures in the last `span` seconds, in one-minute buckets (bounded memory)."""

    __slots__ = ("_buckets", "_span")

    def __init__(self, span: float) -> None:
        self._span = span
        self._buckets: deque[list[float]] = deque()  # [minute start, attempts, failures]

    def add(self, now: float, *, failed: bool) -> None:
        minute = math.floor(now / MINUTE) * MINUTE
        if not self._buckets or self._buckets[-1][0] != minute:
            self._buckets.append([minute, 0, 0])
        self._buckets[-1][1] += 1
        self._buckets[-1][2] += failed

    def counts(self, now: float) -> tuple[int, int]:
        """(attempts, failures) of the last `span` seconds before `now`; a minute begun after
        `now` (attempts made since, when the rules are applied at an instant already past) is
        left out."""
        while self._buckets and self._buckets[0][0] + MINUTE <= now - self._span:
            self._buckets.popleft()
        attempts = sum(b[1] for b in self._buckets)
        failures = sum(b[2] for b in self._buckets)
        for b in reversed(self._buckets):  # newest first: almost always none is after `now`
            if b[0] <= now:
                break
            attempts, failures = attempts - b[1], failures - b[2]
        return int(attempts), int(failures)


@dataclass(slots=True)
class Registration:
    """The machine: a queue of new events, retry cohorts, a state, and the attempt window."""

    name: str
    policy: IoPolicy = field(default_factory=IoPolicy)
    traffic: Traffic = field(default_factory=Traffic)
    new_batch_id: Callable[[], str] = field(default_factory=sequential_ids)
    on_produced: Callable[[Span], None] | None = None  # the journal records every event
    state: RegistrationState = RegistrationState.PENDING
    queue: RetentionQueue = field(default_factory=RetentionQueue)
    counters: Counters = field(default_factory=Counters)
    dropped_by: dict[DropReason, int] = field(default_factory=lambda: dict.fromkeys(DropReason, 0))
    window: AttemptWindow = field(init=False)
    _cohorts: dict[_Key, _Cohort] = field(default_factory=dict)
    _due: list[_Key] = field(default_factory=list)  # heap of cohort keys
    _in_flight: dict[int, IoDelivery] = field(default_factory=dict)
    _next_flush: float = 0.0
    _open: bool = False  # the flush at `_next_flush` ran out of room with events by it queued
    _room_at: float | None = None  # ... and a delivery ended then, making room (None: not yet)
    _unstable_since: float | None = None
    _challenge_deadline: float | None = None
    _changes: list[RegistrationTransition] = field(default_factory=list)
    _decided: float = 0.0  # the latest instant the machine decided something at

    def __post_init__(self) -> None:
        self.window = AttemptWindow(self.policy.window)

    @property
    def decided_at(self) -> float:
        """The latest instant the machine decided something at (a delivery started, an answer
        recorded, a state changed, a step applied), like `Subscription.decided_at`: a step
        applied late, as of its own time, is applied as of this instant at the earliest."""
        return self._decided

    # -- time passes -------------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Produce up to `now` (into the queue and the journal) and apply the state rules."""
        flushing = self.state in (RegistrationState.ACTIVE, RegistrationState.UNSTABLE)
        due = self._flush_due(now) if flushing else None
        for span in self.queue.fill(self.traffic, now, due=due):
            if self.on_produced is not None:
                self.on_produced(span)
        self._review(now)
        if self.state is RegistrationState.DISABLED:
            self._drop(self.queue.clear(), DropReason.DISABLED)

    def inject(self, count: int, now: float) -> None:
        """`count` events produced at `now` outside the planned traffic (a test's burst)."""
        self.advance(now)
        if count > 0:
            self._decided = max(self._decided, now)
            span = self.queue.produce(count, origin=now, k0=0, spacing=0.0)
            if self.on_produced is not None:
                self.on_produced(span)  # the journal keeps every event
            # Idle (no flush planned, or one for a later event of the traffic): these come first.
            soonest = next_slot(self.policy.flush_interval, now, now)
            self._next_flush = min(self._next_flush, soonest)

    def change_rate(self, rate: float, now: float) -> None:
        """From `now` on the traffic produces `rate` events per second (a step applied while the
        run goes); with nothing queued, the next flush is planned from the new rate, as it would
        have been with the change known in advance."""
        self.advance(now)
        self._decided = max(self._decided, now)
        traffic = self.traffic
        self.traffic = Traffic(traffic.rate, traffic.bursts, (*traffic.changes, (now, rate)))
        if not self.queue:
            self._next_flush = self._next_flush_with_events(now)

    def take_changes(self) -> list[RegistrationTransition]:
        """State changes since the last call, oldest first (time passing causes some)."""
        changes, self._changes = self._changes, []
        return changes

    def wakeup(self) -> float | None:
        """When `poll` has something to do next."""
        times = [self._due[0][0]] if self._due else []
        if self._unstable_since is not None:
            times.append(self._unstable_since + self.policy.unstable_hold)
        if self._challenge_deadline is not None:
            times.append(self._challenge_deadline)
        if self.state in (RegistrationState.ACTIVE, RegistrationState.UNSTABLE):
            times.append(self._flush_time())
        soonest = min(times, default=math.inf)
        return None if soonest == math.inf else soonest

    # -- the challenge ---------------------------------------------------------------------------

    def verified(self, now: float) -> RegistrationTransition:
        change = self._move(RegistrationTrigger.VERIFIED, now, "challenge answered")
        self._challenge_deadline = None
        # What waited for the challenge leaves at once, cut at this instant, not at a later poll.
        self._next_flush = max(self._next_flush, now)
        self._open, self._room_at = False, None
        return change

    def awaiting_validation(self, now: float) -> None:
        """The consumer took the validation URL: it has `challenge_timeout` to open it."""
        self._challenge_deadline = now + self.policy.challenge_timeout

    def challenge_failed(self, now: float, reason: str) -> RegistrationTransition:
        change = self._move(
            RegistrationTrigger.CHALLENGE_FAILED, now, f"challenge failed: {reason}"
        )
        self._challenge_deadline = None
        return change

    def enable(self, now: float) -> RegistrationTransition:
        """The manual re-enable at `now` (`decided_at` at the earliest, the change says when): a
        new challenge is needed before delivery resumes. The attempt history starts afresh
        (undocumented; otherwise the old failures would make it unstable again at once), but
        scheduled retries keep their lifecycle, as documented.

        What was produced while disabled, up to `now`, is dropped first, whoever looked at the
        machine meanwhile (else a run with a status drawn would differ from one without). A
        reader that advanced it past `now` before a step applied late (as of its time) has
        dropped the events after `now` already: they stay dropped, for the journal recorded
        them and the webhook will not see them; a window of the host's lateness."""
        now = max(now, self._decided)
        if self.state is RegistrationState.DISABLED:
            self.advance(now)
        change = self._move(RegistrationTrigger.ENABLED, now, "re-enabled by hand")
        self._unstable_since = None
        self.window = AttemptWindow(self.policy.window)
        return change

    # -- the engine asks what to send, then tells what happened ----------------------------------

    def poll(self, now: float) -> list[IoDelivery]:
        """The deliveries to start at `now`: due retries first, then new events."""
        self.advance(now)
        room = self.policy.max_in_flight - len(self._in_flight)
        out: list[IoDelivery] = []
        # Each flush holds what was produced by its due time, not by the poll: a host that polls
        # late sends what the virtual clock sends, flush by flush. Retries due by a flush go
        # before it, as they would have at its instant. Bounded: a round either sends, or
        # moves on to the flush that holds the oldest queued event, or stops.
        while (
            self.state in (RegistrationState.ACTIVE, RegistrationState.UNSTABLE)
            and now >= self._flush_time()
        ):
            due = min(self._flush_due(now), now)
            out += self._retries(due, now, room - len(out))
            out += self._flush(due, now, room - len(out))
            if self._open:
                break
        out += self._retries(now, now, room - len(out))
        self.counters.attempts += len(out)
        return out

    def _flush(self, due: float, now: float, room: int) -> list[IoDelivery]:
        """Deliveries of the events produced by `due`, as many as `room` allows; the rest wait
        for room (`_open`), else the next flush is planned."""
        out: list[IoDelivery] = []
        waiting = self.queue.waiting_by(due)
        while room > len(out) and waiting > 0:
            spans = self.queue.take(min(self.policy.events_per_delivery, waiting))
            waiting -= sum(span.count for span in spans)
            out.append(self._start(spans, 0, now, None))
        self._open, self._room_at = waiting > 0, None
        if not self._open:
            self._next_flush = self._next_flush_with_events(due)
        return out

    def _retries(self, by: float, now: float, room: int) -> list[IoDelivery]:
        """Deliveries from the cohorts due by `by`, as many as `room` allows."""
        out: list[IoDelivery] = []
        while room > len(out) and self._due and self._due[0][0] <= by:
            out += self._from_cohort(now, room - len(out))
        return out

    def record(
        self, delivery: IoDelivery, outcome: Outcome, now: float
    ) -> list[RegistrationTransition]:
        if self._in_flight.pop(id(delivery), None) is None:
            raise InvalidTransition(f"{self.name}: can't record a delivery that is not in flight")
        self._decided = max(self._decided, now)
        self.window.add(now, failed=not outcome.ok)
        if self._open:  # the flush waiting for room goes on, cut at this instant
            self._room_at = now
        if outcome.ok and not delivery.duplicate:  # a duplicate's events were counted before
            self._acknowledged(delivery, now)
        elif not outcome.ok:
            self.counters.failed_attempts += 1
            self._failed(delivery, outcome, now)
        self._review(now)
        return self.take_changes()

    def abandon(self) -> None:
        """The run stopped with deliveries in flight: each goes back to a cohort due when it was
        sent, so a resumed run tries it again; meanwhile it counts as in flight."""
        for delivery in self._in_flight.values():
            key = (
                delivery.at,
                delivery.retry,
                delivery.first_failed or delivery.at,
                delivery.duplicate,
            )
            self._schedule(key, delivery.batch.spans)
        self._in_flight.clear()
        self._room_at = None  # a flush waiting for room goes on when the run resumes

    # -- bookkeeping ---------------------------------------------------------------------------

    def ledger(self) -> Ledger:
        c = self.counters
        retrying = sum(len(c.events) for c in self._cohorts.values() if not c.duplicate)
        return Ledger(
            produced=self.queue.next_seq,
            acknowledged=c.acknowledged,
            expired=c.expired,
            discarded=c.discarded,
            dropped=c.dropped,
            queued=len(self.queue),
            in_flight=retrying
            + sum(d.batch.count for d in self._in_flight.values() if not d.duplicate),
        )

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def oldest_event_time(self) -> float | None:
        times = [c.events.oldest_time for c in self._cohorts.values()]
        times += [d.batch.spans[0].first_time for d in self._in_flight.values()]
        times.append(self.queue.oldest_time)
        return min((t for t in times if t is not None), default=None)

    # -- the rules -----------------------------------------------------------------------------

    def _flush_time(self) -> float:
        return self._next_flush

    def _flush_due(self, now: float) -> float:
        """When the flush being made is due: its slot; once it waits for room (`_open`), the
        moment a delivery ended and made room, or `now` when a stopped run resumed."""
        if not self._open:
            return self._next_flush
        return now if self._room_at is None else max(self._next_flush, self._room_at)

    def _next_flush_with_events(self, after: float) -> float:
        """The first flush after `after` at which an event is queued (idle costs no wake-ups).
        Events already queued were all produced after `after` (a late poll filled them in)."""
        if self.queue.oldest_time is not None:
            produced_at: float | None = self.queue.oldest_time
        else:
            since = self.queue.produced_until
            produced_at = self.traffic.next_event_after(after if since is None else since)
        if produced_at is None:
            return math.inf
        return next_slot(self.policy.flush_interval, after, max(after, produced_at))

    def _start(
        self,
        spans: Iterable[Span],
        retry: int,
        now: float,
        first_failed: float | None,
        duplicate: bool = False,
    ) -> IoDelivery:
        batch = Batch(self.new_batch_id(), tuple(spans), now)
        delivery = IoDelivery(batch, retry, now, first_failed, duplicate)
        self._decided = max(self._decided, now)
        self._in_flight[id(delivery)] = delivery
        return delivery

    def _from_cohort(self, now: float, room: int) -> list[IoDelivery]:
        key = self._due[0]
        cohort = self._cohorts[key]
        out: list[IoDelivery] = []
        while room > len(out) and cohort.events:
            spans = cohort.events.take(self.policy.events_per_delivery)
            first_failed = None if cohort.duplicate else cohort.first_failed
            out.append(self._start(spans, cohort.retry, now, first_failed, cohort.duplicate))
        if not cohort.events:
            heapq.heappop(self._due)
            del self._cohorts[key]
        return out

    def _acknowledged(self, delivery: IoDelivery, now: float) -> None:
        self.counters.acknowledged_batches += 1
        self.counters.acknowledged += delivery.batch.count
        if _chance(self.name, delivery.batch.message_id) < self.policy.duplicate_rate:
            due = now + self.policy.duplicate_delay
            self._schedule((due, 0, now, True), delivery.batch.spans)

    def _failed(self, delivery: IoDelivery, outcome: Outcome, now: float) -> None:
        if delivery.duplicate:
            return  # a duplicate that fails is not retried: its events were delivered already
        if not retryable(outcome):
            self._drop(delivery.batch.count, DropReason.REFUSED)
            return
        first_failed = now if delivery.first_failed is None else delivery.first_failed
        retry = delivery.retry + 1
        due = now + self.policy.retry_delay(retry)
        if due > first_failed + self.policy.retry_window:
            self._drop(delivery.batch.count, DropReason.EXHAUSTED)
            return
        self._schedule((due, retry, first_failed, False), delivery.batch.spans)

    def _schedule(self, key: _Key, spans: Iterable[Span]) -> None:
        """Add events to the cohort that shares their schedule."""
        cohort = self._cohorts.get(key)
        if cohort is None:
            cohort = self._cohorts[key] = _Cohort(*key, events=SpanQueue())
            heapq.heappush(self._due, key)
        for span in spans:
            cohort.events.append(span)

    def _drop(self, count: int, reason: DropReason) -> None:
        self.counters.dropped += count
        self.dropped_by[reason] += count

    def _review(self, now: float) -> None:
        """Apply the state rules at `now`. A rule due at a known instant (the challenge's
        deadline, the end of the unstable hold) is applied at that instant, however late the
        host looks: the hold's verdict reads the attempts as they stood then."""
        if self._challenge_deadline is not None and now >= self._challenge_deadline:
            self.challenge_failed(
                self._challenge_deadline, "the validation URL was not opened in time"
            )
        if self.state is RegistrationState.ACTIVE and self._failing(now):
            self._unstable_since = now
            self._move(RegistrationTrigger.FAILING, now, self._why(now))
        elif self.state is RegistrationState.UNSTABLE:
            assert self._unstable_since is not None
            end = self._unstable_since + self.policy.unstable_hold
            if now >= end:
                self._unstable_since = None
                trigger = (
                    RegistrationTrigger.STILL_FAILING
                    if self._failing(end)
                    else RegistrationTrigger.RECOVERED
                )
                self._move(trigger, end, self._why(end))

    def _failing(self, now: float) -> bool:
        attempts, failures = self.window.counts(now)
        return (
            attempts >= self.policy.min_attempts
            and failures >= self.policy.failure_ratio * attempts
        )

    def _why(self, now: float) -> str:
        attempts, failures = self.window.counts(now)
        hours = self.policy.window / 3600
        return f"{failures} of {attempts} attempts failed in the last {hours:g} h"

    def _move(
        self, trigger: RegistrationTrigger, now: float, reason: str
    ) -> RegistrationTransition:
        new = REGISTRATION_TRANSITIONS.get((self.state, trigger))
        if new is None:
            raise InvalidTransition(f"{self.name}: can't handle {trigger} when state={self.state}")
        change = RegistrationTransition(self.state, new, trigger, now, reason)
        self._decided = max(self._decided, now)
        self.state = new
        self._changes.append(change)
        return change


def _chance(name: str, batch_id: str) -> float:
    """A stable draw in [0, 1) for one delivery: anomalies repeat exactly from run to run."""
    return zlib.crc32(f"{name}/{batch_id}".encode()) / 2**32
