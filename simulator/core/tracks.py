"""What a run keeps of each subscription, in memory that grows with its subscriptions and state
changes, never with its attempts.

A `Track` folds one subscription's records as they arrive. Its attempts go into a `Tally`
(counts by kind and outcome, the first and last attempt times, the worst latency from production
to acknowledgement and when, and the order of the acknowledged events so far with its first
violation) and into an `OutcomeSeries` for the report's attempt strip. Its state changes go into a
`ChangeLog`: the first and last `KEPT_CHANGES` of them with a count of the rest, the first time
each state was entered, and the state held at the times the verdicts will ask about. `Tracks`,
an `Observer`, holds one track per subscription; the verdicts and the reports read them.

The order is judged as the run goes, on what the engine guarantees: a subscription's records
arrive in the order their outcomes became known (`AttemptRecord.done`).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from simulator.core.outcome import OutcomeKind
from simulator.core.records import AttemptRecord, StateChange
from simulator.core.series import OutcomeSeries

# State changes kept at each end of a subscription's run. A subscription changes state a few
# times per outage window; one flapping for days would otherwise hold a record per flap. The
# report's state band is 1,100 units wide, so 200 changes already fill it.
KEPT_CHANGES = 100
DEFAULT_HORIZON = 3600.0  # the planned run length when none is given, in simulated seconds


@dataclass(frozen=True, slots=True)
class Disorder:
    """The first acknowledgement that broke production order."""

    highest: int  # the highest sequence number acknowledged before it
    low: int  # the lowest sequence number it carried
    at: float  # when it was acknowledged


@dataclass(slots=True)
class Tally:
    """A subscription's attempts, folded one at a time."""

    attempts: int = 0
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)  # push, retry, probe, duplicate
    first_at: float | None = None  # when the earliest attempt began
    last_at: float | None = None  # when the latest attempt began
    worst_lag: float = 0.0  # the longest wait from production to acknowledgement, seconds
    worst_at: float | None = None  # when that event was acknowledged
    highest: int = -1  # the highest sequence number acknowledged, while in order
    disorder: Disorder | None = None

    def add(self, record: AttemptRecord) -> None:
        self.attempts += 1
        self.by_outcome[str(record.outcome)] += 1
        self.by_kind[record.kind] += 1
        at = record.at
        self.first_at = at if self.first_at is None else min(self.first_at, at)
        self.last_at = at if self.last_at is None else max(self.last_at, at)
        # A duplicate resends a batch already acknowledged: it says nothing of latency or order.
        if record.outcome is OutcomeKind.SUCCESS and record.kind != "duplicate":
            self._acknowledged(record)

    def _acknowledged(self, record: AttemptRecord) -> None:
        done = record.done
        if record.oldest_event is not None and (lag := done - record.oldest_event) > self.worst_lag:
            self.worst_lag, self.worst_at = lag, done
        if record.seqs is None or self.disorder is not None:
            return
        low, high = record.seqs
        if low <= self.highest:
            self.disorder = Disorder(self.highest, low, done)
        else:
            self.highest = high


@dataclass(slots=True)
class _Probe:
    """The state held at one time, folded from the changes in the order they arrive: each change
    up to that time sets it, and the first one past it closes the probe."""

    t: float
    state: str | None = None  # None: no change by `t`, the initial state holds
    closed: bool = False

    def see(self, change: StateChange) -> None:
        if self.closed:
            return
        if change.at > self.t:
            self.closed = True
        else:
            self.state = change.new


