"""What the report draws, before markup: state spans, attempt columns, thinned samples, the time
axis and its ticks, step-label lanes and compact labels."""

from __future__ import annotations

import pytest
from recordings import DAY, START, attempt, recording

from simulator.core.outcome import OutcomeKind
from simulator.core.records import StateChange
from simulator.core.tracks import Tracks
from simulator.reports.chartdata import (
    LEFT,
    MAX_COLUMNS,
    MAX_POINTS,
    PLOT,
    Axis,
    age_ticks,
    attempt_columns,
    compact,
    count_ticks,
    downsample,
    nice_step,
    place_labels,
    severity,
    short_duration,
    state_segments,
    time_label,
    track_columns,
    unkept,
)


def test_state_segments_start_from_the_first_sample() -> None:
    """The state band is the first sample's state, then each change in time order."""
    assert state_segments(recording(), "leads") == [
        (0.0, 300.0, "active"),
        (300.0, 840.0, "retrying"),
        (840.0, 1020.0, "paused"),
        (1020.0, 1200.0, "active"),
    ]


@pytest.mark.parametrize(
    ("end", "labels"),
    [
        pytest.param(540.0, ["+00:00:00", "+00:01:00", "+00:09:00"], id="minutes"),
        pytest.param(7 * DAY, ["+0d", "+1d", "+7d"], id="days"),
    ],
)
def test_time_axis_ticks_are_readable(end: float, labels: list[str]) -> None:
    """Ticks fall on round simulated times, labelled +HH:MM:SS or in days for long runs."""
    ticks = [label for _, label in Axis(end).ticks()]
    assert {labels[0], labels[1], labels[-1]} <= set(ticks)
    assert len(ticks) <= 11


def test_downsample_keeps_the_peaks() -> None:
    """Thinning samples to at most MAX_POINTS keeps every bucket's extremes."""
    points = [(float(t), 1.0) for t in range(10_000)]
    points[4321] = (4321.0, 99.0)
    thinned = downsample(points, 10_000.0)
    assert len(thinned) <= MAX_POINTS
    assert (4321.0, 99.0) in thinned


def test_attempt_columns_count_outcomes_per_bucket() -> None:
    """Attempts fall into time columns that keep the count of each outcome."""
    attempts = [attempt(0.0), attempt(0.5, OutcomeKind.TIMEOUT), attempt(1200.0)]
    columns = attempt_columns(attempts, 1200.0)
    assert columns[0] == {"success": 1, "timeout": 1}
    assert columns[MAX_COLUMNS - 1] == {"success": 1}


def test_short_series_are_drawn_as_they_are() -> None:
    """Up to the bound, every point is kept, in order."""
    points = [(0.0, 3.0), (1.0, 1.0), (2.0, 2.0)]
    assert downsample(points, 2.0, most=3) == points


@pytest.mark.parametrize("count", [1_001, 5_000, 123_457])
def test_downsampling_never_exceeds_its_bound(count: int) -> None:
    """However many samples, at most `most` points, in time order."""
    points = [(float(t), float(t % 97)) for t in range(count)]
    thinned = downsample(points, float(count), most=MAX_POINTS)
    assert len(thinned) <= MAX_POINTS
    assert thinned == sorted(thinned)


def test_attempts_outside_the_run_fall_into_the_edge_columns() -> None:
    """A record before 0 or after the end is counted in the first or last column."""
    columns = attempt_columns([attempt(-5.0), attempt(5_000.0)], 1200.0)
    assert dict(columns) == {0: {"success": 1}, MAX_COLUMNS - 1: {"success": 1}}


def test_a_run_that_ends_as_planned_is_binned_from_its_buckets_as_from_its_records() -> None:
    """The buckets a run kept give the same columns as its attempts would, edges included."""
    records = [attempt(t) for t in (-5.0, 0.0, 1.999, 2.0, 599.0, 1199.999, 1200.0, 2000.0)]
    records += [attempt(t, OutcomeKind.TIMEOUT) for t in (0.5, 300.0, 1000.0 / 3)]
    track = Tracks.of(records, horizon=1200.0).track("leads")
    assert track_columns(track, 1200.0) == attempt_columns(records, 1200.0)


def test_a_run_cut_short_falls_into_the_columns_of_its_buckets_middles() -> None:
    """Planned for 1200 s, ended at 600 s: each 2 s bucket lands in the column of its middle."""
    track = Tracks.of([attempt(0.0), attempt(3.0)], horizon=1200.0).track("leads")
    assert track_columns(track, 600.0) == {1: {"success": 1}, 3: {"success": 1}}


