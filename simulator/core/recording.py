"""What a played scenario leaves behind for people: samples, each subscription's records folded
into a `Track`, the steps, the ledgers and the verdicts. The HTML report and the JUnit file are
drawn from this one value; the run itself never formats anything. Its size grows with the
subscriptions and their state changes, never with the attempts: samples are a bounded
`SampleSeries` per subscription, and the attempts are tallies and buckets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from simulator.core.delivery import Ledger
from simulator.core.series import Sample
from simulator.core.tracks import Tracks

__all__ = ["Recording", "Sample", "Verdict", "VerdictStatus", "judged"]


class VerdictStatus(StrEnum):
    """How a check ended: the one place that says what `passed`, `skipped` and `unfinished`
    make together."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # it could not be judged here (another shard, a real consumer)
    ERROR = "error"  # the run was interrupted before it could be judged


def judged(statuses: Iterable[VerdictStatus]) -> str:
    """The verdict line's counts: "5 passed, 1 failed", then skipped and not judged if any."""
    counts = Counter(statuses)
    line = f"{counts[VerdictStatus.PASSED]} passed, {counts[VerdictStatus.FAILED]} failed"
    if counts[VerdictStatus.SKIPPED]:
        line += f", {counts[VerdictStatus.SKIPPED]} skipped"
    if counts[VerdictStatus.ERROR]:
        line += f", {counts[VerdictStatus.ERROR]} not judged"
    return line


@dataclass(frozen=True, slots=True)
class Verdict:
    """One judged check of an expectation."""

    name: str  # e.g. "leads: state paused by +00:09:00"
    passed: bool
    expected: str
    observed: str
    at: float | None = None  # the simulated time the check concerns; None: the end of the run
    subscription: str | None = None
    skipped: str | None = None  # why it could not be judged (then `passed`: it fails nothing)
    # From when nothing later could change it (a state at a given time, a failure that cannot
    # heal); None: only the end of the run decides it. An interrupted run keeps the verdicts
    # settled before the interruption; the others did not finish. Not part of the judgement's
    # value (equality).
    settled: float | None = field(default=None, compare=False)
    unfinished: bool = False  # the run was interrupted before it could be judged: an error

    @property
    def status(self) -> VerdictStatus:
        if self.unfinished:
            return VerdictStatus.ERROR
        if self.skipped is not None:
            return VerdictStatus.SKIPPED
        return VerdictStatus.PASSED if self.passed else VerdictStatus.FAILED


@dataclass(slots=True)
class Recording:
    title: str  # the scenario file
    munchkin_id: str
    seed: int
    start_wall: float  # simulated Unix time of t=0
    ended_at: float  # simulated seconds
    subscriptions: list[str]
    samples: Mapping[str, Sequence[Sample]] = field(default_factory=dict)
    tracks: Tracks = field(default_factory=Tracks)  # attempts and state changes, folded
    steps: list[tuple[float, str]] = field(default_factory=list)  # (time, label)
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)
    endpoint: dict[str, int] | None = None  # the dev endpoint's counters
    interrupted: str = ""  # the signal that stopped the run early ("SIGTERM"); "" if none did

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)
