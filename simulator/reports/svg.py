"""The SVG timeline of one subscription on the `--report` page: markup only.

One chart shares a single simulated-time axis across the state band, the queue-depth and
oldest-age line charts and the strip of push attempts, with the timeline's steps marked across
all of them. The numbers come ready from `chartdata`; every text is escaped here.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from simulator.core.recording import Sample
from simulator.core.timefmt import duration
from simulator.reports.chartdata import (
    LEFT,
    MAX_COLUMNS,
    MAX_POINTS,
    OUTCOME_COLOURS,
    PLOT,
    STATE_COLOURS,
    UNKNOWN_COLOUR,
    WIDTH,
    Axis,
    Segment,
    Ticks,
    age_ticks,
    count_ticks,
    downsample,
    label_width,
    place_labels,
    severity,
    when,
)


@dataclass(slots=True)
class Layout:
    """Vertical positions of the rows of one subscription's chart."""

    lanes: int
    lane_h: int = 15
    band_h: int = 20
    chart_h: int = 96
    strip_h: int = 24
    gap: int = 26

    @property
    def band(self) -> float:
        return 6 + self.lanes * self.lane_h + (6 if self.lanes else 0)

    @property
    def queue(self) -> float:
        return self.band + self.band_h + self.gap

    @property
    def age(self) -> float:
        return self.queue + self.chart_h + self.gap

    @property
    def strip(self) -> float:
        return self.age + self.chart_h + self.gap

    @property
    def bottom(self) -> float:
        return self.strip + self.strip_h

    @property
    def height(self) -> float:
        return self.bottom + 26


def chart(
    axis: Axis,
    segments: list[Segment],
    samples: Sequence[Sample],
    bins: dict[int, Counter[str]],
    steps: list[tuple[float, str]],
) -> str:
    """The `<svg>` of one subscription: state band, queue and age charts, attempts, steps."""
    placed = place_labels(axis, steps)
    layout = Layout(lanes=max((lane + 1 for _, _, lane in placed), default=0))
    queue = [(s.t, float(s.queued)) for s in samples]
    age = [(s.t, s.oldest_age or 0.0) for s in samples]
    body = [
        _grid(axis, layout),
        _band(axis, layout, segments),
        _line_chart(
            axis,
            layout.queue,
            layout.chart_h,
            queue,
            "events queued or in flight",
            "#3b6fd4",
            count_ticks,
        ),
        _line_chart(
            axis,
            layout.age,
            layout.chart_h,
            age,
            "age of the oldest unacknowledged event",
            "#c2571a",
            age_ticks,
        ),
        _strip(axis, layout, bins),
        _markers(axis, layout, placed),
    ]
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {layout.height:.0f}" role="img">'
        f"{''.join(body)}</svg>"
    )


def _grid(axis: Axis, layout: Layout) -> str:
    out = []
    for t, label in axis.ticks():
        x = axis.x(t)
        out.append(
            f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{layout.band:.0f}" '
            f'y2="{layout.bottom:.0f}"/><text class="tick" x="{x:.1f}" '
            f'y="{layout.bottom + 16:.0f}" text-anchor="middle">{escape(label)}</text>'
        )
    return "".join(out)


def _row_label(y: float, text: str) -> str:
    return f'<text class="row" x="{LEFT - 10}" y="{y:.1f}" text-anchor="end">{escape(text)}</text>'


def _band(axis: Axis, layout: Layout, segments: list[Segment]) -> str:
    y, h = layout.band, layout.band_h
    out = [_row_label(y + h / 2 + 4, "state")]
    for start, end, state in segments:
        x0, x1 = axis.x(start), axis.x(end)
        tip = f"{state} {when(start)} → {when(end)} ({duration(end - start)})"
        colour = STATE_COLOURS.get(state, UNKNOWN_COLOUR)
        out.append(
            f'<g><title>{escape(tip)}</title><rect x="{x0:.1f}" y="{y:.0f}" '
            f'width="{max(x1 - x0, 0.8):.1f}" height="{h}" fill="{colour}"/>'
        )
        if x1 - x0 > 7 * len(state) + 10:
            out.append(
                f'<text class="inband" x="{x0 + 6:.1f}" y="{y + h / 2 + 4:.1f}">'
                f"{escape(state)}</text>"
            )
        out.append("</g>")
    return "".join(out)