def test_the_changes_not_kept_are_one_span_between_the_first_and_last_ones() -> None:
    """Two changes kept at each end of six: the span from the second to the fifth is grey and
    says two changes were not kept."""
    states = ["retrying", "active"] * 3
    changes = [
        StateChange(100.0 * i, START + 100 * i, "leads", "x", state, "flap")
        for i, state in enumerate(states, start=1)
    ]
    tracks = Tracks(1200.0, keep=2)
    for change in changes:
        tracks.state_changed(change)
    rec = recording(changes=[])
    rec.tracks = tracks
    assert state_segments(rec, "leads") == [
        (0.0, 100.0, "active"),
        (100.0, 200.0, "retrying"),
        (200.0, 500.0, unkept(2)),
        (500.0, 600.0, "retrying"),
        (600.0, 1200.0, "active"),
    ]


def test_outcomes_rank_from_best_to_worst() -> None:
    """success < http_error < timeout < connection_error < auth_error < anything unknown."""
    kinds = ["unknown", "auth_error", "success", "timeout", "connection_error", "http_error"]
    assert sorted(kinds, key=severity) == [
        "success",
        "http_error",
        "timeout",
        "connection_error",
        "auth_error",
        "unknown",
    ]


def test_a_run_without_changes_is_one_span_of_its_first_state() -> None:
    """No state change: the first sample's state from 0 to the end."""
    assert state_segments(recording(changes=[]), "leads") == [(0.0, 1200.0, "active")]


def test_the_axis_maps_the_run_onto_the_plot_and_clamps() -> None:
    """0 is the left edge, the end the right one; times outside stay on the edges."""
    axis = Axis(1000.0)
    assert (axis.x(0.0), axis.x(500.0), axis.x(1000.0)) == (LEFT, LEFT + PLOT / 2, LEFT + PLOT)
    assert (axis.x(-1.0), axis.x(2000.0)) == (LEFT, LEFT + PLOT)
    assert Axis(0.0).span == 1.0


@pytest.mark.parametrize(
    ("t", "span", "label"),
    [
        pytest.param(540.0, 540.0, "+00:09:00", id="whole-seconds"),
        pytest.param(0.25, 1.0, "+00:00:00.250", id="milliseconds"),
        pytest.param(3 * DAY, 7 * DAY, "+3d", id="days"),
        pytest.param(3 * DAY + 6 * 3600, 7 * DAY, "+3d06h", id="days-and-hours"),
    ],
)
def test_tick_labels(t: float, span: float, label: str) -> None:
    """+HH:MM:SS with milliseconds only when needed; days and hours on multi-day runs."""
    assert time_label(t, span) == label


@pytest.mark.parametrize(
    ("top", "step"),
    [
        pytest.param(0.0, 1.0, id="empty"),
        pytest.param(7.0, 2.0, id="small"),
        pytest.param(700.0, 200.0, id="hundreds"),
        pytest.param(4000.0, 1000.0, id="exact"),
    ],
)
def test_value_steps_are_one_two_five(top: float, step: float) -> None:
    """The smallest 1-2-5 step that draws the top in at most four intervals."""
    assert nice_step(top) == step


def test_age_steps_are_round_durations() -> None:
    """An age chart's step comes from the time ladder: 10 minutes for a 35-minute top."""
    step, label = age_ticks(35 * 60.0)
    assert (step, label(step)) == (600.0, "10m")


@pytest.mark.parametrize(
    ("n", "text"),
    [
        pytest.param(12, "12", id="small"),
        pytest.param(2.5, "2.5", id="fraction"),
        pytest.param(3_400, "3.4k", id="thousands"),
        pytest.param(1_250_000, "1.25M", id="millions"),
    ],
)
def test_count_labels_are_compact(n: float, text: str) -> None:
    """Counts read 12, 3.4k, 1.25M."""
    assert compact(n) == text
    assert count_ticks(float(n))[1] is compact


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(600.0, "10m", id="minutes"),
        pytest.param(7200.0, "2h", id="hours"),
        pytest.param(5400.0, "1h30m", id="mixed"),
    ],
)
def test_age_labels_drop_zero_tails(seconds: float, text: str) -> None:
    """Durations without their zero tail: 10m, 2h, 1h30m."""
    assert short_duration(seconds) == text


def test_step_labels_share_lanes_until_they_would_overlap() -> None:
    """Far-apart steps share the first lane; a close one moves to the next."""
    axis = Axis(1000.0)
    placed = place_labels(axis, [(0.0, "start"), (10.0, "close"), (900.0, "far")])
    assert [(text, lane) for _, text, lane in placed] == [
        ("1 start", 0),
        ("2 close", 1),
        ("3 far", 0),
    ]


def test_crowded_step_labels_shrink_to_their_number() -> None:
    """With every lane taken, a label is its number alone, on the lane that frees first."""
    axis = Axis(1000.0)
    steps = [(0.0, "a step"), (1.0, "b step"), (2.0, "c step"), (3.0, "d step")]
    assert [text for _, text, _ in place_labels(axis, steps)] == [
        "1 a step",
        "2 b step",
        "3 c step",
        "4",
    ]


def test_long_step_labels_are_cut() -> None:
    """Labels over 32 characters end in an ellipsis after 31."""
    (placed,) = place_labels(Axis(1000.0), [(0.0, "x" * 40)])
    assert placed[1] == "1 " + "x" * 31 + "…"
