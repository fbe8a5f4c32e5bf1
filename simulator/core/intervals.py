"""A set of integers kept as its maximal runs: memory in proportion to the gaps, not the members.

The simulator numbers each stream's events 0, 1, 2, ... and sends them mostly in order, so the
sequence numbers seen so far are a few long runs. `IntervalSet` stores each maximal run as one
half-open interval [start, end) and answers exactly, like a `set` of every member would, while
holding two integers per run. Adding a member next to a run extends it; adding one that closes
a gap merges the two runs around it.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator

__all__ = ["IntervalSet"]


class IntervalSet:
    """Integers as sorted, disjoint, non-adjacent half-open intervals [start, end)."""

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        # _starts[i] < _ends[i] < _starts[i + 1]: sorted, disjoint and never touching, so each
        # interval is a maximal run of members.
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, value: int) -> bool:
        """Add `value`; True when it was not a member yet."""
        return self.add_range(value, value + 1) == 1

    def add_range(self, start: int, end: int) -> int:
        """Add every integer in [start, end); returns how many of them were not members yet."""
        if end <= start:
            return 0
        starts, ends = self._starts, self._ends
        if not ends or start > ends[-1]:  # past the last run: the in-order case, made cheap
            starts.append(start)
            ends.append(end)
            return end - start
        if start == ends[-1]:  # right after the last run: extend it
            ends[-1] = end
            return end - start
        return self._merge(start, end)

    def _merge(self, start: int, end: int) -> int:
        """Add [start, end) anywhere: the runs it overlaps or touches become one."""
        starts, ends = self._starts, self._ends
        first = bisect_left(ends, start)  # the first run ending at or after `start`
        last = bisect_right(starts, end)  # past the last run starting at or before `end`
        covered = sum(
            max(0, min(e, end) - max(s, start))
            for s, e in zip(starts[first:last], ends[first:last], strict=True)
        )
        new = end - start - covered
        if first < last:
            start, end = min(start, starts[first]), max(end, ends[last - 1])
        starts[first:last] = [start]
        ends[first:last] = [end]
        return new

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        i = bisect_right(self._starts, value) - 1
        return i >= 0 and value < self._ends[i]

    def __len__(self) -> int:
        """The number of runs (intervals), which is what the set's memory grows with."""
        return len(self._starts)

    @property
    def count(self) -> int:
        """The number of members."""
        return sum(e - s for s, e in zip(self._starts, self._ends, strict=True))

    def intervals(self) -> Iterator[tuple[int, int]]:
        """The maximal runs as (start, end) pairs, end excluded, in increasing order."""
        return zip(self._starts, self._ends, strict=True)

    def __repr__(self) -> str:
        runs = ", ".join(f"[{s}, {e})" for s, e in self.intervals())
        return f"IntervalSet({runs})"
