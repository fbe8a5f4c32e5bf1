"""The asyncio push engine: a thin shell that executes what the delivery machines decide.

One task per subscription loops: ask the machine (`poll`), materialise and encode the batch it
names, POST it through the transport, tell the machine the outcome (`record`), sleep until the
machine's next `wakeup`. During a catch-up, a legacy lane encodes the next batch while a push is
in flight (`LegacyLane.encode_ahead`). Every attempt and state change goes to the observers as a
record; the engine itself prints nothing. `Engine.settled` tells a caller (the pytest plugin)
when nothing is due at the current instant any more.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from simulator import __version__
from simulator.core.delivery import Ledger, Push, State, Subscription
from simulator.core.outcome import Outcome, OutcomeKind
from simulator.core.queue import Span
from simulator.core.records import AttemptRecord, Machine, Observer, StateChange
from simulator.errors import AuthError
from simulator.payloads import anomalies
from simulator.payloads.events import (
    ActivityStream,
    joined_activities,
    legacy_body,
    legacy_body_around,
)
from simulator.payloads.formats import CONTENT_TYPE, legacy_batch
from simulator.shell.auth import Auth, NoAuth
from simulator.shell.clock import Clock
from simulator.shell.transport import Transport

USER_AGENT = f"marketo-stream-simulator/{__version__}"


class Lane(Protocol):
    """One subscription or registration: drives its own machine inside the engine. The director
    and the pytest plugin reach a lane only through this."""

    @property
    def name(self) -> str: ...

    @property
    def machine(self) -> Machine: ...

    def poke(self) -> None:
        """Something outside changed the machine (a scenario step, a test's emit): look again
        now."""
        ...

    def force(self, anomaly: str) -> None:
        """Make the next push carry `anomaly` (duplicate, reorder, unknown-activity-type, ...)."""
        ...

    def settled(self, now: float) -> bool:
        """Nothing to do at `now`: asleep until a later time or a poke, no request in flight."""
        ...

    async def drive(self, engine: Engine, until: float | None) -> None: ...


class Wake:
    """How a lane sleeps: until a deadline or a poke. It also knows whether the lane sleeps now,
    so the engine can tell when nothing is due (`Engine.settled`).

    One future per sleep, woken by a poke or by one timer task: a thousand lanes sleep and wake
    hundreds of times a second, and each extra task or `asyncio.wait` is time the loop is late."""

    __slots__ = ("_asleep", "_deadline", "_poked", "_waiter")

    def __init__(self) -> None:
        self._waiter: asyncio.Future[None] | None = None
        self._poked = False  # since the lane last fell asleep
        self._asleep = False
        self._deadline: float | None = None

    def poke(self) -> None:
        self._poked = True
        _wake(self._waiter)

    def settled(self, now: float) -> bool:
        """Asleep, not poked, and not due: the deadline, if any, is later than `now`."""
        due = self._deadline is not None and self._deadline <= now
        return self._asleep and not self._poked and not due

    async def sleep(self, clock: Clock, deadline: float | None, asleep: Callable[[], None]) -> None:
        """Until `deadline` (None: no deadline) or a poke; calls `asleep()` once asleep. A
        deadline that has passed returns at once: on a real clock it can pass between the
        machine's answer and this call, and no timer would ever wake the lane for it."""
        if deadline is not None and deadline <= clock.now():
            return
        self._poked = False
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        timer = None
        if deadline is not None:
            timer = asyncio.ensure_future(clock.sleep_until(deadline))
            timer.add_done_callback(lambda _: _wake(waiter))
        self._deadline, self._asleep = deadline, True
        asleep()
        try:
            await waiter
        finally:
            self._asleep = False
            self._waiter = None
            if timer is not None:
                timer.cancel()


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class Engine:
    """The push loop: one task per lane, and what the lanes share (the clock, the transport, the
    observers). Lanes sleep through `sleep`, so the engine knows when nothing is due."""

    def __init__(
        self,
        lanes: Sequence[Lane],
        *,
        munchkin_id: str,
        clock: Clock,
        transport: Transport,
        observers: Sequence[Observer] = (),
    ) -> None:
        self.lanes = list(lanes)
        self.munchkin_id = munchkin_id
        self.clock = clock
        self.transport = transport
        self.observers = list(observers)
        self._finished: set[str] = set()  # lanes that returned: nothing will happen again
        self._stirred = asyncio.Event()  # a lane fell asleep or finished

    async def run(self, until: float | None = None) -> None:
        """Push until simulated time `until` (exclusive; None: until cancelled or nothing is left
        to do). A push still in flight at the end is abandoned and stays counted as in flight."""
        delay = None if until is None else max(0.0, until - self.clock.now())
        try:
            # A lane that crashes (a bug, a failing observer) ends the run loudly, never silently.
            async with asyncio.timeout(delay), asyncio.TaskGroup() as lanes:
                for lane in self.lanes:
                    lanes.create_task(self._drive(lane, until), name=lane.name)
        except TimeoutError:
            pass  # the end of the run
        finally:
            now = self.clock.now()
            for lane in self.lanes:
                lane.machine.abandon()
                lane.machine.advance(now)  # the ledger counts what was produced up to the end

    async def _drive(self, lane: Lane, until: float | None) -> None:
        self._finished.discard(lane.name)
        await lane.drive(self, until)
        self._finished.add(lane.name)
        self._stirred.set()

    # -- what the lanes call -------------------------------------------------------------------

    async def sleep(self, wake: Wake, deadline: float | None) -> None:
        """A lane sleeps until `deadline` (None: no deadline) or until `wake` is poked."""
        await wake.sleep(self.clock, deadline, self._stirred.set)

    def emit_attempt(self, record: AttemptRecord) -> None:
        for observer in self.observers:
            observer.attempt(record)

    def emit_change(self, name: str, old: str, new: str, at: float, reason: str) -> None:
        change = StateChange(at, self.clock.wall(at), name, old, new, reason)
        for observer in self.observers:
            observer.state_changed(change)

    # -- what the director, the reports and the pytest plugin read -----------------------------

    def lane(self, name: str) -> Lane:
        """The lane of the subscription called `name`; KeyError if the run has none."""
        for lane in self.lanes:
            if lane.name == name:
                return lane
        raise KeyError(name)

    def machines(self) -> dict[str, Machine]:
        return {lane.name: lane.machine for lane in self.lanes}

    def ledgers(self) -> dict[str, Ledger]:
        return {lane.name: lane.machine.ledger() for lane in self.lanes}

    def is_settled(self) -> bool:
        """Nothing is due now: every lane sleeps until a later time or a poke, or has finished."""
        now = self.clock.now()
        return all(lane.name in self._finished or lane.settled(now) for lane in self.lanes)

    async def settled(self) -> None:
        """Return once nothing is due at this instant (`is_settled`). A request in flight is
        waited for, so with a consumer that takes time to answer, simulated time passes first."""
        while not self.is_settled():
            self._stirred.clear()
            await self._stirred.wait()


@dataclass(slots=True)
class LegacyLane:
    """A legacy Lead Activity subscription: one batch in flight, retried whole, in order.

    `source` is the subscription's `ActivityStream`, or a function that builds it: then it is
    built on the first push, so that a run of a thousand subscriptions starts pushing at once
    instead of building every stream first."""

    machine: Subscription
    source: ActivityStream | Callable[[], ActivityStream]
    url: str
    timeout: float
    auth: Auth = field(default_factory=NoAuth)
    transport: Transport | None = None  # its own connection pool; None: the engine's transport
    anomalies: list[str] = field(default_factory=list)  # forced on the next push
    encode_ahead: bool = True  # encode the next batch of a catch-up while a push is in flight
    _body_cache: tuple[str, int, bytes] | None = None  # a retried batch is encoded once
    _last_acknowledged: tuple[Push, bytes] | None = None
    _wake: Wake = field(default_factory=Wake)
    _stream: ActivityStream | None = None
    _ahead: asyncio.Task[Ahead] | None = None  # the next batch's activities, being encoded
    _ready: Ahead | None = None  # the next batch's activities, encoded

    @property
    def name(self) -> str:
        return self.machine.name

    @property
    def stream(self) -> ActivityStream:
        """The subscription's activities (built now, if `source` builds them)."""
        if self._stream is None:
            source = self.source
            self._stream = source if isinstance(source, ActivityStream) else source()
        return self._stream

    def poke(self) -> None:
        """Something outside changed the machine (a scenario step): look again now."""
        self._wake.poke()

    def force(self, anomaly: str) -> None:
        self.anomalies.append(anomaly)
        self.poke()

    def settled(self, now: float) -> bool:
        # One push at a time, made while awake: asleep means nothing is in flight.
        return self._wake.settled(now)

    async def drive(self, engine: Engine, until: float | None) -> None:
        machine, clock = self.machine, engine.clock
        while until is None or clock.now() < until:
            if "duplicate" in self.anomalies and self._last_acknowledged is not None:
                await self._duplicate(engine)
            push = machine.poll(clock.now())
            if push is None:
                wake = machine.wakeup()
                if wake is None and until is None:
                    return  # nothing will ever happen again
                deadline = until if wake is None else (wake if until is None else min(wake, until))
                await engine.sleep(self._wake, deadline)
                continue
            outcome, body = await self._attempt(engine, push)
            old = machine.state
            # One instant for the machine, the record and the change, so their lines agree.
            done = clock.now()
            transition = machine.record(push, ok=outcome.ok, now=done)
            if outcome.ok:
                self._last_acknowledged = (push, body)
            engine.emit_attempt(self._record(engine, push, outcome, transition.new, done))
            if transition.new is not old:
                at, why = transition.at, transition.trigger
                engine.emit_change(self.name, old, transition.new, at, why)

    async def _duplicate(self, engine: Engine) -> None:
        """Send the last acknowledged batch again, as an at-least-once producer may."""
        self.anomalies.remove("duplicate")
        assert self._last_acknowledged is not None
        push, body = self._last_acknowledged
        headers = await self._headers()
        outcome = await self._post(engine, body, headers)
        again = Push(push.batch, push.attempt, push.kind, engine.clock.now())
        record = self._record(engine, again, outcome, self.machine.state, engine.clock.now())
        engine.emit_attempt(dataclasses.replace(record, kind="duplicate"))

    async def _headers(self) -> dict[str, str]:
        headers = await self.auth.headers()
        return headers | {"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT}

    async def _attempt(self, engine: Engine, push: Push) -> tuple[Outcome, bytes]:
        try:
            headers = await self._headers()
        except AuthError as exc:
            return Outcome(OutcomeKind.AUTH_ERROR, None, 0.0, str(exc)), b""
        await self._finish_ahead()
        body = self._body(engine, push)
        self._encode_ahead(engine)
        try:
            outcome = await self._post(engine, body, headers)
        except asyncio.CancelledError:
            self._drop_ahead()
            raise
        if outcome.status == 401:
            self.auth.unauthorized()
        return outcome, body

    async def _post(self, engine: Engine, body: bytes, headers: dict[str, str]) -> Outcome:
        transport = engine.transport if self.transport is None else self.transport
        return await transport.post(self.url, body, headers, timeout=self.timeout)

    def _body(self, engine: Engine, push: Push) -> bytes:
        batch = push.batch
        key = (batch.message_id, batch.count)
        if self._body_cache is not None and self._body_cache[:2] == key:
            return self._body_cache[2]
        wall = engine.clock.wall
        forced = [k for k in self.anomalies if k != "duplicate"]
        if forced:  # rare: anomalies rewrite the activities as dicts
            activities = self.stream.activities((seq, wall(t)) for seq, t in batch.items())
            for kind in forced:
                self.anomalies.remove(kind)
                activities = anomalies.legacy(kind, activities)
            body = legacy_batch(
                munchkin_id=engine.munchkin_id,
                message_id=batch.message_id,
                created_at=wall(batch.created_at),
                activities=activities,
            )
        else:  # the fast path: the activities' texts from the batch's spans, never a dict
            ahead, self._ready = self._ready, None  # this batch's, or one that will never come
            ids = {"munchkin_id": engine.munchkin_id, "message_id": batch.message_id}
            if ahead is not None and ahead.spans == batch.spans:
                body = legacy_body_around(
                    ahead.activities, **ids, created_at=wall(batch.created_at)
                )
            else:
                texts = self.stream.span_texts(batch.spans, wall(0.0))
                body = legacy_body(texts, **ids, created_at=wall(batch.created_at))
        self._body_cache = (*key, body)
        return body

    # -- encoding ahead: the next batch's texts while this push is in flight --------------------

    def _encode_ahead(self, engine: Engine) -> None:
        """While a catch-up push is in flight, encode the batch that follows it if it succeeds:
        the queue's oldest `batch_size` events, when that many wait. The consumer reads this
        push meanwhile, in its own process: with a core to spare, the encoding overlaps its work
        instead of following it.

        Nothing is sent ahead and the machine decides as before: one push in flight, in order.
        The texts wait through a retry of this push, and are used only when the machine's next
        new batch has exactly their spans (not after an expiry or with a forced anomaly), so a
        body is the same bytes either way. At most one batch is held ahead.
        """
        machine = self.machine
        size = machine.policy.batch_size
        if not self.encode_ahead or machine.state is not State.ACTIVE or len(machine.queue) < size:
            return
        spans = _oldest(machine.queue.spans, size)
        epoch = engine.clock.wall(0.0)  # wall(t) is epoch + t
        self._ahead = asyncio.ensure_future(_encode_in_turns(self.stream, spans, epoch))

    async def _finish_ahead(self) -> None:
        """Wait for the texts being encoded ahead (started with the previous push)."""
        task, self._ahead = self._ahead, None
        if task is not None:
            self._ready = await task

    def _drop_ahead(self) -> None:
        if self._ahead is not None:
            self._ahead.cancel()
            self._ahead = None

    def _record(
        self, engine: Engine, push: Push, outcome: Outcome, state: str, done: float
    ) -> AttemptRecord:
        return AttemptRecord(
            at=push.at,
            wall=engine.clock.wall(push.at),
            subscription=self.name,
            message_id=push.batch.message_id,
            attempt=push.attempt,
            kind=push.kind,
            events=push.batch.count,
            outcome=outcome.kind,
            status=outcome.status,
            latency=outcome.latency,
            state=state,
            detail=outcome.detail,
            oldest_event=push.batch.oldest_time,
            seqs=push.batch.seq_range,
            done_at=done,
        )


AHEAD_TURN = 128  # events encoded ahead between two turns of the loop


@dataclass(frozen=True, slots=True)
class Ahead:
    """The activities of the batch expected next, joined, and the spans they were made from."""

    spans: tuple[Span, ...]
    activities: bytes  # `events.joined_activities` of their texts


def _oldest(spans: Sequence[Span], count: int) -> tuple[Span, ...]:
    """The oldest `count` events of a queue's spans, cut as its `take(count)` cuts them."""
    taken: list[Span] = []
    for span in spans:
        if count <= 0:
            break
        taken.append(span if span.count <= count else span.head(count))
        count -= taken[-1].count
    return tuple(taken)


async def _encode_in_turns(stream: ActivityStream, spans: tuple[Span, ...], epoch: float) -> Ahead:
    """`stream.span_texts(spans, epoch)`, AHEAD_TURN events at a time, the loop turning in
    between: the push in flight is written out, and its answer read, without waiting for the
    rest of the encoding (the first turn lets the body go out before any encoding starts)."""
    texts: list[str] = []
    for span in spans:
        for start in range(0, span.count, AHEAD_TURN):
            await asyncio.sleep(0)
            part = span.tail(start) if start else span
            texts += stream.span_texts([part.head(min(AHEAD_TURN, part.count))], epoch)
    return Ahead(spans, joined_activities(texts))
