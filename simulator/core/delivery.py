"""The delivery state machine of one subscription: pure, like h11's `Connection`.

Rules (the legacy Lead Activity Data Stream contract, each number a `Policy` field):

* ACTIVE: at every push slot one batch of up to `batch_size` queued events is pushed, oldest
  first. Slots lie at `slot_offset + k * push_interval` (k = 0, 1, ...): the offset, the slots'
  phase, is 0 for aligned slots (0, 2, 4, ... s, every subscription at the same instant) or a
  seeded share of the interval (`seeded_offset`), which spreads many subscriptions over it.
  With `backlog = catch-up` the next batch follows as soon as the previous one is acknowledged
  while a full batch is waiting; with `paced` it waits for the next slot.
* A batch holds the events produced by its push's due time (its slot, or the catch-up's moment),
  an event at that instant included: never those of the moments a host took to poll it late (a
  real clock under load, a high --speed) or that a status drawn meanwhile read in. So a real-clock
  run pushes the virtual clock's batches.
* With `max_drain_rate` set, a push of n events is followed by the next one no sooner than
  n / max_drain_rate seconds after it was due, so the catch-up after an outage (and any push)
  never exceeds that many events per second. This is a decision of the machine, not a limiter
  in the shell: it is exact on every clock, the virtual one included. (asyncio-throttle, which
  the project declares, would be such a limiter; it reads `time.monotonic()` itself, so under
  `--speed N` it would pace real seconds and on the virtual clock it could not follow at all.)
* A failed push (non-2xx, timeout, connection or TLS error) moves to RETRYING and the *same*
  batch (same messageId, same events) is retried `retries` times, `retry_interval` after each
  failure. A success at any point returns to ACTIVE.
* When the last retry fails the subscription is PAUSED: it re-tries the head batch every
  `probe_interval` and becomes ACTIVE on the first success. Nothing is skipped; order is kept.
* Events older than `retention` are expired (counted, never sent), from the queue and from a
  batch waiting to be retried alike; a retry keeps its messageId with the survivors.
* DEPROVISIONED stops the subscription and discards its queue (counted). A push in flight then
  is not called back: its answer counts its events acknowledged, or discarded.
* A step applied late (a run file's, on a real or scaled clock) is applied as of its time:
  `deprovision(at)` discards what was produced by `at`, and what a reader read in after `at`
  was never produced. Never before `decided_at`, the machine's latest decision (a push polled,
  a state changed), which nothing takes back: a step for an earlier time is applied as of then.

The machine never awaits and never reads a clock: `poll(now)` says what to send, `record(...)`
takes the outcome, and `wakeup()` says when to call `poll` again.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from simulator.core.ledger import LEDGER_FIELDS as LEDGER_FIELDS  # re-exported for callers
from simulator.core.ledger import Ledger as Ledger
from simulator.core.queue import SAME_INSTANT as SAME_INSTANT  # one instant, for the callers too
from simulator.core.queue import RetentionQueue, Span, SpanQueue
from simulator.core.traffic import Traffic
from simulator.errors import InvalidTransition

DAY = 86_400.0


class State(StrEnum):
    ACTIVE = "active"
    RETRYING = "retrying"
    PAUSED = "paused"
    DEPROVISIONED = "deprovisioned"


class Trigger(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    EXHAUSTED = "exhausted"  # a failure with no retries left
    DEPROVISION = "deprovision"
    REPROVISION = "reprovision"


TRANSITIONS: dict[tuple[State, Trigger], State] = {
    (State.ACTIVE, Trigger.ACKNOWLEDGED): State.ACTIVE,
    (State.ACTIVE, Trigger.FAILED): State.RETRYING,
    (State.ACTIVE, Trigger.EXHAUSTED): State.PAUSED,  # only when retries = 0
    (State.RETRYING, Trigger.ACKNOWLEDGED): State.ACTIVE,
    (State.RETRYING, Trigger.FAILED): State.RETRYING,
    (State.RETRYING, Trigger.EXHAUSTED): State.PAUSED,
    (State.PAUSED, Trigger.ACKNOWLEDGED): State.ACTIVE,
    (State.PAUSED, Trigger.FAILED): State.PAUSED,
    (State.ACTIVE, Trigger.DEPROVISION): State.DEPROVISIONED,
    (State.RETRYING, Trigger.DEPROVISION): State.DEPROVISIONED,
    (State.PAUSED, Trigger.DEPROVISION): State.DEPROVISIONED,
    (State.DEPROVISIONED, Trigger.REPROVISION): State.ACTIVE,
}


class Backlog(StrEnum):
    CATCH_UP = "catch-up"
    PACED = "paced"


class Phase(StrEnum):
    """Where in the push interval a subscription's slots lie (the real producer's is unknown)."""

    SEEDED = "seeded"  # a seeded offset per subscription (`seeded_offset`)
    ALIGNED = "aligned"  # at 0, interval, 2 * interval, ...: every subscription at once


class AttemptKind(StrEnum):
    PUSH = "push"  # first attempt of a batch
    RETRY = "retry"  # one of the `retries` attempts while RETRYING
    PROBE = "probe"  # an attempt while PAUSED


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """The delivery numbers of the legacy contract; every one can be overridden."""

    batch_size: int = 500
    push_interval: float = 2.0
    retries: int = 3
    retry_interval: float = 180.0
    probe_interval: float = 180.0
    retention: float = 7 * DAY
    backlog: Backlog = Backlog.CATCH_UP
    slot_offset: float = 0.0  # push slots at slot_offset + k * push_interval
    max_drain_rate: float | None = None  # events per second; None: no cap

    def __post_init__(self) -> None:
        if not 0 <= self.slot_offset < self.push_interval:
            raise ValueError(f"slot_offset must lie in [0, {self.push_interval:g}) s")
        if self.max_drain_rate is not None and not self.max_drain_rate > 0:
            raise ValueError("max_drain_rate must be above 0 events per second")

    def gap_after(self, count: int) -> float:
        """How long after a push of `count` events began the next may begin, at the cap."""
        return 0.0 if self.max_drain_rate is None else count / self.max_drain_rate


@dataclass(frozen=True, slots=True)
class Batch:
    """The events of one push, as spans of sequence numbers; materialised at send time."""

    message_id: str
    spans: tuple[Span, ...]
    created_at: float = 0.0  # when the batch was first formed: messageCreatedDate on every try

    @property
    def count(self) -> int:
        return sum(span.count for span in self.spans)

    def items(self) -> Iterator[tuple[int, float]]:
        for span in self.spans:
            yield from span.items()

    @property
    def oldest_time(self) -> float | None:
        return min((span.first_time for span in self.spans), default=None)

    @property
    def seq_range(self) -> tuple[int, int] | None:
        if not self.spans:
            return None
        return min(s.first for s in self.spans), max(s.end - 1 for s in self.spans)

    def without_expired(self, cutoff: float) -> tuple[Batch, int]:
        rest = SpanQueue(self.spans)
        expired = rest.expire(cutoff)
        return Batch(self.message_id, rest.spans, self.created_at), expired


@dataclass(frozen=True, slots=True)
class Push:
    """An attempt the engine should make now."""

    batch: Batch
    attempt: int  # 1 for the first try of this batch, then 2, 3, ...
    kind: AttemptKind
    at: float


@dataclass(frozen=True, slots=True)
class Transition:
    old: State
    new: State
    trigger: Trigger
    at: float


@dataclass(slots=True)
class Counters:
    attempts: int = 0
    acknowledged_batches: int = 0
    failed_attempts: int = 0
    acknowledged: int = 0
    expired: int = 0
    discarded: int = 0
    dropped: int = 0


# Slot arithmetic tolerates this much float error, in intervals: `offset + k * interval` may come
# back from the division a hair below k, which must still count as slot k.
_SLOT_EPSILON = 1e-9


def next_slot(interval: float, after: float, not_before: float, offset: float = 0.0) -> float:
    """The first slot `offset + k * interval` (k >= 0) strictly after `after` and not before
    `not_before`."""
    k = max(
        0,
        math.floor((after - offset) / interval + _SLOT_EPSILON) + 1,
        math.ceil((not_before - offset) / interval - _SLOT_EPSILON),
    )
    return offset + k * interval


def seeded_offset(seed: int, name: str, interval: float) -> float:
    """The phase of a subscription's push slots: a whole number of milliseconds in
    [0, interval), a pure function of the run's seed and the subscription's name, so that many
    subscriptions spread over the interval and the same run file gives the same times."""
    whole_ms = max(1, math.floor(interval * 1000))
    digest = hashlib.blake2b(f"{seed}/{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % whole_ms / 1000


def sequential_ids(prefix: str = "", start: int = 1) -> Callable[[], str]:
    counter = iter(range(start, 2**63))
    return lambda: f"{prefix}{next(counter)}"


@dataclass(slots=True)
class Subscription:
    """The machine: a retention queue, a state, and when to act next."""

    name: str
    policy: Policy = field(default_factory=Policy)
    traffic: Traffic = field(default_factory=Traffic)
    new_message_id: Callable[[], str] = field(default_factory=sequential_ids)
    state: State = State.ACTIVE
    next_attempt_at: float | None = field(init=False)  # the first slot, then as decided
    queue: RetentionQueue = field(default_factory=RetentionQueue)
    counters: Counters = field(default_factory=Counters)
    _held: Batch | None = None  # the batch being tried, kept across retries and probes
    _attempt: int = 0
    _failures: int = 0
    _outstanding: Push | None = None
    _due: float = 0.0  # when the last push polled was due: what it held and what follows it
    _resumed: bool = False  # a stopped run abandoned the push in flight: due again when polled
    _orphan: Push | None = None  # the push in flight when deprovisioned: its answer still counts
    _decided: float = 0.0  # the latest instant the machine decided something at

    def __post_init__(self) -> None:
        self.next_attempt_at = self.policy.slot_offset

    @property
    def decided_at(self) -> float:
        """The latest instant the machine decided something at (a push polled, a state changed
        by an answer or a step, a step applied): a step applied late, as of its own time, is
        applied as of this instant at the earliest, for what was decided then cannot be taken
        back."""
        return self._decided

    def _decide(self, now: float) -> float:
        """`now`, or `decided_at` if that is later: the instant a decision is made at."""
        self._decided = max(self._decided, now)
        return self._decided

    # -- time passes -------------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Queue what was produced up to `now` and expire what is past retention. Any reader
        may call it at any time (the live status, a sampler): it changes no decision."""
        if self.state is State.DEPROVISIONED:
            return
        due = self.next_attempt_at
        self.queue.fill(self.traffic, now, due=due)
        # Expired as of the next push's due time at the latest: an event that outlives its
        # retention between a slot and the host's late poll (or a status drawn then) is still
        # pushed, as on time. Later readers expire the rest at the next push's poll.
        cutoff = (now if due is None else min(now, due)) - self.policy.retention
        self.counters.expired += self.queue.expire(cutoff)
        if self._held is not None and self._outstanding is None:
            self._held, expired = self._held.without_expired(cutoff)
            self.counters.expired += expired
            if not self._held.spans:
                self._held = None

    def inject(self, count: int, now: float) -> None:
        """`count` events produced at `now` outside the planned traffic (a test's burst)."""
        self.advance(now)  # what the traffic produced up to now comes first, in sequence order
        if self.state is State.DEPROVISIONED:
            raise InvalidTransition(f"{self.name}: deprovisioned, Marketo produces nothing for it")
        if count > 0:
            self._decide(now)
            # Idle: the traffic had nothing more to send, or the next slot waits for a later
            # event of it; these events come first.
            idle = self.next_attempt_at is None or self._idle()
            self.queue.produce(count, origin=now, k0=0, spacing=0.0)
            if idle:
                soonest = self._next_slot(now, now)
                later = self.next_attempt_at if self.next_attempt_at is not None else soonest
                self.next_attempt_at = min(later, soonest)

    def change_rate(self, rate: float, now: float) -> None:
        """From `now` on the traffic produces `rate` events per second (a step applied while the
        run goes): what the old rate produced up to `now` stays, and an idle subscription plans
        its next slot from the new rate, as it would have with the change known in advance."""
        self.advance(now)
        self._decide(now)
        traffic = self.traffic
        self.traffic = Traffic(traffic.rate, traffic.bursts, (*traffic.changes, (now, rate)))
        if self._idle():
            self.next_attempt_at = self._next_slot_with_events(now, now)

    def _idle(self) -> bool:
        """Active with nothing queued, held or in flight: its next slot waits for the traffic."""
        idle = self._held is None and self._outstanding is None and not self.queue
        return self.state is State.ACTIVE and idle

    def wakeup(self) -> float | None:
        """When `poll` has something to do next; None when nothing is scheduled."""
        return None if self.state is State.DEPROVISIONED else self.next_attempt_at

    # -- the engine asks what to do, then tells what happened ----------------------------------

    def poll(self, now: float) -> Push | None:
        """The push to make at `now`, if one is due."""
        if self._outstanding is not None:
            raise InvalidTransition(
                f"{self.name}: can't poll while {self._outstanding.kind} is in flight"
            )
        if self._orphan is not None:  # one push at a time: the one from before a deprovision
            return None  # is answered first (then `wakeup` says when to look again)
        if self._resumed:  # the run resumed: the attempt it abandoned goes now
            self._resumed = False
            if self._held is not None:
                self.next_attempt_at = now
        self.advance(now)
        # The push's due time, never its poll's: a host that polls late (a real clock under load,
        # a high --speed) pushes what the virtual clock pushes, only later. A slot that passed
        # with nothing produced by it gives way to the next one with events, which may have
        # passed too: at most twice round, as that one holds an event.
        while self._held is None:
            due = self.next_attempt_at
            if due is None or now < due - SAME_INSTANT:
                return None
            self._start_batch(due, now)
            if self._held is None:
                self.next_attempt_at = self._next_slot_with_events(due, due)
                self.advance(now)  # retention as of that slot
        due = self.next_attempt_at
        if due is None or now < due - SAME_INSTANT:
            return None
        self._due = due
        self._attempt += 1
        kind = {State.ACTIVE: AttemptKind.PUSH, State.RETRYING: AttemptKind.RETRY}.get(
            self.state, AttemptKind.PROBE
        )
        self._outstanding = Push(self._held, self._attempt, kind, now)
        self._decide(now)
        self.counters.attempts += 1
        return self._outstanding

    def record(self, push: Push, *, ok: bool, now: float) -> Transition:
        """Take the outcome of `push`, known at `now`; returns the transition it caused."""
        if push is self._orphan:
            return self._orphan_answered(push, ok=ok, now=now)
        if push is not self._outstanding:
            raise InvalidTransition(f"{self.name}: can't record a push that is not in flight")
        self._outstanding = None
        transition = self._acknowledged(push, now) if ok else self._failed(now)
        # Only a change of state is a decision a later step cannot go back before: an answer
        # that keeps the state counts the same as it would for a push cut off by a deprovision.
        if transition.new is not transition.old:
            self._decide(now)
        return transition

    def abandon(self) -> None:
        """Forget the push in flight without an outcome (the run stopped); its batch stays held
        and is tried again as soon as the machine is polled."""
        if self._outstanding is not None:
            self.next_attempt_at = self._outstanding.at
            self._resumed = True
            self._attempt -= 1
            self.counters.attempts -= 1
            self._outstanding = None

    def deprovision(self, now: float) -> Transition:
        """Stop for good at `now` (`decided_at` at the earliest, the transition says when):
        queued and held events are discarded (counted), production stops, and what a reader
        read in after `now` was never produced. A push in flight is counted by its answer.
        (An event whose retention ran out between `now` and such a reader's time stays counted
        expired, not discarded: the reader expired it, and its span is gone.)"""
        self._allowed(Trigger.DEPROVISION)
        now = self._decide(now)
        self.advance(now)
        self.queue.unproduce_after(now)
        transition = self._move(Trigger.DEPROVISION, now)
        if self._outstanding is not None:  # (an earlier one's still counts when it is answered)
            self._orphan, self._outstanding = self._outstanding, None
        held = self._held.count if self._held is not None and self._orphan is None else 0
        self.counters.discarded += self.queue.clear() + held
        self._held = None
        self.next_attempt_at = None
        return transition

    def reprovision(self, now: float) -> Transition:
        """Start again, empty, at `now` (`decided_at` at the earliest, the transition says when):
        events produced while deprovisioned never existed for us."""
        self._allowed(Trigger.REPROVISION)
        now = self._decide(now)
        transition = self._move(Trigger.REPROVISION, now)
        self.queue.produced_until = now
        self._attempt = self._failures = 0
        self.next_attempt_at = self._next_slot(now, now)
        return transition

    # -- bookkeeping ---------------------------------------------------------------------------

    def ledger(self) -> Ledger:
        c = self.counters
        return Ledger(
            produced=self.queue.next_seq,
            acknowledged=c.acknowledged,
            expired=c.expired,
            discarded=c.discarded,
            dropped=c.dropped,
            queued=len(self.queue),
            in_flight=(self._held.count if self._held else 0)
            + (self._orphan.batch.count if self._orphan else 0),
        )

    @property
    def in_flight(self) -> Batch | None:
        return self._held

    def oldest_event_time(self) -> float | None:
        if self._held is not None and self._held.spans:
            return self._held.spans[0].first_time
        return self.queue.oldest_time

    # -- the rules -----------------------------------------------------------------------------

    def _start_batch(self, due: float, now: float) -> None:
        """A new batch: the oldest events produced by `due`, up to `batch_size`. Cut per batch
        (`waiting_by` counts spans), so an event costs nothing more."""
        spans = self.queue.take(min(self.policy.batch_size, self.queue.waiting_by(due)))
        if spans:
            self._held = Batch(self.new_message_id(), spans, now)
            self._attempt = 0

    def _orphan_answered(self, push: Push, *, ok: bool, now: float) -> Transition:
        """The answer to the push that was in flight when the subscription was deprovisioned:
        its events count as acknowledged, or as discarded; nothing else follows from it."""
        self._orphan = None
        if ok:
            self.counters.acknowledged_batches += 1
            self.counters.acknowledged += push.batch.count
        else:
            self.counters.failed_attempts += 1
            self.counters.discarded += push.batch.count
        trigger = Trigger.ACKNOWLEDGED if ok else Trigger.FAILED
        return Transition(self.state, self.state, trigger, now)

    def _acknowledged(self, push: Push, now: float) -> Transition:
        self.counters.acknowledged_batches += 1
        self.counters.acknowledged += push.batch.count
        self._held = None
        self._failures = 0
        transition = self._move(Trigger.ACKNOWLEDGED, now)
        # Counted from the push's due time, not from when the host got round to it: a late poll
        # must not push the next slot out (a cap of exactly one interval would skip every other).
        due = self._due
        # The drain cap: the next push begins no sooner than this (now, without a cap).
        not_before = max(now, due + self.policy.gap_after(push.batch.count))
        catch_up = self.policy.backlog is Backlog.CATCH_UP
        # "A full batch is waiting": produced by the push's due time, however far the queue
        # was filled since (a late poll, the live status, a sampler).
        if catch_up and self.queue.waiting_by(due) >= self.policy.batch_size:
            self.next_attempt_at = not_before
        elif not self.queue:
            self.next_attempt_at = self._next_slot_with_events(due, not_before)
        else:
            self.next_attempt_at = self._next_slot(due, not_before)
        return transition

    def _failed(self, now: float) -> Transition:
        self.counters.failed_attempts += 1
        self._failures += 1
        exhausted = self.state is not State.PAUSED and self._failures > self.policy.retries
        transition = self._move(Trigger.EXHAUSTED if exhausted else Trigger.FAILED, now)
        wait = (
            self.policy.probe_interval if self.state is State.PAUSED else self.policy.retry_interval
        )
        self.next_attempt_at = now + wait
        return transition

    def _allowed(self, trigger: Trigger) -> State:
        """The state `trigger` leads to from this one; InvalidTransition if none."""
        new = TRANSITIONS.get((self.state, trigger))
        if new is None:
            raise InvalidTransition(f"{self.name}: can't handle {trigger} when state={self.state}")
        return new

    def _move(self, trigger: Trigger, now: float) -> Transition:
        new = self._allowed(trigger)
        transition = Transition(self.state, new, trigger, now)
        self.state = new
        return transition

    def _next_slot(self, after: float, now: float) -> float:
        return next_slot(self.policy.push_interval, after, now, self.policy.slot_offset)

    def _next_slot_with_events(self, after: float, now: float) -> float | None:
        """The first slot after `after` at which the queue holds an event again; None when the
        traffic has ended, so an idle subscription costs no wake-ups. Events already queued
        were all produced after `after` (a late poll filled them in)."""
        if self.queue.oldest_time is not None:
            produced_at: float | None = self.queue.oldest_time
        else:
            produced_at = self.traffic.next_event_after(
                now if self.queue.produced_until is None else self.queue.produced_until
            )
        if produced_at is None:
            return None
        return self._next_slot(after, max(now, produced_at))
