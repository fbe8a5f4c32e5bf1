"""A set of integers kept as its maximal runs (simulator.core.intervals): it answers exactly like
a plain `set` of every member, and holds one interval per maximal run."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from simulator.core.intervals import IntervalSet

# An operation: add one value, or add the range [start, start + length).
ADD = st.tuples(st.just("add"), st.integers(0, 200), st.just(1))
RUN = st.tuples(st.just("range"), st.integers(0, 200), st.integers(0, 30))
OPERATIONS = st.lists(st.one_of(ADD, RUN), max_size=60)


def maximal_runs(members: set[int]) -> list[tuple[int, int]]:
    """The maximal runs of consecutive members, as half-open (start, end) pairs."""
    runs: list[tuple[int, int]] = []
    for value in sorted(members):
        if runs and runs[-1][1] == value:
            runs[-1] = (runs[-1][0], value + 1)
        else:
            runs.append((value, value + 1))
    return runs


@given(OPERATIONS)
def test_answers_like_a_set_of_every_member(operations: list[tuple[str, int, int]]) -> None:
    """Any mix of single adds and ranges, in any order and with repeats, gets the same answers
    as a plain set: whether a value was new, how many of a range were new, and membership."""
    intervals, model = IntervalSet(), set[int]()
    for kind, start, length in operations:
        if kind == "add":
            assert intervals.add(start) is (start not in model)
            model.add(start)
        else:
            fresh = set(range(start, start + length)) - model
            assert intervals.add_range(start, start + length) == len(fresh)
            model |= fresh
    assert [v for v in range(-1, 240) if v in intervals] == sorted(model)
    assert intervals.count == len(model)


@given(OPERATIONS)
def test_holds_one_interval_per_maximal_run(operations: list[tuple[str, int, int]]) -> None:
    """After any adds the intervals are exactly the maximal runs of the members: neighbours are
    merged, so the interval count is the number of runs, not of members."""
    intervals, model = IntervalSet(), set[int]()
    for _, start, length in operations:
        intervals.add_range(start, start + length)
        model |= set(range(start, start + length))
    assert list(intervals.intervals()) == maximal_runs(model)
    assert len(intervals) == len(maximal_runs(model))


def test_in_order_adds_stay_one_interval() -> None:
    """A hundred thousand sequence numbers added in order are one interval."""
    intervals = IntervalSet()
    assert all(intervals.add(seq) for seq in range(100_000))
    assert (len(intervals), intervals.count) == (1, 100_000)


def test_filling_a_gap_merges_the_runs_around_it() -> None:
    """Adding the one value between two runs leaves a single run."""
    intervals = IntervalSet()
    intervals.add_range(0, 10)
    intervals.add_range(11, 20)
    assert intervals.add(10) is True
    assert list(intervals.intervals()) == [(0, 20)]


def test_a_repeat_is_not_new() -> None:
    """A value added again is reported as seen; a range over members adds nothing."""
    intervals = IntervalSet()
    intervals.add_range(5, 15)
    assert intervals.add(7) is False
    assert intervals.add_range(5, 15) == 0
    assert intervals.add_range(10, 20) == 5


def test_an_empty_range_adds_nothing() -> None:
    """A range whose end is not after its start adds nothing and makes no interval."""
    intervals = IntervalSet()
    assert (intervals.add_range(3, 3), intervals.add_range(4, 2), len(intervals)) == (0, 0, 0)