def _line_chart(
    axis: Axis,
    y: float,
    h: float,
    points: list[tuple[float, float]],
    label: str,
    colour: str,
    ticks: Ticks,
) -> str:
    step, fmt = ticks(max((v for _, v in points), default=0.0))
    top = step * max(1, math.ceil(max((v for _, v in points), default=0.0) / step - 1e-9))
    out = [f'<text class="ctitle" x="{LEFT}" y="{y - 8:.0f}">{escape(label)}</text>']
    for i in range(round(top / step) + 1):
        ty = y + h - h * i * step / top
        out.append(
            f'<line class="hgrid" x1="{LEFT}" x2="{LEFT + PLOT}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
            f'<text class="tick" x="{LEFT - 10}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(i * step))}</text>"
        )
    if points:
        coords = [
            (axis.x(t), y + h - h * v / top) for t, v in downsample(points, axis.span, MAX_POINTS)
        ]
        line = "L".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        base = y + h
        out.append(
            f'<path d="M{coords[0][0]:.1f},{base:.1f}L{line}L{coords[-1][0]:.1f},{base:.1f}Z" '
            f'fill="{colour}" fill-opacity=".12"/>'
            f'<path d="M{line}" fill="none" stroke="{colour}" stroke-width="1.6" '
            'stroke-linejoin="round"/>'
        )
    else:
        out.append(_no_data(y + h / 2))
    return "".join(out)


def _no_data(y: float) -> str:
    return (
        f'<text class="tick" x="{LEFT + PLOT / 2}" y="{y:.0f}" text-anchor="middle">'
        "no samples</text>"
    )


def _strip(axis: Axis, layout: Layout, bins: dict[int, Counter[str]]) -> str:
    y, h = layout.strip, layout.strip_h
    out = [
        _row_label(y + h / 2 + 4, "attempts"),
        f'<rect x="{LEFT}" y="{y:.0f}" width="{PLOT}" height="{h}" class="track"/>',
    ]
    width = PLOT / MAX_COLUMNS
    per_column = axis.span / MAX_COLUMNS
    for column, counts in sorted(bins.items()):
        x = LEFT + column * width
        start = column * per_column
        out.append(_column(x, y, max(width + 0.3, 1.6), h, counts, (start, start + per_column)))
    return "".join(out)


def _column(
    x: float, y: float, w: float, h: float, counts: Counter[str], span: tuple[float, float]
) -> str:
    kinds = sorted(counts, key=severity)
    worst = kinds[-1]
    failed = counts.total() - counts.get("success", 0)
    tally = ", ".join(f"{counts[k]:,} {k}" for k in kinds)
    tip = f"{when(span[0])} – {when(span[1])}: {tally}"
    parts = [f"<g><title>{escape(tip)}</title>"]
    fail_h = 0.0 if not failed else h * max(0.35, failed / counts.total())
    if fail_h < h:
        parts.append(
            f'<rect x="{x:.1f}" y="{y + fail_h:.1f}" width="{w:.1f}" height="{h - fail_h:.1f}" '
            f'fill="{OUTCOME_COLOURS["success"]}"/>'
        )
    if fail_h:
        colour = OUTCOME_COLOURS.get(worst, UNKNOWN_COLOUR)
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.0f}" width="{w:.1f}" height="{fail_h:.1f}" fill="{colour}"/>'
        )
    parts.append("</g>")
    return "".join(parts)


def _markers(axis: Axis, layout: Layout, placed: list[tuple[float, str, int]]) -> str:
    out = []
    for x, text, lane in placed:
        ty = 6 + lane * layout.lane_h + 11
        anchor, dx = ("end", -4) if x + label_width(text) > WIDTH else ("start", 4)
        out.append(
            f'<g><title>{escape(text)}</title><line class="step" x1="{x:.1f}" x2="{x:.1f}" '
            f'y1="{ty - 10:.0f}" y2="{layout.bottom:.0f}"/><text class="steplabel" '
            f'x="{x + dx:.1f}" y="{ty:.0f}" text-anchor="{anchor}">{escape(text)}</text></g>'
        )
    return "".join(out)