class ChangeLog:
    """A subscription's state changes: the first and last `keep` of them, and a count of those
    in between that were not kept. What the verdicts ask of the states is exact whatever was
    dropped: `entered` has the first time each state was entered, and `state_at` answers the
    times given as `probes` from every change, kept or not."""

    __slots__ = ("_probes", "dropped", "entered", "head", "keep", "tail")

    def __init__(self, keep: int = KEPT_CHANGES, probes: Iterable[float] = ()) -> None:
        self.keep = keep
        self.head: list[StateChange] = []
        self.tail: deque[StateChange] = deque(maxlen=keep)
        self.dropped = 0
        self.entered: dict[str, float] = {}
        self._probes = {t: _Probe(t) for t in probes}

    def add(self, change: StateChange) -> None:
        self.entered.setdefault(change.new, change.at)
        for probe in self._probes.values():
            probe.see(change)
        if len(self.head) < self.keep:
            self.head.append(change)
            return
        if len(self.tail) == self.keep:
            self.dropped += 1
        self.tail.append(change)

    @property
    def kept(self) -> list[StateChange]:
        """The changes kept, in the order they came: the first ones, then the last ones."""
        return [*self.head, *self.tail]

    def __len__(self) -> int:
        """Every change seen, kept or not."""
        return len(self.head) + len(self.tail) + self.dropped

    def state_at(self, t: float, initial: str) -> str:
        """The state held at `t`: the last change by `t`, in the order they came, before the first
        one after it. Exact for a probe time, or when nothing was dropped."""
        probe = self._probes.get(t)
        if probe is not None:
            return initial if probe.state is None else probe.state
        state = initial
        for change in self.kept:
            if change.at > t:
                break
            state = change.new
        return state


class Track:
    """All a run keeps of one subscription's records."""

    __slots__ = ("changes", "outcomes", "tally")

    def __init__(
        self,
        horizon: float = DEFAULT_HORIZON,
        *,
        probes: Iterable[float] = (),
        keep: int = KEPT_CHANGES,
    ) -> None:
        self.tally = Tally()
        self.outcomes = OutcomeSeries(horizon)
        self.changes = ChangeLog(keep, probes)

    def attempt(self, record: AttemptRecord) -> None:
        self.tally.add(record)
        self.outcomes.add(record.at, str(record.outcome))

    def state_changed(self, change: StateChange) -> None:
        self.changes.add(change)


class Tracks(Mapping[str, Track]):
    """One `Track` per subscription, made at its first record: the `Observer` a replay records
    with. `horizon` is the planned run length (the report's attempt columns span it); `probes`
    the times, per subscription, at which the verdicts will ask its state."""

    def __init__(
        self,
        horizon: float = DEFAULT_HORIZON,
        *,
        probes: Mapping[str, Iterable[float]] | None = None,
        keep: int = KEPT_CHANGES,
    ) -> None:
        self.horizon = horizon
        self.keep = keep
        self._probes = {name: tuple(times) for name, times in (probes or {}).items()}
        self._tracks: dict[str, Track] = {}

    @classmethod
    def of(
        cls,
        attempts: Iterable[AttemptRecord] = (),
        changes: Iterable[StateChange] = (),
        *,
        horizon: float = DEFAULT_HORIZON,
        probes: Mapping[str, Iterable[float]] | None = None,
    ) -> Tracks:
        """Records already in hand, folded in the order given."""
        tracks = cls(horizon, probes=probes)
        for record in attempts:
            tracks.attempt(record)
        for change in changes:
            tracks.state_changed(change)
        return tracks

    def track(self, name: str) -> Track:
        """The track of `name`, made empty on first use."""
        found = self._tracks.get(name)
        if found is None:
            probes = self._probes.get(name, ())
            found = self._tracks[name] = Track(self.horizon, probes=probes, keep=self.keep)
        return found

    def view(self, name: str) -> Track:
        """The track of `name` to read: an empty one (not kept) when it had no record."""
        found = self._tracks.get(name)
        if found is None:
            return Track(self.horizon, probes=self._probes.get(name, ()), keep=self.keep)
        return found

    def attempt(self, record: AttemptRecord) -> None:
        self.track(record.subscription).attempt(record)

    def state_changed(self, change: StateChange) -> None:
        self.track(change.subscription).state_changed(change)

    def __getitem__(self, name: str) -> Track:
        return self._tracks[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tracks)

    def __len__(self) -> int:
        return len(self._tracks)
