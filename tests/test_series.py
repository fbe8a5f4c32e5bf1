"""The bounded time series of a run: attempts counted in at most `cap` buckets that merge pairwise
when the run outgrows them, and samples thinned to at most `cap`. Pure data structures."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from recordings import attempt

from simulator.core.outcome import OutcomeKind
from simulator.core.series import CAP, PLANNED, OutcomeSeries, Sample, SampleSeries
from simulator.reports.chartdata import attempt_columns

OUTCOMES = [str(kind) for kind in OutcomeKind]


def test_a_run_as_long_as_planned_fills_the_planned_buckets() -> None:
    """600 buckets over a 1200 s plan: 2 s each; 0 s and 1.9 s share one, 2 s is the next."""
    series = OutcomeSeries(1200.0)
    for t in (0.0, 1.9, 2.0):
        series.add(t, "success")
    assert series.width == 2.0
    assert list(series.buckets()) == [(0, {"success": 2}), (1, {"success": 1})]


def test_a_time_before_zero_counts_in_the_first_bucket() -> None:
    """Nothing is lost at the left edge."""
    series = OutcomeSeries(10.0, buckets=10, cap=16)
    series.add(-3.0, "timeout")
    assert list(series.buckets()) == [(0, {"timeout": 1})]


def test_a_run_past_the_cap_merges_neighbours_and_doubles_the_width() -> None:
    """4 buckets of 1 s: at 4 s they merge into 2 of 2 s (0-1 and 2-3), the new time in bucket 2."""
    series = OutcomeSeries(2.0, buckets=2, cap=4)
    for t in (0.5, 1.5, 2.5, 3.5):
        series.add(t, "success")
    series.add(4.0, "http_error")
    assert series.width == 2.0
    assert list(series.buckets()) == [
        (0, {"success": 2}),
        (1, {"success": 2}),
        (2, {"http_error": 1}),
    ]


def test_a_time_far_past_the_cap_merges_as_often_as_needed() -> None:
    """1 s buckets, cap 4, a time at 100 s: the width doubles to 32 s, the time in bucket 3."""
    series = OutcomeSeries(2.0, buckets=2, cap=4)
    series.add(0.0, "success")
    series.add(100.0, "success")
    assert series.width == 32.0
    assert list(series.buckets()) == [(0, {"success": 1}), (3, {"success": 1})]


def test_planned_buckets_must_fit_the_cap() -> None:
    """A plan of more buckets than the cap allows is a programming error, said at once."""
    with pytest.raises(ValueError, match="do not fit"):
        OutcomeSeries(10.0, buckets=8, cap=4)


@given(
    st.lists(
        st.tuples(st.floats(-10.0, 5_000.0), st.sampled_from(OUTCOMES)), min_size=1, max_size=300
    ),
    st.integers(1, 8),
)
def test_buckets_never_exceed_the_cap_and_lose_no_attempt(
    attempts: list[tuple[float, str]], planned: int
) -> None:
    """However far the times run, at most `cap` buckets, and every attempt counted once."""
    series = OutcomeSeries(10.0, buckets=planned, cap=8)
    for t, outcome in attempts:
        series.add(t, outcome)
    buckets = list(series.buckets())
    assert all(0 <= index < 8 for index, _ in buckets)
    assert sum((tally for _, tally in buckets), Counter()) == Counter(o for _, o in attempts)
    for t, outcome in attempts:  # each time still lies in a bucket that counts its outcome
        index = max(int(t * series.scale), 0)
        assert dict(buckets)[index][outcome] > 0


@given(
    st.lists(st.tuples(st.floats(-10.0, 1_700.0), st.sampled_from(list(OutcomeKind))), max_size=300)
)
def test_columns_of_a_run_ended_as_planned_equal_the_columns_of_its_records(
    attempts: list[tuple[float, OutcomeKind]],
) -> None:
    """The report's columns from the buckets are those the old code drew from every record."""
    records = [attempt(t, outcome) for t, outcome in attempts]
    series = OutcomeSeries(1200.0)
    for record in records:
        series.add(record.at, str(record.outcome))
    assert series.columns(1200.0, PLANNED) == attempt_columns(records, 1200.0, PLANNED)


def sample(t: float, queued: int = 0, age: float | None = None) -> Sample:
    return Sample(t, "active" if queued == 0 else "retrying", queued, age)


def test_samples_up_to_the_cap_read_back_as_they_were_given() -> None:
    """State, queue and age, a missing age included."""
    given_samples = [sample(0.0), sample(1.0, 5, 0.5), sample(2.0, 0, None)]
    series = SampleSeries(cap=4)
    for s in given_samples:
        series.add(s)
    assert list(series) == given_samples
    assert series[1:] == given_samples[1:]


def test_past_the_cap_every_other_sample_is_dropped_and_the_stride_doubles() -> None:
    """Cap 4: the fifth sample thins 0..3 to 0, 2 and the stride is 2, so 0..7 keep 0, 2, 4, 6;
    the ninth thins again: 0, 4, 8 with a stride of 4."""
    series = SampleSeries(cap=4)
    for t in range(8):
        series.add(sample(float(t)))
    assert ([s.t for s in series], series.stride) == ([0.0, 2.0, 4.0, 6.0], 2)
    series.add(sample(8.0))
    assert ([s.t for s in series], series.stride) == ([0.0, 4.0, 8.0], 4)


@given(st.integers(0, 5_000), st.sampled_from([2, 4, 16, CAP]))
def test_a_sample_series_never_holds_more_than_its_cap(count: int, cap: int) -> None:
    """At most `cap` samples, in time order, every one a multiple of the stride."""
    series = SampleSeries(cap=cap)
    for t in range(count):
        series.add(sample(float(t), t % 7, None if t % 3 else float(t)))
    times = [s.t for s in series]
    assert len(times) <= cap
    assert times == sorted(times)
    assert all(t % series.stride == 0 for t in times)
    assert len(times) == min(count, math.ceil(count / series.stride))


def test_a_sample_series_needs_an_even_cap() -> None:
    """Thinning halves it exactly."""
    with pytest.raises(ValueError, match="even cap"):
        SampleSeries(cap=5)
