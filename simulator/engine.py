"""The asyncio push engine: a thin shell that executes what the delivery machines decide.

One task per subscription loops: ask the machine (`poll`), materialise and encode the batch it
names, POST it through the transport, tell the machine the outcome (`record`), sleep until the
machine's next `wakeup`. Every attempt and state change goes to the observers as a record; the
engine itself prints nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from . import __version__
from .auth import Auth, NoAuth
from .clock import Clock
from .delivery import AttemptKind, Ledger, Push, State, Subscription, Transition
from .errors import AuthError
from .events import ActivityStream
from .formats import CONTENT_TYPE, legacy_batch
from .outcome import Outcome, OutcomeKind
from .transport import Transport

USER_AGENT = f"marketo-stream-simulator/{__version__}"


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One push attempt, as the `--log` file and the observers see it."""

    at: float  # when the attempt began, in simulated seconds since the start of the run
    wall: float  # the same instant as simulated Unix time
    subscription: str
    message_id: str
    attempt: int
    kind: AttemptKind
    events: int
    outcome: OutcomeKind
    status: int | None
    latency: float
    state: State
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StateChange:
    at: float
    wall: float
    subscription: str
    old: State
    new: State
    trigger: str


class Observer(Protocol):
    def attempt(self, record: AttemptRecord) -> None: ...

    def state_changed(self, change: StateChange) -> None: ...


@dataclass(slots=True)
class Lane:
    """Everything one subscription needs: its machine, its events, where and how to push."""

    machine: Subscription
    stream: ActivityStream
    url: str
    timeout: float
    auth: Auth = field(default_factory=NoAuth)
    _body_cache: tuple[str, int, bytes] | None = None  # a retried batch is encoded once

    @property
    def name(self) -> str:
        return self.machine.name


class Engine:
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
            for lane in self.lanes:
                lane.machine.abandon()

    def ledgers(self) -> dict[str, Ledger]:
        return {lane.name: lane.machine.ledger() for lane in self.lanes}

    async def _drive(self, lane: Lane, until: float | None) -> None:
        machine = lane.machine
        while until is None or self.clock.now() < until:
            push = machine.poll(self.clock.now())
            if push is None:
                wake = machine.wakeup()
                if wake is None:
                    return
                await self.clock.sleep_until(wake if until is None else min(wake, until))
                continue
            outcome = await self._attempt(lane, push)
            old = machine.state
            transition = machine.record(push, ok=outcome.ok, now=self.clock.now())
            self._report(lane, push, outcome, transition, old)

    async def _attempt(self, lane: Lane, push: Push) -> Outcome:
        try:
            headers = await lane.auth.headers()
        except AuthError as exc:
            return Outcome(OutcomeKind.AUTH_ERROR, None, 0.0, str(exc))
        headers |= {"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT}
        outcome = await self.transport.post(
            lane.url, self._body(lane, push), headers, timeout=lane.timeout
        )
        if outcome.status == 401:
            lane.auth.unauthorized()
        return outcome

    def _body(self, lane: Lane, push: Push) -> bytes:
        batch = push.batch
        key = (batch.message_id, batch.count)
        if lane._body_cache is not None and lane._body_cache[:2] == key:
            return lane._body_cache[2]
        wall = self.clock.wall
        activities = lane.stream.activities((seq, wall(t)) for seq, t in batch.items())
        body = legacy_batch(
            munchkin_id=self.munchkin_id,
            message_id=batch.message_id,
            created_at=wall(batch.created_at),
            activities=activities,
        )
        lane._body_cache = (*key, body)
        return body

    def _report(
        self, lane: Lane, push: Push, outcome: Outcome, transition: Transition, old: State
    ) -> None:
        record = AttemptRecord(
            at=push.at,
            wall=self.clock.wall(push.at),
            subscription=lane.name,
            message_id=push.batch.message_id,
            attempt=push.attempt,
            kind=push.kind,
            events=push.batch.count,
            outcome=outcome.kind,
            status=outcome.status,
            latency=outcome.latency,
            state=transition.new,
            detail=outcome.detail,
        )
        for observer in self.observers:
            observer.attempt(record)
        if transition.new is not old:
            at = transition.at
            change = StateChange(
                at, self.clock.wall(at), lane.name, old, transition.new, transition.trigger
            )
            for observer in self.observers:
                observer.state_changed(change)
