"""The records a run emits: every push attempt and state change, and the observers that read them.

The engine and the I/O lane emit these; the attempt log, the console, the recording and the
verdicts read them. They live in the core so that what reads them stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from simulator.core.delivery import Counters, Ledger
from simulator.core.outcome import OutcomeKind


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One push attempt, as the `--log` file and the observers see it."""

    at: float  # when the attempt began, in simulated seconds since the start of the run
    wall: float  # the same instant as simulated Unix time
    subscription: str
    message_id: str
    attempt: int
    kind: str  # push, retry or probe
    events: int
    outcome: OutcomeKind
    status: int | None
    latency: float
    state: str  # the subscription's or registration's state after the attempt
    detail: str = ""
    oldest_event: float | None = None  # when the oldest event it carried was produced
    seqs: tuple[int, int] | None = None  # the lowest and highest sequence number it carried
    done_at: float | None = None  # when the outcome was known (token waits included)

    @property
    def done(self) -> float:
        """When the producer learnt the outcome: waiting for a token counts, not just the HTTP.
        Records reach observers in this order, because the engine emits one when it is known."""
        return self.done_at if self.done_at is not None else self.at + self.latency


@dataclass(frozen=True, slots=True)
class StateChange:
    at: float
    wall: float
    subscription: str
    old: str
    new: str
    reason: str


class Observer(Protocol):
    def attempt(self, record: AttemptRecord) -> None: ...

    def state_changed(self, change: StateChange) -> None: ...


class Machine(Protocol):
    """What the engine and the reports read from a delivery machine, legacy or I/O."""

    name: str
    counters: Counters

    @property
    def state(self) -> str: ...

    @property
    def decided_at(self) -> float:
        """The latest instant the machine decided something at: a step applied late is applied
        as of its own time, but not before this."""
        ...

    def advance(self, now: float) -> None: ...

    def inject(self, count: int, now: float) -> None: ...

    def change_rate(self, rate: float, now: float) -> None: ...

    def wakeup(self) -> float | None: ...

    def ledger(self) -> Ledger: ...

    def abandon(self) -> None: ...

    def oldest_event_time(self) -> float | None: ...
