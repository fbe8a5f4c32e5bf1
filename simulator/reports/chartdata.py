"""What the `--report` page draws, before any markup: numbers and short texts from a `Recording`.

The state spans of a subscription, its attempts binned into time columns (from the bounded
buckets the run kept, `simulator.core.series`), its samples thinned to at most `MAX_POINTS`
points, the simulated-time axis and its ticks, the lanes of the step labels, and the compact
texts of tick labels. `svg` and `html` turn these into markup.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from simulator.core.recording import Recording
from simulator.core.records import AttemptRecord, StateChange
from simulator.core.series import PLANNED
from simulator.core.timefmt import duration, offset
from simulator.core.tracks import Track

DAY = 86_400.0
MAX_COLUMNS = PLANNED  # attempt-strip columns per subscription: the buckets a run plans for
MAX_POINTS = 1000  # points per line chart
WIDTH, LEFT, RIGHT = 1100, 96, 36  # the chart's width and margins, in SVG units
PLOT = WIDTH - LEFT - RIGHT

# Outcomes from best to worst: a strip column takes the colour of the worst outcome in it.
OUTCOME_COLOURS = {
    "success": "#2f9e5f",
    "http_error": "#ef7d22",
    "timeout": "#8553c7",
    "connection_error": "#d1453b",
    "auth_error": "#1f2328",
}
STATE_COLOURS = {
    "active": "#2f9e5f",
    "pending": "#1aa3b8",
    "retrying": "#e9a825",
    "unstable": "#e9a825",
    "paused": "#d1453b",
    "disabled": "#d1453b",
    "deprovisioned": "#9aa1a9",
}
UNKNOWN_COLOUR = "#c9ced4"
TIME_STEPS = (
    *(m * 10.0**e for e in range(-3, 1) for m in (1, 2, 5)),
    10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
    DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY,
)  # fmt: skip

Segment = tuple[float, float, str]  # (start, end, state) in simulated seconds
Ticks = Callable[[float], tuple[float, Callable[[float], str]]]  # top -> (step, label text)


# -- data shaping -----------------------------------------------------------------------------


def state_segments(recording: Recording, name: str) -> list[Segment]:
    """(start, end, state) spans over the run, from the first sample and the state changes.

    When the run kept only the first and last changes of a subscription (`ChangeLog`), the span
    between them is one grey span named after the number of changes not kept."""
    end = max(recording.ended_at, 0.0)
    log = recording.tracks.view(name).changes
    # Head and tail each in time order; with nothing dropped, they are one list in time order.
    kept = [*_by_time(log.head), *_by_time(log.tail)] if log.dropped else _by_time(log.kept)
    samples = recording.samples.get(name)
    state = samples[0].state if samples else (kept[0].old if kept else "unknown")
    moves = [(c.at, c.new) for c in kept]
    if log.dropped:  # from the last of the first changes kept to the first of the last ones
        moves[len(log.head) - 1] = (moves[len(log.head) - 1][0], unkept(log.dropped))
    segments, start = [], 0.0
    for t, new in moves:
        at = min(max(t, 0.0), end)
        if at > start:
            segments.append((start, at, state))
        start, state = at, new
    segments.append((start, end, state))  # zero-length only when the last change is at the end
    return segments


def _by_time(changes: Iterable[StateChange]) -> list[StateChange]:
    return sorted(changes, key=lambda c: c.at)


def unkept(count: int) -> str:
    """The name of the span that stands for `count` state changes counted but not kept."""
    return f"{count:,} changes not kept"


def track_columns(track: Track, end: float, columns: int = MAX_COLUMNS) -> dict[int, Counter[str]]:
    """A subscription's outcome counts per time column, from the buckets its run kept."""
    return track.outcomes.columns(end if end > 0 else 1.0, columns)


def downsample(
    points: Sequence[tuple[float, float]], end: float, most: int = MAX_POINTS
) -> list[tuple[float, float]]:
    """At most `most` points in time order, keeping each time bucket's minimum and maximum."""
    if len(points) <= most:
        return list(points)
    buckets = most // 2
    out: list[tuple[float, float]] = []
    for _, group in groupby(points, key=lambda p: min(int(p[0] / end * buckets), buckets - 1)):
        members = list(group)
        low, high = min(members, key=lambda p: p[1]), max(members, key=lambda p: p[1])
        out.extend(sorted({low, high}))
    return out


