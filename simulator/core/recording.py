"""What a played scenario leaves behind for people: samples over time, every attempt and state
change, the steps, the ledgers and the verdicts. The HTML report and the JUnit file are drawn
from this one value; the run itself never formats anything."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.core.delivery import Ledger
from simulator.core.records import AttemptRecord, StateChange


@dataclass(frozen=True, slots=True)
class Verdict:
    """One judged check of an expectation."""

    name: str  # e.g. "leads: state paused by +00:09:00"
    passed: bool
    expected: str
    observed: str
    at: float | None = None  # the simulated time the check concerns; None: the end of the run
    subscription: str | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    """A subscription at one simulated time."""

    t: float
    state: str
    queued: int  # queued and in flight (waiting for a retry included)
    oldest_age: float | None  # age of the oldest event not yet acknowledged, seconds


@dataclass(slots=True)
class Recording:
    title: str  # the scenario file
    munchkin_id: str
    seed: int
    start_wall: float  # simulated Unix time of t=0
    ended_at: float  # simulated seconds
    subscriptions: list[str]
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    attempts: list[AttemptRecord] = field(default_factory=list)
    changes: list[StateChange] = field(default_factory=list)
    steps: list[tuple[float, str]] = field(default_factory=list)  # (time, label)
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)
    endpoint: dict[str, int] | None = None  # the dev endpoint's counters

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)
