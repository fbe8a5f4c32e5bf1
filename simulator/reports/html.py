"""The `--report` page: one self-contained HTML file drawn from a `Recording`.

Inline CSS and inline SVG drawn here; no JavaScript, no external URL, so it opens offline. Per
subscription one SVG shares a single simulated-time axis across the state band, the queue-depth
and oldest-age charts and the strip of push attempts. Big runs stay small: attempts are binned
into at most `MAX_COLUMNS` columns and samples into at most `MAX_POINTS` points per chart.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import groupby

from simulator import __version__
from simulator.core.delivery import Ledger
from simulator.core.records import AttemptRecord
from simulator.core.timefmt import duration, iso, offset
from simulator.timeline.recording import Recording, Sample, Verdict

DAY = 86_400.0
MAX_COLUMNS = 600  # attempt-strip columns per subscription
MAX_POINTS = 1000  # points per line chart
WIDTH, LEFT, RIGHT = 1100, 96, 36
PLOT = WIDTH - LEFT - RIGHT

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
# Outcomes from best to worst: a strip column takes the colour of the worst outcome in it.
OUTCOME_COLOURS = {
    "success": "#2f9e5f",
    "http_error": "#ef7d22",
    "timeout": "#8553c7",
    "connection_error": "#d1453b",
    "auth_error": "#1f2328",
}
LEDGER_ROWS = (
    ("produced", "produced"),
    ("acknowledged", "acknowledged"),
    ("expired", "expired"),
    ("discarded", "discarded"),
    ("dropped", "dropped"),
    ("queued", "queued"),
    ("in flight", "in_flight"),
)
TIME_STEPS = (
    *(m * 10.0**e for e in range(-3, 1) for m in (1, 2, 5)),
    10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
    DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY,
)  # fmt: skip


def render_html(recording: Recording) -> str:
    """The whole report page as one string."""
    attempts = _by_subscription(recording.attempts)
    parts = [
        _head(recording),
        _header(recording),
        _expectations(recording),
        _steps_table(recording),
        *(
            _subscription(recording, name, attempts.get(name, []))
            for name in recording.subscriptions
        ),
        _endpoint(recording.endpoint),
        f"<footer>marketo-stream-simulator {escape(__version__)}</footer>",
        "</main></body></html>\n",
    ]
    return "".join(parts)


# -- the page -------------------------------------------------------------------------------


def _head(recording: Recording) -> str:
    title = escape(f"{recording.title} · {'PASS' if recording.passed else 'FAIL'}")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head><body><main>"
    )


def _header(recording: Recording) -> str:
    start, end = recording.start_wall, recording.start_wall + recording.ended_at
    meta = [
        ("munchkin", recording.munchkin_id),
        ("seed", str(recording.seed)),
        ("simulated", f"{duration(recording.ended_at)} ({when(recording.ended_at)})"),
        ("from", iso(start)),
        ("to", iso(end)),
    ]
    items = "".join(f"<span><b>{escape(k)}</b> {escape(v)}</span>" for k, v in meta)
    return (
        f'<header><div class="title"><h1>{escape(recording.title)}</h1>{_badge(recording)}</div>'
        f'<div class="meta">{items}</div></header>'
    )


def _badge(recording: Recording) -> str:
    total = len(recording.verdicts)
    failed = sum(not v.passed for v in recording.verdicts)
    if not total:
        return '<span class="badge none">NO EXPECTATIONS</span>'
    if failed:
        verdict, count = "fail", f"{failed} of {total} failed"
    else:
        verdict, count = "pass", f"{total} of {total} passed"
    return (
        f'<span class="badge {verdict}">{verdict.upper()}</span><span class="count">{count}</span>'
    )


def _expectations(recording: Recording) -> str:
    if not recording.verdicts:
        return '<section><h2>Expectations</h2><p class="muted">None were declared.</p></section>'
    ordered = sorted(recording.verdicts, key=lambda v: v.passed)  # failures first, order kept
    rows = "".join(_verdict_row(v, recording.ended_at) for v in ordered)
    return (
        '<section><h2>Expectations</h2><table class="verdicts"><thead><tr><th></th>'
        "<th>expectation</th><th>expected</th><th>observed</th><th>at</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def when(t: float) -> str:
    """`offset(t)` without zero milliseconds: +00:09:00."""
    text = offset(t)
    return text[:-4] if text.endswith(".000") else text


def _verdict_row(verdict: Verdict, ended_at: float) -> str:
    mark = '<span class="ok">✓ pass</span>' if verdict.passed else '<span class="ko">✗ fail</span>'
    at = when(verdict.at) if verdict.at is not None else f"end {when(ended_at)}"
    return (
        f'<tr class="{"pass" if verdict.passed else "fail"}"><td>{mark}</td>'
        f"<td>{escape(verdict.name)}</td><td>{escape(verdict.expected)}</td>"
        f'<td>{escape(verdict.observed)}</td><td class="at">{escape(at)}</td></tr>'
    )


def _steps_table(recording: Recording) -> str:
    if not recording.steps:
        return ""
    rows = "".join(
        f'<tr><td class="num">{i}</td><td class="at">{escape(when(t))}</td>'
        f"<td>{escape(label)}</td></tr>"
        for i, (t, label) in enumerate(sorted(recording.steps), 1)
    )
    return (
        '<section><h2>Steps</h2><table class="steps"><thead><tr><th>#</th><th>at</th>'
        f"<th>step</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _subscription(recording: Recording, name: str, attempts: list[AttemptRecord]) -> str:
    axis = Axis(recording.ended_at)
    samples = recording.samples.get(name, [])
    segments = state_segments(recording, name)
    bins = attempt_columns(attempts, axis.span)
    counts = sum(bins.values(), Counter())
    verdicts = [v for v in recording.verdicts if v.subscription == name]
    final = segments[-1][2] if segments else "unknown"
    return (
        f'<section class="sub"><div class="subhead"><h2>{escape(name)}</h2>'
        f"{_state_chip(final)}{_verdict_summary(verdicts)}</div>"
        f"{_state_totals(segments)}"
        f"{_chart(axis, segments, samples, bins, sorted(recording.steps))}"
        f'<div class="tables">{_outcome_table(counts)}'
        f"{_ledger_table(recording.ledgers.get(name))}</div></section>"
    )


def _state_chip(state: str) -> str:
    colour = STATE_COLOURS.get(state, UNKNOWN_COLOUR)
    return f'<span class="chip" style="background:{colour}">{escape(state)}</span>'


def _verdict_summary(verdicts: list[Verdict]) -> str:
    if not verdicts:
        return ""
    failed = sum(not v.passed for v in verdicts)
    cls, text = ("ko", f"{failed} of {len(verdicts)} failed") if failed else ("ok", "all pass")
    noun = "expectation" if len(verdicts) == 1 else "expectations"
    return f'<span class="{cls}">{len(verdicts)} {noun}: {text}</span>'


def _state_totals(segments: list[tuple[float, float, str]]) -> str:
    spent: dict[str, float] = defaultdict(float)
    for start, end, state in segments:
        spent[state] += end - start
    items = "".join(
        f'<span><i style="background:{STATE_COLOURS.get(s, UNKNOWN_COLOUR)}"></i>'
        f"{escape(s)} {escape(duration(t))}</span>"
        for s, t in spent.items()
    )
    return f'<div class="legend">{items}</div>'


def _outcome_table(counts: Counter[str]) -> str:
    rows = "".join(
        f'<tr><td><i style="background:{OUTCOME_COLOURS.get(kind, UNKNOWN_COLOUR)}"></i>'
        f'{escape(kind)}</td><td class="num">{n:,}</td></tr>'
        for kind, n in sorted(counts.items(), key=lambda kv: _severity(kv[0]))
    )
    total = f'<tr class="total"><td>attempts</td><td class="num">{counts.total():,}</td></tr>'
    return f'<table class="small"><caption>push attempts</caption>{rows}{total}</table>'


def _ledger_table(ledger: Ledger | None) -> str:
    if ledger is None:
        return '<table class="small"><caption>ledger</caption><tr><td>none</td></tr></table>'
    rows = "".join(
        f'<tr><td>{label}</td><td class="num">{getattr(ledger, key):,}</td></tr>'
        for label, key in LEDGER_ROWS
    )
    off = ledger.produced - ledger.accounted
    balanced = (
        '<span class="ok">✓ yes</span>' if not off else f'<span class="ko">✗ off by {off:,}</span>'
    )
    rows += f'<tr class="total"><td>balanced?</td><td class="num">{balanced}</td></tr>'
    return f'<table class="small"><caption>ledger</caption>{rows}</table>'


def _endpoint(counters: dict[str, int] | None) -> str:
    if not counters:
        return ""
    rows = "".join(
        f'<tr><td>{escape(k)}</td><td class="num">{v:,}</td></tr>' for k, v in counters.items()
    )
    return f'<section><h2>Dev endpoint</h2><table class="small">{rows}</table></section>'


# -- data shaping -----------------------------------------------------------------------------


def _by_subscription(attempts: Iterable[AttemptRecord]) -> dict[str, list[AttemptRecord]]:
    out: dict[str, list[AttemptRecord]] = defaultdict(list)
    for record in attempts:
        out[record.subscription].append(record)
    return out


def state_segments(recording: Recording, name: str) -> list[tuple[float, float, str]]:
    """(start, end, state) spans over the run, from the first sample and the state changes."""
    end = max(recording.ended_at, 0.0)
    changes = sorted((c for c in recording.changes if c.subscription == name), key=lambda c: c.at)
    samples = recording.samples.get(name)
    state = samples[0].state if samples else (changes[0].old if changes else "unknown")
    segments, start = [], 0.0
    for change in changes:
        at = min(max(change.at, 0.0), end)
        if at > start:
            segments.append((start, at, state))
        start, state = at, change.new
    segments.append((start, end, state))  # zero-length only when the last change is at the end
    return segments


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
    """Outcome counts per time column; a column is `end / columns` simulated seconds wide."""
    scale = columns / end
    tally = Counter((int(record.at * scale), record.outcome) for record in attempts)
    bins: dict[int, Counter[str]] = defaultdict(Counter)
    for (column, outcome), n in tally.items():
        bins[min(max(column, 0), columns - 1)][outcome] += n
    return bins


def _severity(kind: str) -> int:
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


# -- the chart ----------------------------------------------------------------------------------


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


def _chart(
    axis: Axis,
    segments: list[tuple[float, float, str]],
    samples: list[Sample],
    bins: dict[int, Counter[str]],
    steps: list[tuple[float, str]],
) -> str:
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
            _count_ticks,
        ),
        _line_chart(
            axis,
            layout.age,
            layout.chart_h,
            age,
            "age of the oldest unacknowledged event",
            "#c2571a",
            _age_ticks,
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


def _band(axis: Axis, layout: Layout, segments: list[tuple[float, float, str]]) -> str:
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


Ticks = Callable[[float], tuple[float, Callable[[float], str]]]


def _count_ticks(top: float) -> tuple[float, Callable[[float], str]]:
    return nice_step(max(top, 1.0)), compact


def _age_ticks(top: float) -> tuple[float, Callable[[float], str]]:
    return nice_step(max(top, 1.0), [s for s in TIME_STEPS if s >= 1]), short_duration


def short_duration(seconds: float) -> str:
    """`duration` without a zero tail: 10m, 2h, 1d, 1h30m."""
    text = duration(seconds)
    return text[:-3] if len(text) > 3 and text[-3:-1] == "00" else text


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
    kinds = sorted(counts, key=_severity)
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


def place_labels(
    axis: Axis, steps: Sequence[tuple[float, str]], lanes: int = 3
) -> list[tuple[float, str, int]]:
    """(x, text, lane) per step, each label on the first of `lanes` lanes it does not overlap."""
    ends = [-math.inf] * lanes
    placed: list[tuple[float, str, int]] = []
    for i, (t, label) in enumerate(steps, 1):
        text = f"{i} {label}" if len(label) <= 32 else f"{i} {label[:31]}…"
        x = axis.x(t)
        width = 6.2 * len(text) + 12
        left = x - width if x + width > WIDTH else x
        lane = next((n for n, end in enumerate(ends) if end < left), None)
        if lane is None:  # crowded: the number alone, on the emptiest lane
            text, lane = str(i), min(range(lanes), key=ends.__getitem__)
            width, left = 6.2 * len(text) + 12, x
        ends[lane] = max(ends[lane], left + width)
        placed.append((x, text, lane))
    return placed


def _markers(axis: Axis, layout: Layout, placed: list[tuple[float, str, int]]) -> str:
    out = []
    for x, text, lane in placed:
        ty = 6 + lane * layout.lane_h + 11
        anchor, dx = ("end", -4) if x + 6.2 * len(text) + 12 > WIDTH else ("start", 4)
        out.append(
            f'<g><title>{escape(text)}</title><line class="step" x1="{x:.1f}" x2="{x:.1f}" '
            f'y1="{ty - 10:.0f}" y2="{layout.bottom:.0f}"/><text class="steplabel" '
            f'x="{x + dx:.1f}" y="{ty:.0f}" text-anchor="{anchor}">{escape(text)}</text></g>'
        )
    return "".join(out)


CSS = """
:root{--fg:#1f2328;--muted:#656d76;--line:#d8dee4;--soft:#f6f8fa;--ok:#1a7f37;--ko:#cf222e}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1180px;margin:0 auto;padding:28px 24px 40px}
header{border-bottom:1px solid var(--line);padding-bottom:14px;margin-bottom:8px}
.title{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h1{font-size:22px;margin:0;font-weight:600;word-break:break-all}
h2{font-size:17px;margin:0;font-weight:600}
section{margin-top:26px}
section>h2{margin-bottom:10px}
.meta{display:flex;flex-wrap:wrap;gap:6px 20px;margin-top:8px;color:var(--muted)}
.meta b{font-weight:600;color:var(--fg)}
.badge{font-weight:700;letter-spacing:.06em;padding:3px 10px;border-radius:4px;color:#fff;
font-size:13px}
.badge.pass{background:var(--ok)}.badge.fail{background:var(--ko)}.badge.none{background:#8c959f}
.count{color:var(--muted)}
.muted{color:var(--muted)}
table{border-collapse:collapse}
th{font-weight:600;text-align:left;color:var(--muted);font-size:12px;text-transform:uppercase;
letter-spacing:.04em}
th,td{padding:6px 12px 6px 0;border-bottom:1px solid var(--line);vertical-align:top}
td.num{text-align:right;white-space:nowrap}
td.at{white-space:nowrap}
table.verdicts{width:100%}
table.steps td.num{padding-right:16px}
tr.fail td{background:#ffebe9}
tr.fail td:first-child{box-shadow:inset 3px 0 var(--ko);padding-left:10px}
tr.pass td:first-child{padding-left:10px}
.ok{color:var(--ok);font-weight:600;white-space:nowrap}
.ko{color:var(--ko);font-weight:600;white-space:nowrap}
.sub{border:1px solid var(--line);border-radius:8px;padding:16px 18px}
.subhead{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
.chip{color:#fff;font-size:12px;font-weight:600;padding:2px 8px;border-radius:10px}
.legend{display:flex;gap:16px;flex-wrap:wrap;color:var(--muted);font-size:13px;margin:8px 0 4px}
i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
svg.chart{width:100%;height:auto;display:block;margin-top:6px}
svg text{font-family:inherit}
.tick{font-size:11px;fill:var(--muted)}
.row{font-size:12px;fill:var(--fg);font-weight:600}
.ctitle{font-size:12px;fill:var(--fg);font-weight:600;stroke:#fff;stroke-width:4px;
paint-order:stroke;stroke-linejoin:round}
.inband{font-size:11px;fill:#fff;font-weight:600}
.steplabel{font-size:11px;fill:#57606a}
.grid{stroke:#eaeef2}
.hgrid{stroke:#eef1f4}
.step{stroke:#6e7781;stroke-dasharray:3 3}
.track{fill:var(--soft)}
.tables{display:flex;gap:48px;flex-wrap:wrap;align-items:flex-start;margin-top:14px}
table.small caption{text-align:left;font-weight:600;padding-bottom:4px}
table.small td:first-child{padding-right:28px}
tr.total td{font-weight:600;border-bottom:none}
footer{margin-top:32px;color:var(--muted);font-size:12px}
"""
