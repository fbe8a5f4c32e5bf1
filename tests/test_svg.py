"""A subscription's SVG timeline: the rows it stacks, what it says when there is nothing to draw,
and where step labels go."""

from __future__ import annotations

from collections import Counter

from simulator.core.recording import Sample
from simulator.reports.chartdata import Axis
from simulator.reports.svg import Layout, chart

AXIS = Axis(1200.0)
ACTIVE = [(0.0, 1200.0, "active")]


def test_rows_stack_below_the_step_label_lanes() -> None:
    """State band, queue chart, age chart and attempt strip, one under the other."""
    bare, labelled = Layout(lanes=0), Layout(lanes=2)
    rows = (bare.band, bare.queue, bare.age, bare.strip, bare.bottom, bare.height)
    assert rows == (6, 52, 174, 296, 320, 346)
    assert labelled.band == 6 + 2 * 15 + 6
    assert labelled.height - bare.height == 36


def test_the_chart_is_as_tall_as_its_layout() -> None:
    """No steps: no label lane above the band."""
    svg = chart(AXIS, ACTIVE, [], {}, [])
    assert svg.startswith('<svg class="chart" viewBox="0 0 1100 346" role="img">')


def test_a_subscription_without_samples_says_so_on_both_charts() -> None:
    """No queue line and no age line: "no samples" twice, no path drawn."""
    svg = chart(AXIS, ACTIVE, [], {}, [])
    assert svg.count("no samples") == 2
    assert "<path" not in svg


def test_samples_draw_a_filled_line_on_each_chart() -> None:
    """Queue depth and oldest age: an area and a line each."""
    samples = [Sample(t, "active", int(t), t / 2) for t in (0.0, 600.0, 1200.0)]
    svg = chart(AXIS, ACTIVE, samples, {}, [])
    assert svg.count('fill-opacity=".12"') == 2
    assert svg.count('fill="none" stroke=') == 2


def test_a_step_near_the_right_edge_is_labelled_leftwards() -> None:
    """A label that would run off the chart ends at its step's line instead."""
    svg = chart(AXIS, ACTIVE, [], {}, [(10.0, "early"), (1190.0, "late")])
    assert 'text-anchor="start">1 early</text>' in svg
    assert 'text-anchor="end">2 late</text>' in svg


def test_an_attempt_column_shows_its_worst_outcome_and_its_tally() -> None:
    """Timeouts among successes: the timeout colour on top, the counts in the tooltip."""
    svg = chart(AXIS, ACTIVE, [], {0: Counter(success=3, timeout=1)}, [])
    assert "+00:00:00 – +00:00:02: 3 success, 1 timeout" in svg
    assert 'fill="#8553c7"' in svg