def attempt_columns(
    attempts: Iterable[AttemptRecord], end: float, columns: int = MAX_COLUMNS
) -> dict[int, Counter[str]]:
    """Outcome counts per time column; a column is `end / columns` simulated seconds wide. From
    records in hand (a test's); a run's report reads `track_columns`, which agrees with this."""
    scale = columns / end
    tally = Counter((int(record.at * scale), record.outcome) for record in attempts)
    bins: dict[int, Counter[str]] = defaultdict(Counter)
    for (column, outcome), n in tally.items():
        bins[min(max(column, 0), columns - 1)][outcome] += n
    return bins


def severity(kind: str) -> int:
    """The rank of an outcome from best (0) to worst; an unknown kind ranks below them all."""
    order = list(OUTCOME_COLOURS)
    return order.index(kind) if kind in order else len(order)


# -- axes -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Axis:
    """Simulated time from 0 to `end`, drawn across the plot area."""

    end: float

    @property
    def span(self) -> float:
        return self.end if self.end > 0 else 1.0

    def x(self, t: float) -> float:
        return LEFT + PLOT * min(max(t, 0.0), self.span) / self.span

    def ticks(self) -> list[tuple[float, str]]:
        step = next((s for s in TIME_STEPS if self.span / s <= 10), self.span / 10)
        count = math.floor(self.span / step + 1e-9)
        return [(i * step, time_label(i * step, self.span)) for i in range(count + 1)]


def when(t: float) -> str:
    """`offset(t)` without zero milliseconds: +00:09:00."""
    text = offset(t)
    return text[:-4] if text.endswith(".000") else text


def time_label(t: float, span: float) -> str:
    """A tick label: +HH:MM:SS (milliseconds only when needed), days for multi-day runs."""
    if span >= 2 * DAY:
        days, rest = divmod(round(t), round(DAY))
        return f"+{days}d" if rest == 0 else f"+{days}d{rest // 3600:02d}h"
    return when(t)


def nice_step(top: float, ladder: Sequence[float] | None = None, most: int = 4) -> float:
    """The smallest step from `ladder` (1-2-5 by default) giving at most `most` intervals."""
    if top <= 0:
        return 1.0
    if ladder is None:
        magnitude = 10 ** math.floor(math.log10(top / most))
        ladder = [m * magnitude for m in (1, 2, 5, 10)]
    return next((s for s in ladder if top / s <= most), top / most)


def compact(n: float) -> str:
    """12, 3.4k, 1.2M."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            return f"{n / size:.3g}{suffix}"
    return f"{n:.3g}" if n != int(n) else str(int(n))


def short_duration(seconds: float) -> str:
    """`duration` without a zero tail: 10m, 2h, 1d, 1h30m."""
    text = duration(seconds)
    return text[:-3] if len(text) > 3 and text[-3:-1] == "00" else text


def count_ticks(top: float) -> tuple[float, Callable[[float], str]]:
    """Ticks of a count chart: a 1-2-5 step, labels like 3.4k."""
    return nice_step(max(top, 1.0)), compact


def age_ticks(top: float) -> tuple[float, Callable[[float], str]]:
    """Ticks of an age chart: a whole-second time step, labels like 10m."""
    return nice_step(max(top, 1.0), [s for s in TIME_STEPS if s >= 1]), short_duration


# -- step labels ------------------------------------------------------------------------------


def place_labels(
    axis: Axis, steps: Sequence[tuple[float, str]], lanes: int = 3
) -> list[tuple[float, str, int]]:
    """(x, text, lane) per step, each label on the first of `lanes` lanes it does not overlap."""
    ends = [-math.inf] * lanes
    placed: list[tuple[float, str, int]] = []
    for i, (t, label) in enumerate(steps, 1):
        text = f"{i} {label}" if len(label) <= 32 else f"{i} {label[:31]}…"
        x = axis.x(t)
        width = label_width(text)
        left = x - width if x + width > WIDTH else x
        lane = next((n for n, end in enumerate(ends) if end < left), None)
        if lane is None:  # crowded: the number alone, on the emptiest lane
            text, lane = str(i), min(range(lanes), key=ends.__getitem__)
            width, left = label_width(text), x
        ends[lane] = max(ends[lane], left + width)
        placed.append((x, text, lane))
    return placed


def label_width(text: str) -> float:
    """The room a step label takes, in SVG units: 6.2 per character of 11px text, and a margin."""
    return 6.2 * len(text) + 12
