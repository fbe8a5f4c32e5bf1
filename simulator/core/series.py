"""Time series of a run in bounded memory: attempts counted per time bucket, and sampled values.

Both keep at most a fixed number of entries, however long the run. The attempt counts start at
the resolution the report draws (`PLANNED` buckets over the planned run), so a run that ends when
planned is binned exactly as drawn. Should the run outgrow its `CAP` buckets, neighbours merge
pairwise and the bucket width doubles: memory stays put and the resolution follows the run's
length. Samples thin the same way: every other one is dropped and the stride doubles.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

PLANNED = 600  # buckets over the planned run: the report's attempt columns (`MAX_COLUMNS`)
CAP = 1024  # most buckets or samples kept: a run may outlast its plan 1.7 times before merging


@dataclass(frozen=True, slots=True)
class Sample:
    """A subscription at one simulated time."""

    t: float
    state: str
    queued: int  # queued and in flight (waiting for a retry included)
    oldest_age: float | None  # age of the oldest event not yet acknowledged, seconds


class OutcomeSeries:
    """Attempts counted per time bucket and outcome, in at most `cap` buckets.

    Bucket `i` holds the attempts that began in [i / scale, (i + 1) / scale); a time before 0
    counts in bucket 0. Counts are kept per outcome in arrays grown only as far as the last
    bucket used, so a subscription that never failed pays for one array.
    """

    __slots__ = ("_counts", "cap", "scale")

    def __init__(self, horizon: float, *, buckets: int = PLANNED, cap: int = CAP) -> None:
        if buckets > cap:
            raise ValueError(f"{buckets} planned buckets do not fit in a cap of {cap}")
        self.cap = cap
        self.scale = buckets / horizon if horizon > 0 else float(buckets)  # buckets per second
        self._counts: dict[str, array[int]] = {}

    @property
    def width(self) -> float:
        """The simulated seconds one bucket spans."""
        return 1.0 / self.scale

    def add(self, t: float, outcome: str) -> None:
        index = self._index(t)
        counts = self._counts.get(outcome)
        if counts is None:
            counts = self._counts[outcome] = array("Q")
        if index >= len(counts):
            counts.frombytes(bytes(counts.itemsize * (index + 1 - len(counts))))
        counts[index] += 1

    def buckets(self) -> Iterator[tuple[int, Counter[str]]]:
        """(index, outcome counts) of every bucket that holds an attempt, in time order."""
        used = max((len(counts) for counts in self._counts.values()), default=0)
        for index in range(used):
            tally = Counter(
                {k: c[index] for k, c in self._counts.items() if index < len(c) and c[index]}
            )
            if tally:
                yield index, tally

    def columns(self, end: float, columns: int = PLANNED) -> dict[int, Counter[str]]:
        """The counts re-binned into `columns` columns over [0, `end`], as the report draws them.

        When the buckets are the columns (the run ended when planned) each bucket is its column;
        otherwise a bucket falls into the column of its middle. Times past the end count in the
        last column."""
        target = columns / end if end > 0 else float(columns)
        same = self.scale == target
        out: dict[int, Counter[str]] = {}
        for index, tally in self.buckets():
            column = index if same else int((index + 0.5) / self.scale * target)
            out.setdefault(min(max(column, 0), columns - 1), Counter()).update(tally)
        return out

    def _index(self, t: float) -> int:
        index = max(int(t * self.scale), 0)
        while index >= self.cap:
            self._merge()
            index = max(int(t * self.scale), 0)
        return index

    def _merge(self) -> None:
        """Neighbours merge pairwise: bucket j takes 2j and 2j + 1. Halving the scale is exact in
        binary floating point, so a time lands in the merged bucket of its old one."""
        for kind, counts in self._counts.items():
            merged = array("Q", (sum(counts[i : i + 2]) for i in range(0, len(counts), 2)))
            self._counts[kind] = merged
        self.scale /= 2


class SampleSeries(Sequence[Sample]):
    """Samples of one subscription, at most `cap` of them, kept as compact columns.

    Past `cap`, every other sample is dropped and only every `stride`-th one offered is kept from
    then on: the series covers the whole run at a coarser step. Read back as `Sample`s."""

    __slots__ = ("_age", "_offered", "_queued", "_state", "_states", "_t", "cap", "stride")

    def __init__(self, cap: int = CAP) -> None:
        if cap < 2 or cap % 2:
            raise ValueError(f"a sample series needs an even cap of at least 2, not {cap}")
        self.cap = cap
        self.stride = 1
        self._offered = 0
        self._t = array("d")
        self._queued = array("q")
        self._age = array("d")  # NaN: no event waiting
        self._state = array("B")  # an index into `_states`
        self._states: list[str] = []

    def add(self, sample: Sample) -> None:
        offered, self._offered = self._offered, self._offered + 1
        if offered % self.stride:
            return
        if len(self._t) == self.cap:
            self._thin()  # `offered` is cap * stride: still a multiple of the doubled stride
        if sample.state not in self._states:
            self._states.append(sample.state)
        self._t.append(sample.t)
        self._queued.append(sample.queued)
        self._age.append(math.nan if sample.oldest_age is None else sample.oldest_age)
        self._state.append(self._states.index(sample.state))

    def _thin(self) -> None:
        self._t, self._queued = self._t[::2], self._queued[::2]
        self._age, self._state = self._age[::2], self._state[::2]
        self.stride *= 2

    def __len__(self) -> int:
        return len(self._t)

    @overload
    def __getitem__(self, index: int) -> Sample: ...

    @overload
    def __getitem__(self, index: slice) -> list[Sample]: ...

    def __getitem__(self, index: int | slice) -> Sample | list[Sample]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        age = self._age[index]
        return Sample(
            self._t[index],
            self._states[self._state[index]],
            self._queued[index],
            None if math.isnan(age) else age,
        )
